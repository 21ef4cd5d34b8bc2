import Foundation

/// Decides the fate of noncurrent versions and delete markers that no expiring set takes with
/// it, following S3 lifecycle's NoncurrentVersionExpiration and ExpiredObjectDeleteMarker
/// semantics: a version expires once it has been noncurrent for `noncurrent.expire_after`; a
/// delete marker that is the latest version goes once nothing is left behind it. Locked or held
/// versions are never deleted. Without `expire_after` (`noncurrent: keep`) everything is kept
/// and only listed.
/// See https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-configuration-examples.html
struct NoncurrentPlanner {
    let policy: Policy
    let objects: [InventoryObject]
    let now: Int64
    let bypassGovernance: Bool
    let pricing: PricingTable
    /// Versions never deleted: the newest data version of each hidden key of a set the policy
    /// keeps (a backup someone hid with a delete marker is still a kept backup).
    var protected: Set<ObjectIndex> = []

    /// Entries for every noncurrent version not already `deleted`, and the ones to delete (with
    /// their reason). `allowDeletes` is false when a guard withholds the component's deletions.
    func plan(indices: [ObjectIndex], deleted: [Bool], allowDeletes: Bool) -> (entries: [NoncurrentVersion], deletes: [(ObjectIndex, String)]) {
        let planned = indexedPlan(indices: indices, deleted: deleted, allowDeletes: allowDeletes)
        return (planned.entries.map(\.entry), planned.deletes)
    }

    /// ``plan(indices:deleted:allowDeletes:)``, each entry with the index of its version.
    func indexedPlan(indices: [ObjectIndex], deleted: [Bool], allowDeletes: Bool)
        -> (entries: [(index: ObjectIndex, entry: NoncurrentVersion)], deletes: [(ObjectIndex, String)]) {
        // Keys by their bytes: an equivalent spelling someone planted is another key (``KeyOrder``).
        var keys = Set<ExactKey>()
        for index in indices where !objects[index].isCurrent { keys.insert(ExactKey(key: objects[index].key)) }
        guard !keys.isEmpty else { return ([], []) }
        var byKey: [ExactKey: [ObjectIndex]] = [:]
        for index in indices {
            let key = ExactKey(key: objects[index].key)
            if keys.contains(key) { byKey[key, default: []].append(index) }
        }

        var entries: [(index: ObjectIndex, entry: NoncurrentVersion)] = []
        var deletes: [(ObjectIndex, String)] = []
        for exact in keys.sorted(by: { KeyOrder.precedes($0.key, $1.key) }) {
            let key = exact.key
            let versions = (byKey[exact] ?? []).sorted {
                let a = objects[$0], b = objects[$1]
                return a.lastModified != b.lastModified ? a.lastModified < b.lastModified : !a.isLatest && b.isLatest
            }
            let hidden = !versions.contains { objects[$0].isCurrent }
            var gone = Set(versions.filter { deleted[Int($0)] })
            for (position, index) in versions.enumerated() where !objects[index].isCurrent && !deleted[Int(index)] {
                let object = objects[index]
                let since = position + 1 < versions.count ? objects[versions[position + 1]].lastModified : nil
                var entry = NoncurrentVersion(
                    key: key, versionID: object.versionID, isDeleteMarker: object.isDeleteMarker, hidden: hidden,
                    size: object.size, storageClass: object.storageClass, noncurrentSince: since, decision: .keep, reason: "",
                    projectedExpiry: nil,
                    monthlyCost: object.isDeleteMarker ? 0 : pricing.monthlyCost(size: object.size, in: object.storageClass))
                let (expire, reason, expiry) = protected.contains(index)
                    ? (false, "newest version of a set the policy keeps (hidden by a delete marker; strata undelete restores it)", nil)
                    : decide(object, since: since, othersGone: versions.allSatisfy { $0 == index || gone.contains($0) }, allowDeletes: allowDeletes)
                entry.reason = reason
                entry.projectedExpiry = expiry
                if expire {
                    entry.decision = .expire
                    gone.insert(index)
                    deletes.append((index, reason))
                }
                entries.append((index, entry))
            }
        }
        return (entries, deletes)
    }

    private func decide(_ object: InventoryObject, since: Date?, othersGone: Bool, allowDeletes: Bool) -> (Bool, String, Date?) {
        guard let after = policy.noncurrentExpireAfter else {
            return (false, "noncurrent: keep (\(policy.sourcePath))", nil)
        }
        if let lock = object.objectLock {
            if lock.legalHold { return (false, "blocked by legal hold", nil) }
            if let until = lock.retainUntil, Int64(until.timeIntervalSince1970) > now, !(lock.mode == .governance && bypassGovernance) {
                return (false, "blocked by object lock until \(CivilTime.iso8601(Int64(until.timeIntervalSince1970.rounded(.up)))) (\(lock.mode?.rawValue ?? "COMPLIANCE"))", until)
            }
        }
        let expire: Bool
        let reason: String
        var expiry: Date?
        if let since {
            let sinceSeconds = Int64(since.timeIntervalSince1970)
            expiry = Date(timeIntervalSince1970: TimeInterval(sinceSeconds + after.seconds))
            expire = now - sinceSeconds >= after.seconds
            reason = "noncurrent since \(CivilTime.iso8601(sinceSeconds))" + (expire ? ", longer than noncurrent.expire_after \(after)" : "; noncurrent.expire_after \(after)")
        } else {
            expire = othersGone
            reason = othersGone ? "delete marker with no versions left behind it" : "delete marker hiding versions that are still kept"
        }
        guard expire else { return (false, reason, expiry) }
        guard allowDeletes else { return (false, reason + "; withheld: a guard blocks this component's deletions", expiry) }
        return (true, reason, expiry)
    }
}
