import Foundation

/// One object of a `ListObjectsV2` page. See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html>.
public struct ObjectSummary: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// When the object was last written.
    public var lastModified: Date
    /// The ETag without quotes (MD5 hex for single-part uploads, `md5-N` for multipart).
    public var eTag: String
    /// Storage class as S3 names it (`STANDARD` when S3 omits it).
    public var storageClass: String

    /// Creates a summary.
    public init(key: String, size: Int64, lastModified: Date, eTag: String, storageClass: String) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.eTag = eTag
        self.storageClass = storageClass
    }

    package init?(xml: XMLNode) {
        guard let key = xml.string("Key"),
              let modified = xml.string("LastModified").flatMap(HTTPDate.parseISO8601) else { return nil }
        self.init(key: key, size: Int64(xml.string("Size") ?? "") ?? 0, lastModified: modified,
                  eTag: ETag.unquoted(xml.string("ETag") ?? ""),
                  storageClass: (xml.string("StorageClass")).flatMap { $0.isEmpty ? nil : $0 } ?? "STANDARD")
    }
}

/// One page of `ListObjectsV2`.
public struct ListObjectsPage: Sendable {
    /// Objects in key order.
    public var objects: [ObjectSummary]
    /// Prefixes rolled up by the delimiter.
    public var commonPrefixes: [String]
    /// Token for the next page, when the listing is truncated.
    public var nextContinuationToken: String?
}

/// ETags as S3 sends them: quoted (`"abc"`), or unquoted by RGW in some answers.
public enum ETag {
    /// The ETag without surrounding quotes (and without a weak `W/` prefix).
    public static func unquoted(_ value: String) -> String {
        var text = Substring(value)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        return String(text)
    }

    /// Whether the ETag is of a multipart upload (`<md5>-<parts>`), which is not an MD5 of the content.
    public static func isMultipart(_ value: String) -> Bool { unquoted(value).contains("-") }
}
