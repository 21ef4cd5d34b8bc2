import Foundation
@testable import Retention

/// The S3 Inventory CSV reader as it was before issue 21 made it work on raw bytes (commit
/// 4c74145), kept verbatim as an oracle: the byte-level reader must give the same objects and the
/// same errors (file, line, message) for every input, which `InventoryCSVOracleTests` checks on
/// generated hostile rows. Do not optimise this copy; its point is to stay the slow, obvious one.
struct ReferenceInventoryCSV: Sendable {
    /// The columns Strata reads; the rest are skipped.
    enum Column: String, CaseIterable {
        case bucket = "Bucket", key = "Key", versionID = "VersionId", isLatest = "IsLatest"
        case isDeleteMarker = "IsDeleteMarker", size = "Size", lastModified = "LastModifiedDate"
        case eTag = "ETag", storageClass = "StorageClass", lockUntil = "ObjectLockRetainUntilDate"
        case lockMode = "ObjectLockMode", legalHold = "ObjectLockLegalHoldStatus"
    }

    /// The data file, for error messages.
    let file: String
    /// Objects read so far.
    private(set) var objects: [InventoryObject] = []
    private let positions: [Column: Int]
    private let columnCount: Int
    private var pending: [UInt8] = []
    /// How much of `pending` is known to hold no newline (so a chunk never rescans it).
    private var scanned = 0
    private var line = 0
    /// The bucket every row must name in its Bucket column, if given.
    private let bucket: String?


    /// A reader for data file `file` with the manifest's `columns`. With `bucket`, a row whose
    /// Bucket column names another bucket is refused: a report of one bucket must not plan
    /// another's deletions.
    init(columns: [String], file: String, bucket: String? = nil) throws {
        self.bucket = bucket
        var positions: [Column: Int] = [:]
        for (index, name) in columns.enumerated() {
            if let column = Column(rawValue: name) { positions[column] = index }
        }
        for required in [Column.key, .size, .lastModified] where positions[required] == nil {
            throw S3InventoryError(file: file, message: "fileSchema lacks \(required.rawValue); Strata needs Key, Size and LastModifiedDate (and StorageClass, VersionId, IsLatest, IsDeleteMarker for versioned buckets)")
        }
        self.positions = positions
        self.columnCount = columns.count
        self.file = file
    }

    /// Reads the complete lines in `bytes` (plus what an earlier call left unfinished).
    mutating func consume(_ bytes: some Collection<UInt8>) throws {
        pending.append(contentsOf: bytes)
        var start = pending.startIndex
        var from = pending.startIndex + scanned
        while let newline = pending[from...].firstIndex(of: UInt8(ascii: "\n")) {
            try parseLine(pending[start..<newline])
            start = newline + 1
            from = start
        }
        pending.removeSubrange(pending.startIndex..<start)
        scanned = pending.count
        guard pending.count <= S3InventoryCSV.maximumLineLength else {
            throw S3InventoryError(file: file, line: line + 1, message: "a line longer than \(S3InventoryCSV.maximumLineLength) bytes, expected one row per line")
        }
    }

    /// Reads the last line, if it had no newline.
    mutating func finish() throws {
        if !pending.isEmpty { try parseLine(pending[...]) }
        pending = []
        scanned = 0
    }

    private mutating func parseLine(_ raw: ArraySlice<UInt8>) throws {
        line += 1
        guard raw.count <= S3InventoryCSV.maximumLineLength else {
            throw S3InventoryError(file: file, line: line, message: "a line longer than \(S3InventoryCSV.maximumLineLength) bytes, expected one row per line")
        }
        var bytes = raw
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        if bytes.isEmpty { return }
        let fields = try Self.fields(bytes, file: file, line: line)
        guard fields.count == columnCount else {
            throw S3InventoryError(file: file, line: line, message: "\(fields.count) fields, expected \(columnCount) (the manifest's fileSchema)")
        }
        func field(_ column: Column) -> String? {
            guard let index = positions[column] else { return nil }
            return fields[index].isEmpty ? nil : fields[index]
        }
        if let bucket, let named = field(.bucket), named != bucket {
            throw S3InventoryError(file: file, line: line, message: "Bucket is '\(named)', expected '\(bucket)' (the bucket being planned)")
        }
        guard let encodedKey = field(.key), let key = Self.urlDecode(encodedKey) else {
            throw S3InventoryError(file: file, line: line, message: "Key is empty or not URL-encoded")
        }
        let isDeleteMarker = field(.isDeleteMarker).map { $0 == "true" } ?? false
        let size: Int64
        if let text = field(.size) {
            guard let value = Int64(text), value >= 0 else {
                throw S3InventoryError(file: file, line: line, message: "Size '\(text)' is not a byte count")
            }
            size = value
        } else if isDeleteMarker {
            size = 0
        } else {
            throw S3InventoryError(file: file, line: line, message: "Size is empty for \(key)")
        }
        guard let modifiedText = field(.lastModified), let modified = Self.date(modifiedText) else {
            throw S3InventoryError(file: file, line: line, message: "LastModifiedDate '\(field(.lastModified) ?? "")' is not an ISO 8601 time like 2024-01-02T03:04:05.000Z")
        }
        var lock: ObjectLockState?
        let until = field(.lockUntil).flatMap(Self.date)
        let mode = field(.lockMode).flatMap(ObjectLockState.Mode.init(rawValue:))
        let hold = field(.legalHold) == "ON"
        if until != nil || mode != nil || hold { lock = ObjectLockState(mode: mode, retainUntil: until, legalHold: hold) }
        objects.append(InventoryObject(
            key: key, size: size, lastModified: modified,
            storageClass: StorageClass(rawValue: field(.storageClass) ?? "STANDARD"),
            eTag: field(.eTag), versionID: field(.versionID),
            isLatest: field(.isLatest).map { $0 == "true" } ?? true,
            isDeleteMarker: isDeleteMarker, objectLock: lock))
    }

    /// Splits one CSV line; fields may be quoted, with `""` for a quote inside.
    static func fields(_ bytes: ArraySlice<UInt8>, file: String, line: Int) throws -> [String] {
        var fields: [String] = []
        var index = bytes.startIndex
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")
        while true {
            var value: [UInt8] = []
            if index < bytes.endIndex, bytes[index] == quote {
                index += 1
                var closed = false
                while index < bytes.endIndex {
                    if bytes[index] == quote {
                        if index + 1 < bytes.endIndex, bytes[index + 1] == quote {
                            value.append(quote)
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    value.append(bytes[index])
                    index += 1
                }
                guard closed else { throw S3InventoryError(file: file, line: line, message: "unterminated quoted field") }
                guard index == bytes.endIndex || bytes[index] == comma else {
                    throw S3InventoryError(file: file, line: line, message: "text after a closing quote")
                }
            } else {
                while index < bytes.endIndex, bytes[index] != comma {
                    value.append(bytes[index])
                    index += 1
                }
            }
            fields.append(String(decoding: value, as: UTF8.self))
            if index == bytes.endIndex { return fields }
            index += 1  // the comma
        }
    }

    /// Decodes S3 Inventory's URL encoding (`+` is a space); `nil` for a malformed escape or bytes
    /// that are not UTF-8.
    static func urlDecode(_ text: String) -> String? {
        // URIEncoding.formDecoded as it was, copied so the oracle does not move with it.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, as the report writes times.
    static func date(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for i in range {
                guard b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            guard b[19] == UInt8(ascii: "."), b.count > 21, b.count <= 30, let digits = number(20..<(b.count - 1)) else { return nil }
            fraction = Double(digits) / pow(10, Double(b.count - 21))
        } else if b.count != 20 {
            return nil
        }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction)
    }
}
