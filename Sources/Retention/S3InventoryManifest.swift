import Foundation

/// The `manifest.json` of an Amazon S3 Inventory report: which bucket it describes, when the scan
/// began, the CSV columns, and the data files.
///
/// Implements the format described in
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
public struct S3InventoryManifest: Sendable, Hashable, Decodable {
    /// One data file of the report.
    public struct DataFile: Sendable, Hashable, Decodable {
        /// Key of the file in the destination bucket.
        public var key: String
        /// Size of the (compressed) file in bytes.
        public var size: Int64?
        /// Hex MD5 of the file as stored.
        public var md5: String?

        private enum CodingKeys: String, CodingKey {
            case key, size
            case md5 = "MD5checksum"
        }

        /// Creates a data file entry.
        public init(key: String, size: Int64? = nil, md5: String? = nil) {
            self.key = key
            self.size = size
            self.md5 = md5
        }
    }

    /// The bucket the report lists.
    public var sourceBucket: String
    /// The bucket (ARN) the report was written to.
    public var destinationBucket: String?
    /// `CSV`, `ORC` or `Parquet`.
    public var fileFormat: String
    /// Comma-separated column names for CSV reports.
    public var fileSchema: String
    /// When the scan began (epoch milliseconds, given as a string).
    public var creationTimestamp: String?
    /// The data files.
    public var files: [DataFile]

    /// Creates a manifest.
    public init(sourceBucket: String, destinationBucket: String? = nil, fileFormat: String = "CSV", fileSchema: String,
                creationTimestamp: String? = nil, files: [DataFile]) {
        self.sourceBucket = sourceBucket
        self.destinationBucket = destinationBucket
        self.fileFormat = fileFormat
        self.fileSchema = fileSchema
        self.creationTimestamp = creationTimestamp
        self.files = files
    }

    /// Parses and checks `data` (the manifest named `file`): a CSV report with a `Key` column.
    public static func parse(_ data: Data, file: String) throws -> S3InventoryManifest {
        let manifest: S3InventoryManifest
        do {
            manifest = try JSONDecoder().decode(S3InventoryManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw S3InventoryError(file: file, message: "missing key '\(key.stringValue)'; expected an S3 Inventory manifest.json")
        } catch let DecodingError.typeMismatch(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw S3InventoryError(file: file, message: "'\(path)' has the wrong type: \(context.debugDescription)")
        } catch {
            throw S3InventoryError(file: file, message: "not valid JSON; expected an S3 Inventory manifest.json")
        }
        guard manifest.fileFormat.uppercased() == "CSV" else {
            throw S3InventoryError(file: file, message: "fileFormat is \(manifest.fileFormat); only CSV inventory reports are supported (configure the inventory with Format CSV)")
        }
        guard manifest.columns.contains("Key") else {
            throw S3InventoryError(file: file, message: "fileSchema has no Key column: \(manifest.fileSchema)")
        }
        if manifest.files.isEmpty {
            throw S3InventoryError(file: file, message: "the manifest lists no data files")
        }
        return manifest
    }

    /// Column names, in order.
    public var columns: [String] {
        fileSchema.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// When the scan began, if the manifest says: whole epoch milliseconds between 2006 (S3's
    /// start) and the year 10000. `nan`, `1e300`, fractions and signs are not a time: `nil`.
    public var creationDate: Date? {
        guard let creationTimestamp, creationTimestamp.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let millis = Int64(creationTimestamp), Self.plausibleMillis.contains(millis) else { return nil }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// 2006-01-01 to 9999-12-31 in epoch milliseconds.
    static let plausibleMillis: ClosedRange<Int64> = 1_136_073_600_000...253_402_300_799_000
}

/// A problem in an S3 Inventory report: the file, the line (0 when not about one line) and what
/// was expected.
public struct S3InventoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The manifest or data file.
    public var file: String
    /// 1-based line in a data file, or 0.
    public var line: Int
    /// What is wrong and what was expected.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int = 0, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`.
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}
