import Foundation
import Logging
import Retention
import S3

/// Confirms that the sets whose presence justifies a plan's deletions exist, for plans made from
/// an S3 Inventory report (a listing is confirmation enough). A report can be stale or forged:
/// rows for objects that are not in the bucket would count as the newest sets, take the keep
/// slots and anchor the windows, and push real sets out.
///
/// For each component the plan deletes from, the sets that hold a keep slot or the anchor
/// (`newest`, `keep_last`, `keep_within`, calendar slots) are checked: a few of each set's
/// objects must exist with the size and ETag the report gave. Rows that do not are removed and
/// the component is planned again, for a few rounds; a component whose keepers still cannot be
/// confirmed gets a blocking `keeperUnconfirmed` guard and no deletions. The checks and the
/// replanning are passed in, so the loop is tested without a server.
struct KeeperConfirmation: Sendable {
    /// One object version.
    struct Ref: Hashable, Sendable {
        var key: String
        var versionID: String?
    }

    /// One object a keeper check looks at, with what the report says it is.
    struct Reported: Hashable, Sendable {
        var ref: Ref
        var size: Int64
        var eTag: String?
    }

    /// The plan after removing what could not be confirmed.
    struct Outcome: Sendable {
        var plan: Plan
        var inventory: Inventory
        /// Per component with deletions, the ids of the keeper sets confirmed to exist.
        var confirmedSets: [String: Set<String>]
    }

    /// Keep reasons that hold a slot or the anchor.
    static let slotReasons: Set<KeepReason.Kind> = [.newest, .last, .within, .hourly, .daily, .weekly, .monthly, .yearly]

    /// The policies planned under (for each component's prefix).
    let policies: PolicySet
    /// Replans after removing rows that are not there, before giving up on a component.
    var rounds = 4
    /// Objects checked per keeper set: a set is one backup, so a few of its objects show it
    /// exists, and a forged set has no real object at all. pgBackRest manifests go first.
    var membersPerSet = 8

    /// Runs the confirmation. `exists` says, per object, whether it is in the bucket as
    /// reported; `replan` plans an inventory; `removed` hears each row dropped.
    func run(plan: Plan, inventory: Inventory,
             exists: ([Reported]) async throws -> [Ref: Bool],
             replan: (Inventory) async throws -> Plan,
             removed: (Ref) -> Void = { _ in }) async throws -> Outcome {
        var plan = plan, inventory = inventory
        var results: [Ref: Bool] = [:]
        for _ in 0..<rounds {
            let keepers = keeperObjects(plan, inventory: inventory)
            let unchecked = Set(keepers.values.flatMap { $0.values.flatMap { $0 } }).filter { results[$0.ref] == nil }
            results.merge(try await exists(Array(unchecked))) { $1 }
            let phantoms = Set(results.filter { !$0.value }.keys)
            let present = Set(inventory.objects.map { Ref(key: $0.key, versionID: $0.versionID) })
            let toRemove = phantoms.intersection(present)
            guard !toRemove.isEmpty else {
                return Outcome(plan: plan, inventory: inventory, confirmedSets: keepers.mapValues { Set($0.keys) })
            }
            toRemove.sorted { ($0.key, $0.versionID ?? "") < ($1.key, $1.versionID ?? "") }.forEach(removed)
            inventory.objects.removeAll { toRemove.contains(Ref(key: $0.key, versionID: $0.versionID)) }
            plan = try await replan(inventory)
        }
        return blockingUnconfirmed(plan, inventory: inventory, results: results)
    }

    /// Per component that deletes something: per keeper set id, the objects to check.
    func keeperObjects(_ plan: Plan, inventory: Inventory) -> [String: [String: [Reported]]] {
        let deleting = plan.actions.compactMap { action -> String? in
            if case .delete = action { return action.key } else { return nil }
        }
        var current: [String: InventoryObject] = [:]
        for object in inventory.objects where object.isCurrent { current[object.key] = object }
        var keepers: [String: [String: [Reported]]] = [:]
        for component in plan.components {
            guard let prefix = policies.policy(named: component.component)?.prefix, deleting.contains(where: { $0.hasPrefix(prefix) }) else { continue }
            for set in component.sets where set.reasons.contains(where: { Self.slotReasons.contains($0.kind) }) {
                let members = set.members.sorted { (Self.rank($0), $0) < (Self.rank($1), $1) }
                keepers[component.component, default: [:]][set.id] = members.prefix(membersPerSet).compactMap { key in
                    current[key].map { Reported(ref: Ref(key: key, versionID: $0.versionID), size: $0.size, eTag: $0.eTag) }
                }
            }
        }
        return keepers
    }

    private static func rank(_ key: String) -> Int { key.hasSuffix("/backup.manifest") ? 0 : 1 }

    /// `plan` with no deletions for the components whose keepers could not be confirmed, each
    /// with a blocking `keeperUnconfirmed` guard naming the objects that are not there.
    private func blockingUnconfirmed(_ plan: Plan, inventory: Inventory, results: [Ref: Bool]) -> Outcome {
        var plan = plan
        let keepers = keeperObjects(plan, inventory: inventory)
        var confirmed: [String: Set<String>] = [:]
        var blocked = Set<String>()
        for (slot, component) in plan.components.enumerated() {
            guard let sets = keepers[component.component] else { continue }
            let missing = sets.values.flatMap { $0 }.filter { results[$0.ref] != true }.map(\.ref.key).sorted()
            guard !missing.isEmpty else {
                confirmed[component.component] = Set(sets.keys)
                continue
            }
            plan.components[slot].guards.append(GuardFinding(
                kind: .keeperUnconfirmed, component: component.component, series: "", blocking: true,
                message: "blocked: sets that hold keep slots are still not in the bucket as the inventory report says after \(rounds) replans (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", ..." : "")); no deletes for this component; check the report, or sweep from a listing"))
            blocked.insert(component.component)
        }
        plan.actions = plan.actions.removingDeletions(of: blocked, policies: policies)
        return Outcome(plan: plan, inventory: inventory, confirmedSets: confirmed)
    }
}

extension PlanMaker {
    /// A plan from an inventory report whose deletions rest only on sets that exist (see
    /// ``KeeperConfirmation``): one HEAD per checked object, the keepers of a component, not
    /// the bucket. Returns the plan, the inventory without the rows that are not there, and
    /// the confirmed keeper sets per component (for ``DeletionFloor``).
    public func confirmingKeepers(_ plan: Plan, inventory: Inventory, now: Date)
        async throws -> (plan: Plan, inventory: Inventory, confirmedSets: [String: Set<String>]) {
        let confirmation = KeeperConfirmation(policies: try context.requirePolicies())
        let outcome = try await confirmation.run(
            plan: plan, inventory: inventory, exists: existsAsReported,
            replan: { try await self.plan(inventory: $0, now: now).plan },
            removed: { ref in
                context.logger.warning("an inventory report row that holds a keep slot is not in the bucket as reported; planning without it",
                                       metadata: ["key": "\(ref.key)", "version": "\(ref.versionID ?? "-")"])
            })
        return (outcome.plan, outcome.inventory, outcome.confirmedSets)
    }

    /// HEADs each object: true when it exists with the reported size and ETag.
    private func existsAsReported(_ objects: [KeeperConfirmation.Reported]) async throws -> [KeeperConfirmation.Ref: Bool] {
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
}
