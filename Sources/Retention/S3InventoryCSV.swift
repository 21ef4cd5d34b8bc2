import Foundation
import SigV4

/// Reads the CSV data files of an S3 Inventory report into ``InventoryObject``s, a chunk at a
/// time, so a report of millions of rows never has to be held as text.
///
/// Every field is double-quoted (`"bucket","key",...`), keys are URL-encoded (`+` for a space,
/// `%XX` for other bytes), and the columns are those of the manifest's `fileSchema`. Implements
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html#storage-inventory-contents
public struct S3InventoryCSV: Sendable {
    /// The columns Strata reads; the rest are skipped.
    enum Column: String, CaseIterable {
        case bucket = "Bucket", key = "Key", versionID = "VersionId", isLatest = "IsLatest"
        case isDeleteMarker = "IsDeleteMarker", size = "Size", lastModified = "LastModifiedDate"
        case eTag = "ETag", storageClass = "StorageClass", lockUntil = "ObjectLockRetainUntilDate"
        case lockMode = "ObjectLockMode", legalHold = "ObjectLockLegalHoldStatus"

        /// The column's place in ``S3InventoryCSV/positions``.
        var slot: Int {
            switch self {
            case .bucket: 0
            case .key: 1
            case .versionID: 2
            case .isLatest: 3
            case .isDeleteMarker: 4
            case .size: 5
            case .lastModified: 6
            case .eTag: 7
            case .storageClass: 8
            case .lockUntil: 9
            case .lockMode: 10
            case .legalHold: 11
            }
        }
    }

    /// The data file, for error messages.
    public let file: String
    /// Objects read so far.
    public private(set) var objects: [InventoryObject] = []
    /// Where each column Strata reads is in a row (by ``Column/slot``), -1 when the schema lacks
    /// it: an array, not a dictionary, since it is asked a dozen times a row.
    private let positions: [Int]
    private let columnCount: Int
    private var pending: [UInt8] = []
    /// How much of `pending` is known to hold no newline (so a chunk never rescans it).
    private var scanned = 0
    private var line = 0
    /// The bucket every row must name in its Bucket column, if given.
    private let bucket: String?
    /// `bucket`'s bytes, which a row's Bucket field almost always equals byte for byte.
    private let bucketUTF8: [UInt8]
    /// The field ranges of the row being read, kept to reuse their storage.
    private var fieldRanges: [Range<Int>] = []

    /// The longest line a data file may have: a row is a key of at most 1,024 bytes, URL-encoded
    /// (three bytes each at worst), and a dozen short fields. A longer line is not a report row,
    /// and holding it would let one file take unbounded memory and time.
    public static let maximumLineLength = 64 * 1024

    /// A reader for data file `file` with the manifest's `columns`. With `bucket`, a row whose
    /// Bucket column names another bucket is refused: a report of one bucket must not plan
    /// another's deletions.
    public init(columns: [String], file: String, bucket: String? = nil) throws {
        self.bucket = bucket
        self.bucketUTF8 = Array((bucket ?? "").utf8)
        var positions = [Int](repeating: -1, count: Column.allCases.count)
        for (index, name) in columns.enumerated() {
            if let column = Column(rawValue: name) { positions[column.slot] = index }
        }
        for required in [Column.key, .size, .lastModified] where positions[required.slot] < 0 {
            throw S3InventoryError(file: file, message: "fileSchema lacks \(required.rawValue); Strata needs Key, Size and LastModifiedDate (and StorageClass, VersionId, IsLatest, IsDeleteMarker for versioned buckets)")
        }
        self.positions = positions
        self.columnCount = columns.count
        self.file = file
    }

    /// Reads the complete lines in `bytes` (plus what an earlier call left unfinished).
    public mutating func consume(_ bytes: some Collection<UInt8>) throws {
        // Gzip output (NIO's ByteBufferView) and arrays are contiguous: no byte-by-byte copy.
        if try bytes.withContiguousStorageIfAvailable({ try consume(buffer: $0) }) == nil {
            try consume(buffer: Array(bytes))
        }
    }

    private mutating func consume(buffer: [UInt8]) throws {
        try buffer.withUnsafeBufferPointer { try consume(buffer: $0) }
    }

    /// Appends `bytes` to the unfinished line and reads every line that is now complete, in place.
    private mutating func consume(buffer bytes: UnsafeBufferPointer<UInt8>) throws {
        pending.append(contentsOf: bytes)
        // Work on the bytes outside `self`, so reading a row (which changes `self`) does not
        // overlap the access to `pending`.
        var text: [UInt8] = []
        swap(&text, &pending)
        defer { swap(&text, &pending) }
        let consumed = try text.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            var start = 0
            var from = scanned
            while from < buffer.count, let found = memchr(base + from, Int32(UInt8(ascii: "\n")), buffer.count - from) {
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                try parseLine(UnsafeMutableBufferPointer(start: base + start, count: newline - start))
                start = newline + 1
                from = start
            }
            return start
        }
        text.removeSubrange(0..<consumed)
        scanned = text.count
        guard text.count <= Self.maximumLineLength else {
            throw S3InventoryError(file: file, line: line + 1, message: "a line longer than \(Self.maximumLineLength) bytes, expected one row per line")
        }
    }

    /// Hands over the objects read so far and forgets them, so a caller that keeps only some of a
    /// file's rows never holds all of them at once.
    public mutating func takeObjects() -> [InventoryObject] {
        var taken: [InventoryObject] = []
        swap(&taken, &objects)
        return taken
    }

    /// Reads the last line, if it had no newline.
    public mutating func finish() throws {
        var text: [UInt8] = []
        swap(&text, &pending)
        scanned = 0
        if !text.isEmpty { try text.withUnsafeMutableBufferPointer { try parseLine($0) } }
    }

    /// Reads one line (without its newline) into an object; the bytes are changed (unescaped in place).
    private mutating func parseLine(_ raw: UnsafeMutableBufferPointer<UInt8>) throws {
        line += 1
        guard raw.count <= Self.maximumLineLength else {
            throw S3InventoryError(file: file, line: line, message: "a line longer than \(Self.maximumLineLength) bytes, expected one row per line")
        }
        var count = raw.count
        if count > 0, raw[count - 1] == UInt8(ascii: "\r") { count -= 1 }
        if count == 0 { return }
        let bytes = UnsafeMutableBufferPointer(rebasing: raw[..<count])
        do {
            try CSVLineSplitter.split(bytes, into: &fieldRanges)
        } catch {
            throw S3InventoryError(file: file, line: line, message: error.message)
        }
        guard fieldRanges.count == columnCount else {
            throw S3InventoryError(file: file, line: line, message: "\(fieldRanges.count) fields, expected \(columnCount) (the manifest's fileSchema)")
        }
        let row = Row(bytes: UnsafeBufferPointer(bytes), ranges: fieldRanges, positions: positions)
        objects.append(try object(row))
    }

    /// The fields of one row, by column; an empty field reads as absent, as in the report.
    private struct Row {
        let bytes: UnsafeBufferPointer<UInt8>
        let ranges: [Range<Int>]
        let positions: [Int]

        @inline(__always)
        subscript(_ column: Column) -> UnsafeBufferPointer<UInt8>? {
            let index = positions[column.slot]
            guard index >= 0 else { return nil }
            let range = ranges[index]
            return range.isEmpty ? nil : UnsafeBufferPointer(rebasing: bytes[range])
        }
    }

    /// The object a row describes, with every check a hostile report needs.
    private func object(_ row: Row) throws -> InventoryObject {
        typealias F = InventoryFieldBytes
        if let bucket, let named = row[.bucket], !named.elementsEqual(bucketUTF8) {
            let text = F.text(named)
            // `String ==` is canonical equivalence, as the String-based reader compared.
            if text != bucket {
                throw S3InventoryError(file: file, line: line, message: "Bucket is '\(text)', expected '\(bucket)' (the bucket being planned)")
            }
        }
        guard let encodedKey = row[.key], let key = F.key(encodedKey) else {
            throw S3InventoryError(file: file, line: line, message: "Key is empty or not URL-encoded")
        }
        let isDeleteMarker = row[.isDeleteMarker].map { F.equals($0, "true") } ?? false
        let size: Int64
        if let text = row[.size] {
            guard let value = F.byteCount(text) else {
                throw S3InventoryError(file: file, line: line, message: "Size '\(F.text(text))' is not a byte count")
            }
            size = value
        } else if isDeleteMarker {
            size = 0
        } else {
            throw S3InventoryError(file: file, line: line, message: "Size is empty for \(key)")
        }
        guard let modifiedText = row[.lastModified], let modified = F.date(modifiedText) else {
            throw S3InventoryError(file: file, line: line, message: "LastModifiedDate '\(row[.lastModified].map(F.text) ?? "")' is not an ISO 8601 time like 2024-01-02T03:04:05.000Z")
        }
        var lock: ObjectLockState?
        let until = row[.lockUntil].flatMap(F.date)
        let mode: ObjectLockState.Mode? = row[.lockMode].flatMap {
            F.equals($0, "GOVERNANCE") ? .governance : F.equals($0, "COMPLIANCE") ? .compliance : nil
        }
        let hold = row[.legalHold].map { F.equals($0, "ON") } ?? false
        if until != nil || mode != nil || hold { lock = ObjectLockState(mode: mode, retainUntil: until, legalHold: hold) }
        return InventoryObject(
            key: key, size: size, lastModified: modified,
            storageClass: row[.storageClass].map { StorageClass(utf8: $0) } ?? .standard,
            eTag: row[.eTag].map(F.text), versionID: row[.versionID].map(F.text),
            isLatest: row[.isLatest].map { F.equals($0, "true") } ?? true,
            isDeleteMarker: isDeleteMarker, objectLock: lock)
    }

    /// Decodes S3 Inventory's URL encoding (`+` is a space); `nil` for a malformed escape or bytes
    /// that are not UTF-8.
    static func urlDecode(_ text: String) -> String? {
        URIEncoding.formDecoded(text)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, as the report writes times.
    static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { InventoryFieldBytes.date($0) }
    }
}
