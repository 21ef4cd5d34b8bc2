import Foundation

/// An incomplete multipart upload, from `ListMultipartUploads`.
public struct MultipartUpload: Sendable, Hashable {
    /// The key being uploaded.
    public var key: String
    /// The upload id.
    public var uploadID: String
    /// When the upload was started.
    public var initiated: Date
    /// Storage class the object will have.
    public var storageClass: String
}

/// A part of a multipart upload: its number, ETag and, from `ListParts`, size.
public struct UploadedPart: Sendable, Hashable {
    /// 1-based part number.
    public var partNumber: Int
    /// ETag without quotes.
    public var eTag: String
    /// Size in bytes (0 when not known).
    public var size: Int64
    /// The part's CRC-32C, sent with it (`x-amz-checksum-crc32c`) and named again in
    /// `CompleteMultipartUpload`, which S3 requires of an upload created with a checksum algorithm.
    public var checksumCRC32C: UInt32?

    /// Creates a part record.
    public init(partNumber: Int, eTag: String, size: Int64 = 0, checksumCRC32C: UInt32? = nil) {
        self.partNumber = partNumber
        self.eTag = eTag
        self.size = size
        self.checksumCRC32C = checksumCRC32C
    }
}

/// What `DeleteObjects` did: which keys it deleted and which it could not, with S3's code for each.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html>.
public struct DeleteObjectsResult: Sendable {
    /// A key (and version) S3 deleted.
    public struct Deleted: Sendable, Hashable {
        /// The key.
        public var key: String
        /// The version deleted, if one was named.
        public var versionID: String?
        /// True when the delete only placed a delete marker (versioned bucket, no version named).
        public var deleteMarker: Bool
    }
    /// A key S3 refused to delete.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        /// The key.
        public var key: String
        /// The version, if one was named.
        public var versionID: String?
        /// S3's code, e.g. `.accessDenied`.
        public var code: S3ErrorCode
        /// S3's message (may be empty).
        public var message: String
        /// `key: code message`.
        public var description: String {
            "\(key)\(versionID.map { " (version \($0))" } ?? ""): \(code)\(message.isEmpty ? "" : " \(message)")"
        }
    }
    /// What was deleted.
    public var deleted: [Deleted]
    /// What was not.
    public var failures: [Failure]
}

/// An object (or one version) to delete.
public struct ObjectIdentifier: Sendable, Hashable {
    /// The key.
    public var key: String
    /// The version to delete; `nil` deletes the current object (a delete marker in versioned buckets).
    public var versionID: String?
    /// Creates an identifier.
    public init(key: String, versionID: String? = nil) {
        self.key = key
        self.versionID = versionID
    }
}
