import Foundation
import Logging
import Retention
import S3

extension PlanMaker {
    /// A plan from an inventory report whose deletions rest only on sets that exist.
    public struct ConfirmedPlan: Sendable {
        /// The plan after removing what could not be confirmed.
        public var plan: Plan
        /// The inventory it was made from (rows that could not be confirmed removed).
        public var inventory: Inventory
        /// Per component with deletions, the ids of the sets that hold keep slots and were
        /// confirmed with HEAD; for ``DeletionFloor``.
        public var confirmedSets: [String: Set<String>]
    }

    /// Keep reasons that hold a slot or the anchor: the sets whose presence lets older sets go.
    static let slotReasons: Set<KeepReason.Kind> = [.newest, .last, .within, .hourly, .daily, .weekly, .monthly, .yearly]
    /// Members of one keeper set checked with HEAD: a set is one backup, so a few of its objects
    /// show it exists; a forged set has no real object at all. pgBackRest manifests go first.
    static let membersCheckedPerSet = 8
    /// Replans after removing rows that turned out not to exist, before giving up on a component.
    static let keeperRounds = 4

    /// Confirms, for each component the report plan deletes from, that the sets whose presence
    /// justifies the deletions exist in the bucket with the size and ETag the report gave. A
    /// report row for an object that is gone or different (a stale or forged report) is removed
    /// and the component is planned again without it; a component whose keepers still cannot be
    /// confirmed after a few rounds gets a blocking `keeperUnconfirmed` guard and no deletions.
    /// One HEAD per checked object: the keepers of a component, not the bucket.
    public func confirmingKeepers(_ plan: Plan, inventory: Inventory, now: Date) async throws -> ConfirmedPlan {
        var plan = plan, inventory = inventory
        var results: [ObjectRef: Bool] = [:]
        for _ in 0..<Self.keeperRounds {
            let keepers = keeperObjects(plan, inventory: inventory)
            let unchecked = Set(keepers.values.flatMap { $0.values.flatMap { $0 } }).filter { results[$0.ref] == nil }
            let found = try await existsAsReported(Array(unchecked))
            results.merge(found) { $1 }
            let phantoms = Set(results.filter { !$0.value }.keys)
            let withPhantoms = keepers.filter { _, sets in sets.values.contains { $0.contains { phantoms.contains($0.ref) } } }
            guard !withPhantoms.isEmpty else {
                return ConfirmedPlan(plan: plan, inventory: inventory, confirmedSets: keepers.mapValues { Set($0.keys) })
            }
            for ref in phantoms.sorted(by: { ($0.key, $0.versionID ?? "") < ($1.key, $1.versionID ?? "") }) {
                context.logger.warning("an inventory report row that holds a keep slot is not in the bucket as reported; planning without it",
                                       metadata: ["key": "\(ref.key)", "version": "\(ref.versionID ?? "-")"])
            }
            inventory.objects.removeAll { phantoms.contains(ObjectRef(key: $0.key, versionID: $0.versionID)) }
            plan = try await self.plan(inventory: inventory, now: now).plan
        }
        return blockingUnconfirmed(plan, inventory: inventory, results: results)
    }

    /// One object a keeper check looks at, with what the report says it is.
    struct ReportedObject: Hashable, Sendable {
        var ref: ObjectRef
        var size: Int64
        var eTag: String?
    }

    /// Per component that deletes something: per keeper set id, the objects to check.
    private func keeperObjects(_ plan: Plan, inventory: Inventory) -> [String: [String: [ReportedObject]]] {
        let deleting = Set(plan.actions.compactMap { action -> String? in
            if case .delete = action { return action.key } else { return nil }
        })
        var current: [String: InventoryObject] = [:]
        for object in inventory.objects where object.isCurrent { current[object.key] = object }
        var keepers: [String: [String: [ReportedObject]]] = [:]
        for component in plan.components where deletesUnder(component, deleting) {
            for set in component.sets where set.reasons.contains(where: { Self.slotReasons.contains($0.kind) }) {
                let members = set.members.sorted { ($0.hasSuffix("/backup.manifest") ? 0 : 1, $0) < ($1.hasSuffix("/backup.manifest") ? 0 : 1, $1) }
                keepers[component.component, default: [:]][set.id] = members.prefix(Self.membersCheckedPerSet).compactMap { key in
                    current[key].map { ReportedObject(ref: ObjectRef(key: key, versionID: $0.versionID), size: $0.size, eTag: $0.eTag) }
                }
            }
        }
        return keepers
    }

    /// Whether the plan deletes anything of `component` outside its sets (WAL, noncurrent versions).
    private func deletesUnder(_ component: ComponentPlan, _ deleting: Set<String>) -> Bool {
        guard let prefix = (try? context.requirePolicies())?.policy(named: component.component)?.prefix else { return false }
        return deleting.contains { $0.hasPrefix(prefix) }
    }

    /// HEADs each object: true when it exists with the reported size and ETag.
    private func existsAsReported(_ objects: [ReportedObject]) async throws -> [ObjectRef: Bool] {
        let client = context.client
        let bucket = context.bucket
        let found = try await Self.boundedMap(objects, limit: concurrency) { object -> Bool in
            do {
                let head = try await client.headObject(bucket: bucket, key: object.ref.key, versionID: object.ref.versionID)
                let eTagMatches = object.eTag.map { head.eTag.trimmingCharacters(in: ["\""]) == $0.trimmingCharacters(in: ["\""]) } ?? true
                return head.contentLength == object.size && eTagMatches
            } catch let error as S3Error where error.status == 404 {
                return false
            }
        }
        return Dictionary(found.map { ($0.key.ref, $0.value) }) { $0 && $1 }
    }

    /// `plan` with no deletions for the components whose keepers could not be confirmed, each
    /// with a blocking `keeperUnconfirmed` guard naming the missing objects.
    private func blockingUnconfirmed(_ plan: Plan, inventory: Inventory, results: [ObjectRef: Bool]) -> ConfirmedPlan {
        var plan = plan
        let keepers = keeperObjects(plan, inventory: inventory)
        var confirmed: [String: Set<String>] = [:]
        var blockedPrefixes: [String] = []
        let policies = try? context.requirePolicies()
        for (slot, component) in plan.components.enumerated() {
            guard let sets = keepers[component.component] else { continue }
            let missing = sets.values.flatMap { $0 }.filter { results[$0.ref] != true }.map(\.ref.key).sorted()
            guard !missing.isEmpty else {
                confirmed[component.component] = Set(sets.keys)
                continue
            }
            plan.components[slot].guards.append(GuardFinding(
                kind: .keeperUnconfirmed, component: component.component, series: "", blocking: true,
                message: "blocked: sets that hold keep slots are not in the bucket as the inventory report says after \(Self.keeperRounds) replans (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", ..." : "")); no deletes for this component; check the report, or sweep from a listing"))
            if let prefix = policies?.policy(named: component.component)?.prefix { blockedPrefixes.append(prefix) }
        }
        plan.actions.removeAll { action in
            if case .delete = action { return blockedPrefixes.contains { action.key.hasPrefix($0) } }
            return false
        }
        return ConfirmedPlan(plan: plan, inventory: inventory, confirmedSets: confirmed)
    }
}
