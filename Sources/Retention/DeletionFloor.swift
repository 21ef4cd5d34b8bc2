import Foundation

/// The floor no flag lifts: whatever the rules, the guards and `--force` say, each series of
/// each component keeps its newest set and at least `min(keep_last, sets)` sets (1 without
/// `keep_last`). Only sets known to exist count: live sets of a fresh listing, or the sets a
/// sweep from an inventory report confirmed with HEAD; future-dated sets never count.
///
/// This is defence in depth, checked on the final list of deletions just before they are made.
/// It shares only the grouping of keys into sets with the planner, not its rules, so a bug in
/// the rule engine (or a plan edited on its way to the executor) cannot take a component below
/// the floor.
public struct DeletionFloor: Sendable {
    /// The policies the deletions were planned under.
    public let policies: PolicySet

    /// Creates a floor check.
    public init(policies: PolicySet) { self.policies = policies }

    /// One series that the deletions would take below the floor.
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        /// The component.
        public var component: String
        /// The series ("" when the layout has none).
        public var series: String
        /// Sets that would be left.
        public var left: Int
        /// Sets the floor requires.
        public var required: Int
        /// The newest set, if the deletions take it.
        public var newestDeleted: String?

        /// One line for the journal and the operator.
        public var description: String {
            let series = self.series.isEmpty ? "" : " series \(self.series)"
            let newest = newestDeleted.map { "; the newest set \($0) would be deleted" } ?? ""
            return "floor: \(component)\(series) would keep \(left) set(s), fewer than the \(required) the floor requires\(newest); none of \(component)'s deletions were made"
        }
    }

    /// The series that `actions`' deletions would take below the floor, given the objects
    /// `inventory` holds at `now`. `confirmed` maps a component to the set ids known to exist;
    /// `nil` (a fresh listing) counts every set of the inventory.
    public func violations(actions: [PlanAction], inventory: Inventory, now: Date,
                           confirmed: [String: Set<String>]? = nil) -> [Violation] {
        var deleted = Set<VersionKey>()
        for case .delete(let key, let versionID, _) in actions { deleted.insert(VersionKey(key: key, versionID: versionID)) }
        guard !deleted.isEmpty else { return [] }
        let owned = Planner.partition(inventory.objects, by: policies.policies)
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        return policies.policies.indices.flatMap { slot in
            check(policies.policies[slot], indices: owned[slot], objects: inventory.objects, deleted: deleted, now: nowSeconds,
                  confirmed: confirmed?[policies.policies[slot].component] ?? (confirmed == nil ? nil : []))
        }
    }

    /// A version as a delete names it; `nil` and `"null"` are the same (unversioned) version.
    private struct VersionKey: Hashable {
        var key: String
        var versionID: String?

        init(key: String, versionID: String?) {
            self.key = key
            self.versionID = versionID == "null" ? nil : versionID
        }
    }

    private func check(_ policy: Policy, indices: [ObjectIndex], objects: [InventoryObject], deleted: Set<VersionKey>,
                       now: Int64, confirmed: Set<String>?) -> [Violation] {
        let grouping = SetGrouping(policy: policy, objects: objects, indices: indices)
        let cutoff = now.saturatingAdd(policy.guards.futureTolerance.seconds)
        var bySeries: [String: [SetRecord]] = [:]
        for set in grouping.sets where set.epoch <= cutoff && (confirmed?.contains(set.id) ?? true) {
            bySeries[set.series, default: []].append(set)
        }
        var violations: [Violation] = []
        for (series, sets) in bySeries.sorted(by: { $0.key < $1.key }) {
            let newestFirst = sets.sorted { $0.epoch != $1.epoch ? $0.epoch > $1.epoch : $0.id > $1.id }
            let survives = newestFirst.map { set in
                !set.current.contains { deleted.contains(VersionKey(key: objects[$0].key, versionID: objects[$0].versionID)) }
            }
            let required = min(policy.retention.keepLast ?? 1, sets.count)
            let left = survives.count { $0 }
            guard left < required || !survives[0] else { continue }
            violations.append(Violation(component: policy.component, series: series, left: left, required: required,
                                        newestDeleted: survives[0] ? nil : newestFirst[0].id))
        }
        return violations
    }
}
