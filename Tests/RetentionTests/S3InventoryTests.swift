import Foundation
import Testing
@testable import Retention

/// Reading Amazon S3 Inventory reports: the manifest, the CSV rows, and the errors a damaged or
/// unexpected report must give (file, line, what was expected).
struct S3InventoryTests {
    static let schema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus"

    static func manifest(_ fields: String) -> Data {
        Data("{\(fields)}".utf8)
    }

    @Test func manifestGivesBucketColumnsFilesAndCreationTime() throws {
        let manifest = try S3InventoryManifest.parse(Self.manifest("""
            "sourceBucket": "backups", "destinationBucket": "arn:aws:s3:::reports", "version": "2016-11-30",
            "creationTimestamp": "1514944800000", "fileFormat": "CSV", "fileSchema": "\(Self.schema)",
            "files": [{"key": "r/backups/cfg/data/a.csv.gz", "size": 12, "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"}]
            """), file: "manifest.json")
        #expect(manifest.sourceBucket == "backups")
        #expect(manifest.columns.first == "Bucket" && manifest.columns.count == 12)
        #expect(manifest.files == [.init(key: "r/backups/cfg/data/a.csv.gz", size: 12, md5: "f11166069f1990abeb9c97ace9cdfabc")])
        #expect(manifest.creationDate == Date(timeIntervalSince1970: 1_514_944_800))
    }

    /// Issue 16, row 5: `nan` and `1e300` passed the age check (and `nan` trapped a log line).
    @Test(arguments: [("1514944800000", Date(timeIntervalSince1970: 1_514_944_800)), ("nan", nil), ("1e300", nil), ("inf", nil),
                      ("-1", nil), ("1514944800000.5", nil), ("99999999999999999999", nil), ("1000", nil), ("", nil)] as [(String, Date?)])
    func creationTimestampIsWholeEpochMillisOfAPlausibleYear(_ text: String, _ expected: Date?) throws {
        let manifest = try S3InventoryManifest.parse(Self.manifest("""
            "sourceBucket": "backups", "creationTimestamp": "\(text)", "fileFormat": "CSV", "fileSchema": "\(Self.schema)",
            "files": [{"key": "r/backups/cfg/data/a.csv.gz", "size": 12, "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"}]
            """), file: "manifest.json")
        #expect(manifest.creationDate == expected, "\(text)")
    }

    @Test(arguments: [
        (#""fileFormat": "CSV", "fileSchema": "Key", "files": [{"key": "a"}]"#, "missing key 'sourceBucket'"),
        (#""sourceBucket": "b", "fileFormat": "ORC", "fileSchema": "struct<>", "files": [{"key": "a"}]"#, "only CSV inventory reports are supported"),
        (#""sourceBucket": "b", "fileFormat": "CSV", "fileSchema": "Bucket, Size", "files": [{"key": "a"}]"#, "fileSchema has no Key column"),
        (#""sourceBucket": "b", "fileFormat": "CSV", "fileSchema": "Key", "files": []"#, "lists no data files"),
        (#""sourceBucket": 7, "fileFormat": "CSV", "fileSchema": "Key", "files": []"#, "'sourceBucket' has the wrong type"),
    ])
    func badManifestsAreRefusedWithTheReason(fields: String, expected: String) {
        #expect {
            _ = try S3InventoryManifest.parse(Self.manifest(fields), file: "m.json")
        } throws: { error in
            let error = error as? S3InventoryError
            return error?.file == "m.json" && (error?.message.contains(expected) ?? false)
        }
    }

    @Test func notJSONIsRefused() {
        #expect(throws: S3InventoryError.self) { try S3InventoryManifest.parse(Data("<xml/>".utf8), file: "m.json") }
    }

    static func read(_ text: String, schema: String = schema) throws -> [InventoryObject] {
        var csv = try S3InventoryCSV(columns: schema.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, file: "data.csv")
        try csv.consume(Array(text.utf8))
        try csv.finish()
        return csv.objects
    }

    @Test func rowsBecomeObjectVersionsWithClassLockAndDeleteMarkers() throws {
        let objects = try Self.read("""
            "b","vault%2Fsnap+2025.snap","v2","true","false","1024","2025-01-02T03:04:05.000Z","abc-2","GLACIER","2030-01-01T00:00:00.000Z","COMPLIANCE","OFF"
            "b","vault%2Fsnap+2025.snap","v1","false","false","1000","2024-12-01T00:00:00.000Z","abc","STANDARD","","","ON"
            "b","vault%2Fold","v9","true","true","","2025-01-03T00:00:00.000Z","","","","",""

            """)
        #expect(objects.count == 3)
        #expect(objects[0].key == "vault/snap 2025.snap")
        #expect(objects[0].size == 1024 && objects[0].storageClass == .glacier && objects[0].eTag == "abc-2")
        #expect(objects[0].lastModified == Date(timeIntervalSince1970: 1_735_787_045))
        #expect(objects[0].objectLock == ObjectLockState(mode: .compliance, retainUntil: Date(timeIntervalSince1970: 1_893_456_000)))
        #expect(objects[1].versionID == "v1" && !objects[1].isLatest && objects[1].objectLock?.legalHold == true)
        #expect(objects[2].isDeleteMarker && objects[2].size == 0 && !objects[2].isCurrent)
    }

    @Test func aMinimalSchemaIsEnoughForAnUnversionedBucket() throws {
        let objects = try Self.read("\"b\",\"k\",\"5\",\"2025-01-02T03:04:05Z\"\r\n", schema: "Bucket, Key, Size, LastModifiedDate")
        #expect(objects == [InventoryObject(key: "k", size: 5, lastModified: Date(timeIntervalSince1970: 1_735_787_045))])
    }

    @Test func chunksSplitAnywhereGiveTheSameRows() throws {
        let text = """
            "b","a%20b","","true","false","1","2025-01-02T03:04:05.123Z","e","STANDARD","","",""
            "b","c","","true","false","22","2025-01-02T03:04:06.000Z","f","STANDARD_IA","","",""
            """
        let whole = try Self.read(text)
        let bytes = Array(text.utf8)
        for split in 1..<bytes.count {
            var csv = try S3InventoryCSV(columns: Self.schema.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, file: "d")
            try csv.consume(bytes[..<split])
            try csv.consume(bytes[split...])
            try csv.finish()
            #expect(csv.objects == whole, "split at \(split)")
        }
        #expect(whole[0].key == "a b" && whole[0].lastModified.timeIntervalSince1970 == 1_735_787_045.123)
    }

    @Test(arguments: [
        ("\"b\",\"k\",\"1\"", "3 fields, expected 4"),
        ("\"b\",\"k\",\"-1\",\"2025-01-02T03:04:05.000Z\"", "Size '-1' is not a byte count"),
        ("\"b\",\"k\",\"1\",\"2025-13-02T03:04:05.000Z\"", "LastModifiedDate '2025-13-02T03:04:05.000Z' is not an ISO 8601 time"),
        ("\"b\",\"k\",\"1\",\"yesterday\"", "LastModifiedDate 'yesterday'"),
        ("\"b\",\"k%zz\",\"1\",\"2025-01-02T03:04:05.000Z\"", "Key is empty or not URL-encoded"),
        ("\"b\",\"\",\"1\",\"2025-01-02T03:04:05.000Z\"", "Key is empty"),
        ("\"b\",\"k,\"1\",\"2025-01-02T03:04:05.000Z\"", "text after a closing quote"),
        ("\"b\",\"k\",\"1\",\"2025-01-02T03:04:05.000Z", "unterminated quoted field"),
    ])
    func badRowsNameTheFileAndLine(row: String, expected: String) {
        let text = "\"b\",\"ok\",\"1\",\"2025-01-02T03:04:05.000Z\"\n" + row + "\n"
        #expect {
            _ = try Self.read(text, schema: "Bucket, Key, Size, LastModifiedDate")
        } throws: { error in
            let error = error as? S3InventoryError
            return error?.file == "data.csv" && error?.line == 2 && (error?.message.contains(expected) ?? false)
        }
    }

    @Test func aSchemaWithoutSizeOrTimeIsRefused() {
        #expect(throws: S3InventoryError.self) { try S3InventoryCSV(columns: ["Bucket", "Key"], file: "d") }
    }

    @Test(arguments: [
        ("a+b", "a b"), ("a%2Bb", "a+b"), ("%E2%82%AC", "€"), ("a%2fb", "a/b"), ("plain", "plain"),
        ("%", nil), ("%4", nil), ("%C3%28", nil),
    ] as [(String, String?)])
    func keysAreURLDecodedTheWayInventoryEncodesThem(encoded: String, decoded: String?) {
        #expect(S3InventoryCSV.urlDecode(encoded) == decoded)
    }

    /// Issue 16, row 8: a row naming another bucket was accepted.
    @Test func aRowForAnotherBucketIsRefusedWithItsLine() throws {
        var csv = try S3InventoryCSV(columns: ["Bucket", "Key", "Size", "LastModifiedDate"], file: "data.csv", bucket: "backups")
        let text = "\"backups\",\"ok\",\"1\",\"2025-01-02T03:04:05.000Z\"\n\"elsewhere\",\"k\",\"1\",\"2025-01-02T03:04:05.000Z\"\n"
        let error = try #require(throws: S3InventoryError.self) { try csv.consume(Array(text.utf8)) }
        #expect(error.line == 2)
        #expect(error.message == "Bucket is 'elsewhere', expected 'backups' (the bucket being planned)")
    }

    /// Issue 16, row 7: one line with no newline was rescanned on every chunk (256 MiB took 42 s
    /// and 615 MB). It is refused once past the longest possible row, however it is chunked.
    @Test(arguments: [1, 4_096, 1 << 20])
    func aLineLongerThanAnyRowIsRefused(chunk: Int) throws {
        var csv = try S3InventoryCSV(columns: ["Bucket", "Key", "Size", "LastModifiedDate"], file: "data.csv")
        let line = [UInt8](repeating: UInt8(ascii: "a"), count: S3InventoryCSV.maximumLineLength * 4)
        let error = try #require(throws: S3InventoryError.self) {
            for start in stride(from: 0, to: line.count, by: chunk) { try csv.consume(line[start..<min(start + chunk, line.count)]) }
            try csv.finish()
        }
        #expect(error.line == 1)
        #expect(error.message.contains("a line longer than 65536 bytes"))
    }
}
