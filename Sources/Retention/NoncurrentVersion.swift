import Foundation

/// A noncurrent version or delete marker under a component's prefix (versioned buckets) that is
/// not part of a set the plan expires: what it is, what it costs, and what the plan does with it
/// under the policy's `noncurrent` option.
public struct NoncurrentVersion: Codable, Sendable, Hashable {
    /// The key.
    public var key: String
    /// The version id.
    public var versionID: String?
    /// Whether this is a delete marker (no bytes; removing one frees nothing).
    public var isDeleteMarker: Bool
    /// Whether no current version of the key exists: the backup is hidden by a delete marker, or
    /// only old versions remain.
    public var hidden: Bool
    /// Bytes.
    public var size: Int64
    /// Storage class.
    public var storageClass: StorageClass
    /// When the version stopped being current (the next version's time); `nil` for a latest marker.
    public var noncurrentSince: Date?
    /// Keep or expire.
    public var decision: PlanSet.Decision
    /// Why, in words.
    public var reason: String
    /// When the `noncurrent` option lets it go, if it does.
    public var projectedExpiry: Date?
    /// Monthly storage cost at list prices, USD.
    public var monthlyCost: Double

    /// Creates an entry.
    public init(key: String, versionID: String?, isDeleteMarker: Bool, hidden: Bool, size: Int64, storageClass: StorageClass,
                noncurrentSince: Date?, decision: PlanSet.Decision, reason: String, projectedExpiry: Date?, monthlyCost: Double) {
        self.key = key
        self.versionID = versionID
        self.isDeleteMarker = isDeleteMarker
        self.hidden = hidden
        self.size = size
        self.storageClass = storageClass
        self.noncurrentSince = noncurrentSince
        self.decision = decision
        self.reason = reason
        self.projectedExpiry = projectedExpiry
        self.monthlyCost = monthlyCost
    }
}
