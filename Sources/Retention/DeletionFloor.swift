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
        var tally = tally()
        for object in inventory.objects where object.isCurrent {
            tally.addCurrent(key: object.key)
            if deleted.contains(VersionKey(key: object.key, versionID: object.versionID)) { tally.addDeletion(ofCurrent: object.key) }
        }
        return tally.violations(now: now, confirmed: confirmed)
    }

    /// An empty ``Tally``: the floor's check fed one key at a time, for a bucket too large to hold.
    public func tally() -> Tally { Tally(floor: self) }

    /// A version as a delete names it; `nil` and `"null"` are the same (unversioned) version.
    private struct VersionKey: Hashable {
        var key: String
        var versionID: String?

        init(key: String, versionID: String?) {
            self.key = key
            self.versionID = versionID == "null" ? nil : versionID
        }
    }

    /// The floor's check over keys met one at a time, in any order: every current object, and
    /// every deletion of one. Memory grows with the sets, not the objects. Each component's keys
    /// are grouped into sets by the component's layout alone, so the check shares nothing with the
    /// planner but that grouping.
    public struct Tally {
        fileprivate let floor: DeletionFloor
        private let prefixes: [[UInt8]]
        private var groupers: [any SetGrouper]
        /// Per component, per set slot: whether a current object of the set was met.
        private var live: [[Bool]]
        /// Per component, per set slot: whether a deletion takes a current object of the set.
        private var hit: [[Bool]]
        /// Whether any deletion was met.
        private var deletes = false

        fileprivate init(floor: DeletionFloor) {
            self.floor = floor
            let policies = floor.policies.policies
            prefixes = policies.map { Array($0.prefix.utf8) }
            groupers = policies.map { $0.backupLayout.makeGrouper() }
            live = Array(repeating: [], count: policies.count)
            hit = Array(repeating: [], count: policies.count)
        }

        /// Counts a current object (a live object, or a versioned key's current version).
        public mutating func addCurrent(key: String) {
            if let (component, slot) = place(key) { live[component][slot] = true }
        }

        /// Counts a deletion of a current object. A deletion of a noncurrent version takes no set
        /// and is not to be counted.
        public mutating func addDeletion(ofCurrent key: String) {
            deletes = true
            if let (component, slot) = place(key) { hit[component][slot] = true }
        }

        /// The component and set slot of `key`, if it is a set's member.
        private mutating func place(_ key: String) -> (Int, Int)? {
            guard let component = Planner.owner(of: key, prefixes: prefixes),
                  case .member(let slot) = groupers[component].classify(key) else { return nil }
            while live[component].count <= slot {
                live[component].append(false)
                hit[component].append(false)
            }
            return (component, slot)
        }

        /// The series the counted deletions would take below the floor at `now`. `confirmed`
        /// maps a component to the set ids known to exist; `nil` (a fresh listing) counts every
        /// set met.
        public func violations(now: Date, confirmed: [String: Set<String>]? = nil) -> [Violation] {
            guard deletes else { return [] }
            let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
            return floor.policies.policies.indices.flatMap { component in
                let policy = floor.policies.policies[component]
                let known = confirmed?[policy.component] ?? (confirmed == nil ? nil : [])
                let sets = groupers[component].records.indices.compactMap { slot -> (SetRecord, survives: Bool)? in
                    guard slot < live[component].count, live[component][slot] else { return nil }
                    return (groupers[component].records[slot], !hit[component][slot])
                }
                return floor.check(policy, sets: sets, now: nowSeconds, confirmed: known)
            }
        }
    }

    /// The violations of one component whose live sets are `sets`, each with whether it survives
    /// the deletions.
    fileprivate func check(_ policy: Policy, sets: [(SetRecord, survives: Bool)], now: Int64,
                           confirmed: Set<String>?) -> [Violation] {
        let cutoff = now.saturatingAdd(policy.guards.futureTolerance.seconds)
        var bySeries: [String: [(SetRecord, survives: Bool)]] = [:]
        for set in sets where set.0.epoch <= cutoff && (confirmed?.contains(set.0.id) ?? true) {
            bySeries[set.0.series, default: []].append(set)
        }
        var violations: [Violation] = []
        for (series, sets) in bySeries.sorted(by: { $0.key < $1.key }) {
            let newestFirst = sets.sorted { $0.0.epoch != $1.0.epoch ? $0.0.epoch > $1.0.epoch : $0.0.id > $1.0.id }
            let required = min(policy.retention.keepLast ?? 1, sets.count)
            let left = newestFirst.count { $0.survives }
            guard left < required || !newestFirst[0].survives else { continue }
            violations.append(Violation(component: policy.component, series: series, left: left, required: required,
                                        newestDeleted: newestFirst[0].survives ? nil : newestFirst[0].0.id))
        }
        return violations
    }
}
