import Foundation

/// What an S3 Inventory report says an object is: its ETag and its modification time. A sweep
/// from a report deletes an object only while the key still holds the object the report
/// described; a key written again since (a new backup under an old name) is left alone.
public struct ReportedIdentity: Sendable, Hashable {
    /// The reported ETag, without quotes as the report gives it; `nil` when the report has no
    /// ETag column.
    public var eTag: String?
    /// The reported modification time.
    public var lastModified: Date
    /// Whether the report said the version is a delete marker.
    public var isDeleteMarker: Bool

    /// The identity the report gave `object`.
    public init(of object: InventoryObject) {
        eTag = object.eTag
        lastModified = object.lastModified
        isDeleteMarker = object.isDeleteMarker
    }

    /// Creates an identity.
    public init(eTag: String?, lastModified: Date, isDeleteMarker: Bool = false) {
        self.eTag = eTag
        self.lastModified = lastModified
        self.isDeleteMarker = isDeleteMarker
    }

    /// Whether an object whose HEAD gave `eTag` and `lastModified` is this one: the ETags
    /// compared without quotes, or, when the report has none, the times within a second
    /// (reports and HEAD round them differently). Never for a reported delete marker: S3 refuses
    /// a HEAD of a marker's version (405; RGW answers 404), so a HEAD that answers finds data
    /// the report called a marker, and a plan that took it for one must not delete it.
    public func matches(eTag headETag: String, lastModified headModified: Date?) -> Bool {
        guard !isDeleteMarker else { return false }
        if let eTag { return Self.sameETag(headETag, eTag) }
        guard let headModified else { return false }
        return abs(headModified.timeIntervalSince(lastModified)) < 1
    }

    /// Whether two ETags are the same, compared without their quotes (a report gives them bare,
    /// HEAD quoted).
    public static func sameETag(_ a: String, _ b: String) -> Bool {
        a.trimmingCharacters(in: ["\""]) == b.trimmingCharacters(in: ["\""])
    }
}
