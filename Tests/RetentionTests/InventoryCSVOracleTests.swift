import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// The S3 Inventory CSV reader reads every input as the reader before issue 21 did
/// (``ReferenceInventoryCSV``): the same objects, or the same error with the same file, line and
/// message. A report is hostile input, so the rows are generated from the cases that matter to a
/// byte-level reader: quotes and doubled quotes, URL escapes good and bad, `+`, raw and broken
/// UTF-8, signs and overflow in sizes, times with every fraction length, CR LF, blank lines,
/// unquoted and unterminated fields, rows of another bucket, lines past the length cap.
@Suite struct InventoryCSVOracleTests {
    static let fullSchema = ["Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate",
                             "ETag", "StorageClass", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus"]

    /// Raw field values (before CSV quoting) by column that a well-formed row may hold; the
    /// generator glues key fragments together.
    static let valid: [String: [[UInt8]]] = {
        func b(_ items: [String]) -> [[UInt8]] { items.map { Array($0.utf8) } }
        return [
            "Bucket": b(["b"]),
            "Key": b(["postgresql/backup/", "a", "%2F", "%2f", "+", "%2B", "%E2%82%AC", "\u{E9}", "e\u{301}", "\"", ",", "%0A",
                      "%00", "~", " ", "snap-2025.snap"]),
            "VersionId": b(["v1", "null", "", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "\"q\""]),
            "IsLatest": b(["true", "false", ""]),
            "IsDeleteMarker": b(["false", "false", "false", "true", ""]),
            "Size": b(["0", "1", "1024", "+5", "-0", "007", "9223372036854775807"]),
            "LastModifiedDate": b(["2025-01-02T03:04:05.000Z", "2024-02-29T23:59:60Z", "2025-01-02T03:04:05.1Z", "2025-01-02T03:04:05.12Z",
                                   "2025-01-02T03:04:05.123456789Z", "2025-01-02T03:04:05Z", "0000-01-01T00:00:00Z",
                                   "9999-12-31T23:59:59.999999999Z"]),
            "ETag": b(["0123456789abcdef0123456789abcdef", "abc-2", "", "\"\""]),
            "StorageClass": b(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE",
                               "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE", "", "standard", "WEIRD", "GLACIER_IR ", "\u{212A}"]),
            "ObjectLockRetainUntilDate": b(["", "", "2030-01-01T00:00:00.000Z", "soon"]),
            "ObjectLockMode": b(["", "", "GOVERNANCE", "COMPLIANCE", "governance"]),
            "ObjectLockLegalHoldStatus": b(["", "OFF", "ON", "on"]),
        ]
    }()

    /// Values a hostile row may hold besides the valid ones: broken escapes and UTF-8, sizes out
    /// of range or not numbers, times that are not times, other buckets.
    static let hostile: [String: [[UInt8]]] = {
        func b(_ items: [String]) -> [[UInt8]] { items.map { Array($0.utf8) } }
        return [
            "Bucket": b(["other", "", "\u{E9}", "e\u{301}", "b\"x"]) + [[0xFF]],
            "Key": b(["%C3%28", "%", "%4", "%zz", "%FF", "%C3", ""]) + [[0xFF], [0xA9], [0xC3], [0xE2, 0x82]],
            "VersionId": [[0xFE]],
            "IsLatest": b(["TRUE", "tru"]),
            "IsDeleteMarker": b(["1", "true"]),
            "Size": b(["-1", "9223372036854775808", "99999999999999999999", "", "1e3", " 5", "5 ", "+", "-", "\u{663}", "12a",
                       "-9223372036854775808"]),
            "LastModifiedDate": b(["2023-02-29T00:00:00Z", "2025-01-02T03:04:05.1234567890Z", "2025-01-02T03:04:05.Z", "yesterday", "",
                                   "2025-1-02T03:04:05Z", "2025-01-02T03:04:05.000Zx", "2025-01-02T24:00:00Z", "2025-00-10T00:00:00Z",
                                   "2025-01-02 03:04:05Z", "2025-01-02T03:04:05.0a0Z"]),
        ]
    }()

    /// One generated data file: its columns, the bytes, and how it is cut into chunks.
    struct Document {
        var columns: [String]
        var bytes: [UInt8]
        var chunks: [Int]
        var bucket: String?
    }

    static func document(_ rng: inout SplitMix) -> Document {
        func roll(_ sides: Int) -> Int { Int(rng.next() % UInt64(sides)) }
        var columns = fullSchema
        switch roll(4) {
        case 0: columns = ["Bucket", "Key", "Size", "LastModifiedDate"]
        case 1: columns = fullSchema.shuffled(using: &rng)
        case 2: columns = fullSchema + ["ChecksumAlgorithm"]
        default: break
        }
        var bytes: [UInt8] = []
        for _ in 0..<(1 + roll(5)) {
            if roll(12) == 0 { bytes += roll(2) == 0 ? [10] : [13, 10]; continue }  // a blank line
            let isHostile = roll(4) == 0
            var fields: [[UInt8]] = []
            for column in columns {
                let pool = (valid[column] ?? [Array("x".utf8)]) + (isHostile ? hostile[column] ?? [] : [])
                var value = pool[roll(pool.count)]
                if column == "Key" || isHostile && roll(4) == 0 {
                    for _ in 0..<roll(4) { value += pool[roll(pool.count)] }
                }
                if column == "Key", roll(500) == 0 { value = [UInt8](repeating: UInt8(ascii: "k"), count: 70_000) }
                fields.append(value)
            }
            if isHostile, roll(8) == 0 { fields.removeLast() }
            if isHostile, roll(8) == 0 { fields.append(Array("extra".utf8)) }
            var line: [UInt8] = []
            for (index, value) in fields.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                switch isHostile ? roll(30) : 3 + roll(30) {
                case 0: line += [UInt8(ascii: "\"")] + value  // unterminated
                case 1: line += [UInt8(ascii: "\"")] + value + Array("\"x".utf8)  // text after the closing quote
                case 3: line += value  // unquoted
                default:
                    line.append(UInt8(ascii: "\""))
                    for byte in value {
                        line.append(byte)
                        if byte == UInt8(ascii: "\"") { line.append(byte) }
                    }
                    line.append(UInt8(ascii: "\""))
                }
            }
            bytes += line
            switch roll(10) {
            case 0: bytes += [13, 10]
            case 1: bytes += [13]  // a lone CR: part of the last field
            default: bytes += [10]
            }
        }
        if roll(4) == 0, bytes.last == 10 { bytes.removeLast() }  // no newline at the end
        var chunks: [Int] = []
        var left = bytes.count
        let largest = [1, 7, 64, 4_096, 1 << 20][roll(5)]
        while left > 0 {
            let size = min(left, 1 + roll(largest))
            chunks.append(size)
            left -= size
        }
        let bucket: String? = [nil, "b", "b", "\u{E9}"][roll(4)]
        return Document(columns: columns, bytes: bytes, chunks: chunks, bucket: bucket)
    }

    static func readReference(_ document: Document, whole: Bool) -> Result<[InventoryObject], S3InventoryError> {
        do {
            var reader = try ReferenceInventoryCSV(columns: document.columns, file: "data.csv", bucket: document.bucket)
            var start = 0
            for size in whole ? [document.bytes.count] : document.chunks {
                try reader.consume(document.bytes[start..<(start + size)])
                start += size
            }
            try reader.finish()
            return .success(reader.objects)
        } catch {
            return .failure(error as! S3InventoryError)
        }
    }

    static func read(_ document: Document, whole: Bool) -> Result<[InventoryObject], S3InventoryError> {
        do {
            var reader = try S3InventoryCSV(columns: document.columns, file: "data.csv", bucket: document.bucket)
            var start = 0
            for size in whole ? [document.bytes.count] : document.chunks {
                try reader.consume(document.bytes[start..<(start + size)])
                start += size
            }
            try reader.finish()
            return .success(reader.objects)
        } catch {
            return .failure(error as! S3InventoryError)
        }
    }

    @Test("generated hostile data files read as the reference reader reads them", arguments: 0..<8)
    func generatedFilesReadAsTheReferenceReadsThem(seed: UInt64) {
        var rng = SplitMix(seed: 2100 + seed)
        var outcomes = (rows: 0, errors: 0)
        for _ in 0..<600 {
            let document = Self.document(&rng)
            let expected = Self.readReference(document, whole: true)
            let whole = Self.read(document, whole: true)
            let chunked = Self.read(document, whole: false)
            switch expected {
            case .success(let objects): outcomes.rows += objects.count
            case .failure: outcomes.errors += 1
            }
            guard whole == expected, chunked == expected else {
                Issue.record("differs from the reference on \(String(decoding: document.bytes.prefix(600), as: UTF8.self).debugDescription) columns \(document.columns) bucket \(document.bucket ?? "-")\nexpected \(expected)\nwhole    \(whole)\nchunked  \(chunked)")
                return
            }
        }
        // The generator must reach both outcomes often, or the comparison says little.
        #expect(outcomes.rows > 300 && outcomes.errors > 100, "\(outcomes)")
    }

    @Test("a date field reads as the reference reads it", arguments: valid["LastModifiedDate"]! + hostile["LastModifiedDate"]! + valid["ObjectLockRetainUntilDate"]!)
    func datesReadAsTheReferenceReadsThem(text: [UInt8]) {
        let string = String(decoding: text, as: UTF8.self)
        #expect(S3InventoryCSV.date(string) == ReferenceInventoryCSV.date(string), "\(string)")
    }
}
