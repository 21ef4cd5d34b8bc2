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
    typealias Ref = PlanMaker.ObjectRef

    /// One object a keeper check looks at, with what the report says it is.
    struct Reported: Hashable, Sendable {
        var ref: Ref
        var size: Int64
        var eTag: String?
    }

    /// Per component that deletes something: per keeper set id, the objects to check.
    typealias Keepers = [String: [String: [Reported]]]

    /// The plan after removing what could not be confirmed.
    struct Outcome: Sendable {
        var plan: Plan
        var inventory: Inventory
        /// Per component with deletions, the ids of the keeper sets confirmed to exist.
        var confirmedSets: [String: Set<String>]
    }

    /// What the confirmation loop ends with, for any kind of plan.
    struct Confirmed<Planned> {
        /// The last plan made.
        var plan: Planned
        /// Per component with deletions whose keepers were all confirmed, the ids of those sets.
        var confirmedSets: [String: Set<String>]
        /// Per component whose keepers were still not all confirmed after ``rounds`` replans, the
        /// keys of the objects not confirmed, sorted: its deletions must be blocked
        /// (``unconfirmedGuards(_:)``).
        var unconfirmed: [String: [String]]
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

    /// Runs the confirmation on a plan made in memory. `exists` says, per object, whether it is
    /// in the bucket as reported; `replan` plans an inventory with blocking guards imposed on
    /// some components (none but for the last plan, of components whose keepers never
    /// confirmed); `removed` hears each row dropped.
    func run(plan: Plan, inventory: Inventory,
             exists: ([Reported]) async throws -> [Ref: Bool],
             replan: (Inventory, _ imposing: [String: GuardFinding]) async throws -> Plan,
             removed: (Ref) -> Void = { _ in }) async throws -> Outcome {
        struct Planned {
            var plan: Plan
            var inventory: Inventory
        }
        let confirmed = try await confirm(
            Planned(plan: plan, inventory: inventory), keepers: { keeperObjects($0.plan, inventory: $0.inventory) }, exists: exists,
            replan: { refs in
                var inventory = inventory
                inventory.objects.removeAll { refs.contains(Ref(key: $0.key, versionID: $0.versionID)) }
                return Planned(plan: try await replan(inventory, [:]), inventory: inventory)
            }, removed: removed)
        var plan = confirmed.plan.plan
        if !confirmed.unconfirmed.isEmpty { plan = try await replan(confirmed.plan.inventory, unconfirmedGuards(confirmed.unconfirmed)) }
        return Outcome(plan: plan, inventory: confirmed.plan.inventory, confirmedSets: confirmed.confirmedSets)
    }

    /// The confirmation loop: the keepers of `plan` are checked (each object once); rows not in
    /// the bucket as reported are removed and the bucket planned again without them, for up to
    /// ``rounds`` replans. `keepers` names a plan's objects to check, `replan` plans without
    /// every row removed so far, `removed` hears each row as it is removed.
    func confirm<Planned>(_ plan: consuming Planned, keepers: (Planned) throws -> Keepers,
                          exists: ([Reported]) async throws -> [Ref: Bool],
                          replan: (Set<Ref>) async throws -> Planned,
                          removed: (Ref) -> Void = { _ in }) async throws -> Confirmed<Planned> {
        var results: [Ref: Bool] = [:]
        var removedAll = Set<Ref>()
        for _ in 0..<rounds {
            let picked = try keepers(plan)
            let unchecked = Set(picked.values.flatMap { $0.values.flatMap { $0 } }).filter { results[$0.ref] == nil }
            results.merge(try await exists(Array(unchecked))) { $1 }
            // Keepers are picked from the rows still planned: a row found missing is removed once.
            let toRemove = Set(results.filter { !$0.value }.keys).subtracting(removedAll)
            guard !toRemove.isEmpty else {
                return Confirmed(plan: plan, confirmedSets: picked.mapValues { Set($0.keys) }, unconfirmed: [:])
            }
            toRemove.sorted { ($0.key, $0.versionID ?? "") < ($1.key, $1.versionID ?? "") }.forEach(removed)
            removedAll.formUnion(toRemove)
            // The plan being replaced is let go before its successor is made: a streamed plan
            // holds up to a run of sorted placements in memory (96 MiB).
            _ = consume plan
            plan = try await replan(removedAll)
        }
        // The last replan's keepers are not checked: any of them not confirmed blocks.
        var confirmed: [String: Set<String>] = [:]
        var unconfirmed: [String: [String]] = [:]
        for (component, sets) in try keepers(plan) {
            let missing = sets.values.flatMap { $0 }.filter { results[$0.ref] != true }.map(\.ref.key).sorted()
            if missing.isEmpty { confirmed[component] = Set(sets.keys) } else { unconfirmed[component] = missing }
        }
        return Confirmed(plan: plan, confirmedSets: confirmed, unconfirmed: unconfirmed)
    }

    /// The blocking guards of the components whose keepers could not be confirmed (from
    /// ``Confirmed/unconfirmed``), each naming objects that are not there, to impose on the
    /// last plan (``PlanOptions/imposedGuards``).
    func unconfirmedGuards(_ unconfirmed: [String: [String]]) -> [String: GuardFinding] {
        unconfirmed.reduce(into: [:]) { guards, entry in
            let (component, missing) = entry
            guards[component] = GuardFinding(
                kind: .keeperUnconfirmed, component: component, series: "", blocking: true,
                message: "blocked: sets that hold keep slots are still not in the bucket as the inventory report says after \(rounds) replans (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", ..." : "")); no deletes for this component; check the report, or sweep from a listing")
        }
    }

    /// Per component that deletes something: per keeper set id, the objects to check.
    func keeperObjects(_ plan: Plan, inventory: Inventory) -> Keepers {
        var current: [String: InventoryObject] = [:]
        for object in inventory.objects where object.isCurrent { current[object.key] = object }
        var keepers: Keepers = [:]
        for component in plan.components where component.totals.deletes > 0 {
            for set in component.sets where Self.holdsSlot(set) {
                let members = set.members.sorted { (Self.rank($0), $0) < (Self.rank($1), $1) }
                keepers[component.component, default: [:]][set.id] = members.prefix(membersPerSet).compactMap { key in
                    current[key].map { Reported(ref: Ref(key: key, versionID: $0.versionID), size: $0.size, eTag: $0.eTag) }
                }
            }
        }
        return keepers
    }

    /// ``keeperObjects(_:inventory:)`` for a plan without members (a streamed plan's summary):
    /// the same objects, picked from one walk of `objects`, in memory that holds
    /// ``membersPerSet`` objects per keeper set.
    func keeperObjects(_ summary: Plan, objects: some ObjectStream) throws -> Keepers {
        var components: [(name: String, policy: Policy, sets: Set<String>)] = []
        var keepers: Keepers = [:]
        for component in summary.components where component.totals.deletes > 0 {
            guard let policy = policies.policy(named: component.component) else { continue }
            let ids = Set(component.sets.filter(Self.holdsSlot).map(\.id))
            components.append((component.component, policy, ids))
            keepers[component.component] = Dictionary(uniqueKeysWithValues: ids.map { ($0, []) })
        }
        guard !components.isEmpty else { return [:] }
        let prefixes = components.map { Array($0.policy.prefix.utf8) }
        try objects.forEachObject(whereKey: { Planner.owner(of: $0, prefixes: prefixes) != nil }) { object in
            guard object.isCurrent, let slot = Planner.owner(of: object.key, prefixes: prefixes),
                  let id = components[slot].policy.setID(ofKey: object.key), components[slot].sets.contains(id) else { return }
            let reported = Reported(ref: Ref(key: object.key, versionID: object.versionID), size: object.size, eTag: object.eTag)
            var picked = keepers[components[slot].name]?[id] ?? []
            // A key listed twice counts once, as its last row (as a dictionary of current objects has it).
            if let same = picked.firstIndex(where: { $0.ref.key == object.key }) {
                picked[same] = reported
            } else {
                picked.append(reported)
                picked.sort { (Self.rank($0.ref.key), $0.ref.key) < (Self.rank($1.ref.key), $1.ref.key) }
                if picked.count > membersPerSet { picked.removeLast() }
            }
            keepers[components[slot].name]?[id] = picked
        }
        return keepers
    }

    /// Whether `set` holds a keep slot or the anchor.
    private static func holdsSlot(_ set: PlanSet) -> Bool {
        set.reasons.contains { slotReasons.contains($0.kind) }
    }

    private static func rank(_ key: String) -> Int { key.hasSuffix("/backup.manifest") ? 0 : 1 }
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
            replan: { inventory, guards in
                var maker = self
                maker.options.imposedGuards = guards
                return try await maker.plan(inventory: inventory, now: now).plan
            },
            removed: logRemoved)
        return (outcome.plan, outcome.inventory, outcome.confirmedSets)
    }

    /// ``confirmingKeepers(_:inventory:now:)`` for a plan the streaming planner made with
    /// `planning`: rows found not to be there are left out of `planning`, which plans again;
    /// a component whose keepers still cannot be confirmed is planned once more, blocked.
    /// Returns the confirmed plan and the confirmed keeper sets per component.
    func confirmingKeepers(_ plan: consuming StreamedPlan, planning: inout StreamedPlanning)
        async throws -> (plan: StreamedPlan, confirmedSets: [String: Set<String>]) {
        let confirmation = KeeperConfirmation(policies: try context.requirePolicies())
        let confirmed = try await confirmation.confirm(
            consume plan, keepers: { try confirmation.keeperObjects($0.summary, objects: planning.objects) },
            exists: existsAsReported,
            replan: { removed in
                try await planning.exclude(removed)
                return try await planning.plan()
            },
            removed: logRemoved)
        guard !confirmed.unconfirmed.isEmpty else { return (confirmed.plan, confirmed.confirmedSets) }
        let blocked = try planning.plan(imposing: confirmation.unconfirmedGuards(confirmed.unconfirmed))
        return (blocked, confirmed.confirmedSets)
    }

    /// Logs a row left out of the plan.
    private func logRemoved(_ ref: KeeperConfirmation.Ref) {
        context.logger.warning("an inventory report row that holds a keep slot is not in the bucket as reported; planning without it",
                               metadata: ["key": "\(ref.key)", "version": "\(ref.versionID ?? "-")"])
    }

    /// HEADs each object: true when it exists with the reported size and ETag.
    private func existsAsReported(_ objects: [KeeperConfirmation.Reported]) async throws -> [KeeperConfirmation.Ref: Bool] {
        let client = context.client
        let bucket = context.bucket
        let found = try await Self.boundedMap(objects, limit: concurrency) { object -> Bool in
            do {
                let head = try await client.headObject(bucket: bucket, key: object.ref.key, versionID: object.ref.versionID)
                let eTagMatches = object.eTag.map { ReportedIdentity.sameETag(head.eTag, $0) } ?? true
                return head.contentLength == object.size && eTagMatches
            } catch let error as S3Error where error.status == 404 {
                return false
            }
        }
        return Dictionary(found.map { ($0.key.ref, $0.value) }) { $0 && $1 }
    }
}
