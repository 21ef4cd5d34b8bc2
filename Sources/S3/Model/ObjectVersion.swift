import Foundation

/// One entry of `ListObjectVersions`: a version or a delete marker.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>.
public struct ObjectVersion: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// The version id (`null` for objects written before versioning was enabled).
    public var versionID: String
    /// Whether this is the current version of the key.
    public var isLatest: Bool
    /// Whether this entry is a delete marker (no data, size 0).
    public var isDeleteMarker: Bool
    /// When the version was written.
    public var lastModified: Date
    /// Size in bytes (0 for delete markers).
    public var size: Int64
    /// ETag without quotes (empty for delete markers).
    public var eTag: String
    /// Storage class (`STANDARD` when omitted).
    public var storageClass: String

    /// Creates a version entry.
    public init(key: String, versionID: String, isLatest: Bool, isDeleteMarker: Bool, lastModified: Date,
                size: Int64, eTag: String, storageClass: String) {
        self.key = key
        self.versionID = versionID
        self.isLatest = isLatest
        self.isDeleteMarker = isDeleteMarker
        self.lastModified = lastModified
        self.size = size
        self.eTag = eTag
        self.storageClass = storageClass
    }

    package init?(xml: XMLNode, isDeleteMarker: Bool) {
        guard let key = xml.string("Key"),
              let modified = xml.string("LastModified").flatMap(HTTPDate.parseISO8601) else { return nil }
        self.init(key: key, versionID: xml.string("VersionId") ?? "null",
                  isLatest: xml.string("IsLatest") == "true", isDeleteMarker: isDeleteMarker,
                  lastModified: modified, size: Int64(xml.string("Size") ?? "") ?? 0,
                  eTag: ETag.unquoted(xml.string("ETag") ?? ""),
                  storageClass: xml.string("StorageClass").flatMap { $0.isEmpty ? nil : $0 } ?? "STANDARD")
    }
}

/// One page of `ListObjectVersions`, versions and delete markers merged in key order.
public struct ListVersionsPage: Sendable {
    /// Versions and delete markers, by key, newest first within a key.
    public var versions: [ObjectVersion]
    /// Markers for the next page, when truncated.
    public var nextKeyMarker: String?
    /// Version marker for the next page, when truncated.
    public var nextVersionIDMarker: String?
}
