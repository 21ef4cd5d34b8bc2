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
        versionID = headers.first(name: "x-amz-version-id")
        restore = headers.first(name: "x-amz-restore").flatMap(RestoreStatus.init(header:))
        objectLockMode = headers.first(name: "x-amz-object-lock-mode")
        objectLockRetainUntil = headers.first(name: "x-amz-object-lock-retain-until-date").flatMap(HTTPDate.parseISO8601)
        legalHold = headers.first(name: "x-amz-object-lock-legal-hold")?.uppercased() == "ON"
        partsCount = headers.first(name: "x-amz-mp-parts-count").flatMap { Int($0) }
    }

    /// Whether reading the object needs a restore first (GLACIER/DEEP_ARCHIVE without a
    /// finished restore). GLACIER_IR is read directly.
    public func needsRestore(at date: Date) -> Bool {
        guard storageClass == "GLACIER" || storageClass == "DEEP_ARCHIVE" else { return false }
        return !(restore?.isAvailable(at: date) ?? false)
    }
}
