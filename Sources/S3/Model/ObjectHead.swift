import Foundation
import NIOHTTP1

/// What `HeadObject` (and `GetObject`'s headers) say about an object.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html>.
public struct ObjectHead: Sendable, Hashable {
    /// Size in bytes.
    public var contentLength: Int64
    /// ETag without quotes.
    public var eTag: String
    /// When the object was last written.
    public var lastModified: Date?
    /// Storage class (`STANDARD` when S3 omits the header).
    public var storageClass: String
    /// User metadata (`x-amz-meta-*`), names lowercased without the prefix.
    public var metadata: [String: String]
    /// `Content-Type`.
    public var contentType: String?
    /// `Cache-Control`.
    public var cacheControl: String?
    /// `Content-Encoding`.
    public var contentEncoding: String?
    /// `Content-Disposition`.
    public var contentDisposition: String?
    /// `Content-Language`.
    public var contentLanguage: String?
    /// `Expires`, as S3 sent it: S3 stores the text it was given, which need not be a date.
    public var expires: String?
    /// Server-side encryption (`x-amz-server-side-encryption`: `AES256`, `aws:kms`,
    /// `aws:kms:dsse`), as S3 sent it; ``ServerSideEncryption/init(head:key:)`` checks it.
    public var serverSideEncryption: String?
    /// The KMS key of an SSE-KMS object (`x-amz-server-side-encryption-aws-kms-key-id`), as S3 sent it.
    public var kmsKeyID: String?
    /// Whether an SSE-KMS object uses an S3 Bucket Key (`x-amz-server-side-encryption-bucket-key-enabled`).
    public var bucketKeyEnabled: Bool
    /// The algorithm of a customer-provided key (SSE-C, `x-amz-server-side-encryption-customer-algorithm`):
    /// set when the object can only be read, or copied, with a key Strata does not hold.
    public var customerKeyAlgorithm: String?
    /// Version id, in versioned buckets.
    public var versionID: String?
    /// Restore state of an archived object (`x-amz-restore`).
    public var restore: RestoreStatus?
    /// Object-lock mode (`GOVERNANCE`, `COMPLIANCE`).
    public var objectLockMode: String?
    /// Object-lock retention end.
    public var objectLockRetainUntil: Date?
    /// Whether a legal hold is on.
    public var legalHold: Bool
    /// Number of parts, for multipart objects when S3 reports it.
    public var partsCount: Int?
    /// The CRC-32C the server stored with the object, when it reports one (HEAD and GET with
    /// `x-amz-checksum-mode: ENABLED`; see ``S3Client/headObject(bucket:key:versionID:checksumMode:)``).
    public var serverChecksum: ServerChecksum?

    package init(headers: HTTPHeaders) {
        contentLength = Int64(headers.first(name: "content-length") ?? "") ?? 0
        eTag = ETag.unquoted(headers.first(name: "etag") ?? "")
        lastModified = headers.first(name: "last-modified").flatMap(HTTPDate.parse)
        storageClass = headers.first(name: "x-amz-storage-class") ?? "STANDARD"
        var metadata: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower.hasPrefix("x-amz-meta-") { metadata[String(lower.dropFirst("x-amz-meta-".count))] = value }
        }
        self.metadata = metadata
        contentType = headers.first(name: "content-type")
        cacheControl = headers.first(name: "cache-control")
        contentEncoding = headers.first(name: "content-encoding")
        contentDisposition = headers.first(name: "content-disposition")
        contentLanguage = headers.first(name: "content-language")
        expires = headers.first(name: "expires")
        serverSideEncryption = headers.first(name: "x-amz-server-side-encryption")
        kmsKeyID = headers.first(name: "x-amz-server-side-encryption-aws-kms-key-id")
        bucketKeyEnabled = headers.first(name: "x-amz-server-side-encryption-bucket-key-enabled")?.lowercased() == "true"
        customerKeyAlgorithm = headers.first(name: "x-amz-server-side-encryption-customer-algorithm")
        versionID = headers.first(name: "x-amz-version-id")
        restore = headers.first(name: "x-amz-restore").flatMap(RestoreStatus.init(header:))
        objectLockMode = headers.first(name: "x-amz-object-lock-mode")
        objectLockRetainUntil = headers.first(name: "x-amz-object-lock-retain-until-date").flatMap(HTTPDate.parseISO8601)
        legalHold = headers.first(name: "x-amz-object-lock-legal-hold")?.uppercased() == "ON"
        partsCount = headers.first(name: "x-amz-mp-parts-count").flatMap { Int($0) }
        serverChecksum = ServerChecksum(header: headers.first(name: "x-amz-checksum-crc32c"),
                                        type: headers.first(name: "x-amz-checksum-type"))
    }

    /// Whether reading the object needs a restore first (GLACIER/DEEP_ARCHIVE without a
    /// finished restore). GLACIER_IR is read directly.
    public func needsRestore(at date: Date) -> Bool {
        guard storageClass == "GLACIER" || storageClass == "DEEP_ARCHIVE" else { return false }
        return !(restore?.isAvailable(at: date) ?? false)
    }
}
