import Foundation

/// Object and byte counts.
public struct PlanTotals: Codable, Sendable, Hashable {
    /// Count and bytes in one storage class.
    public struct ClassTotal: Codable, Sendable, Hashable {
        /// Storage class.
        public var storageClass: StorageClass
        /// Objects (all versions).
        public var objects: Int
        /// Bytes.
        public var bytes: Int64
    }

    /// Objects (all versions) under the managed prefixes.
    public var objects: Int = 0
    /// Their bytes.
    public var bytes: Int64 = 0
    /// Per storage class, sorted by class.
    public var byClass: [ClassTotal] = []
    /// Backup sets.
    public var sets: Int = 0
    /// Sets expiring.
    public var expiringSets: Int = 0
    /// Delete actions.
    public var deletes: Int = 0
    /// Bytes those deletes free.
    public var deleteBytes: Int64 = 0
    /// Transition actions.
    public var transitions: Int = 0
    /// Bytes transitioned.
    public var transitionBytes: Int64 = 0
    /// Upload aborts.
    public var abortedUploads: Int = 0
    /// Unrecognized keys.
    public var unrecognized: Int = 0

    /// Adds `other` in. Byte sums saturate at `Int64.max`, as each component's do: sizes come
    /// from the bucket, and a planted absurd size must not trap the planner.
    mutating func add(_ other: PlanTotals) {
        objects += other.objects
        bytes = bytes.saturatingAdd(other.bytes)
        sets += other.sets
        expiringSets += other.expiringSets
        deletes += other.deletes
        deleteBytes = deleteBytes.saturatingAdd(other.deleteBytes)
        transitions += other.transitions
        transitionBytes = transitionBytes.saturatingAdd(other.transitionBytes)
        abortedUploads += other.abortedUploads
        unrecognized += other.unrecognized
        var merged: [StorageClass: ClassTotal] = Dictionary(uniqueKeysWithValues: byClass.map { ($0.storageClass, $0) })
        for total in other.byClass {
            merged[total.storageClass, default: ClassTotal(storageClass: total.storageClass, objects: 0, bytes: 0)].objects += total.objects
            merged[total.storageClass, default: ClassTotal(storageClass: total.storageClass, objects: 0, bytes: 0)].bytes.saturatingIncrease(by: total.bytes)
        }
        byClass = merged.values.sorted { $0.storageClass < $1.storageClass }
    }
}

/// Money, in USD at the pricing table's prices.
public struct PlanCost: Codable, Sendable, Hashable {
    /// Monthly storage cost of the objects as they are.
    public var monthlyBefore: Double = 0
    /// Monthly storage cost once the plan is applied.
    public var monthlyAfter: Double = 0
    /// One-off cost of the transition requests.
    public var transitionRequests: Double = 0
    /// One-off minimum-duration charges for deleting or moving objects early.
    public var earlyDeletion: Double = 0

    mutating func add(_ other: PlanCost) {
        monthlyBefore += other.monthlyBefore
        monthlyAfter += other.monthlyAfter
        transitionRequests += other.transitionRequests
        earlyDeletion += other.earlyDeletion
    }
}
