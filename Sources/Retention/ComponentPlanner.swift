import Foundation

/// Plans one component: sets, keep decisions, dependencies, guards, tiers, actions.
///
/// The phases run in order, each a function: group the objects into sets (live and hidden),
/// decide each set, work out what the decisions would delete, guard that, then emit the
/// actions and add up the totals.
struct ComponentPlanner {
    let policy: Policy
    let objects: [InventoryObject]
    let indices: [ObjectIndex]
    let uploads: [MultipartUploadRecord]
    let now: Int64
    let documents: [String: String]
    let pricing: PricingTable
    let force: Bool
    let bypassGovernance: Bool
    /// When the last sweep ran (epoch seconds); delete markers placed after it are new.
    var lastSweep: Int64? = nil
    /// A blocking finding made outside the planner (``PlanOptions/imposedGuards``), last among the guards.
    var imposed: GuardFinding? = nil
    /// The bucket's lifecycle rules Strata did not write (``PlanOptions/lifecycleRules``).
    var lifecycleRules: [BucketLifecycleRule] = []

    /// What the keep decisions would delete, before the guards have their say.
    private struct Deletions {
        var expiring: [Int]
        /// Hidden sets all of whose data versions the `noncurrent` option purges.
        var expiringHidden: [Int]
        /// Log objects (pgBackRest's WAL) no kept set needs.
        var wal: [ObjectIndex]
        /// The component's log when none of it could be judged.
        var uncheckedWAL: UncheckedWAL?
        var noncurrent: [(ObjectIndex, String)]
        var entries: [NoncurrentVersion]
    }

    /// Plans the component, appending its actions to `actions` in a deterministic order: sets by
    /// series and time, each set's objects by key and version; then hidden sets; then WAL by key;
    /// then noncurrent versions; then aborts.
    func plan(into actions: inout [PlanAction]) -> ComponentPlan {
        var warnings: [String] = []
        let layout = policy.backupLayout
        let grouping = layout.group(objects, indices: indices)
        var decisions = decide(grouping)
        var constraints = layout.constraints(sets: grouping.sets, documents: documents)
        warnings += constraints.keepDependencies(&decisions.live)
        let protected = protectedVersions(grouping, decisions)
        var deletions = wouldDelete(grouping, decisions, constraints: constraints, protected: protected, warnings: &warnings)
        let (guards, blocked) = guardFindings(grouping, decisions, deletions)
        if blocked {
            deletions.entries = noncurrentPlanner(protected).plan(indices: indices, deleted: [Bool](repeating: false, count: objects.count), allowDeletes: false).entries
        }
        warnings += notes(grouping, decisions, deletions, blocked: blocked, constraints: constraints)

        var emitter = ActionEmitter(planner: self, totals: PlanTotals(), deleted: [Bool](repeating: false, count: objects.count))
        let planSets = emitter.emitSets(grouping.sets, decisions.live, constraints: constraints, blocked: blocked, into: &actions)
        let hiddenSets = emitter.hiddenPlanSets(grouping.hidden, decisions.hidden)
        if !blocked {
            emitter.emitDeletes(deletions.wal.sorted(by: keyOrder), reason: ActionEmitter.logReason(policy: policy), into: &actions)
            for (index, reason) in deletions.noncurrent { emitter.delete(index, reason, into: &actions) }
        }
        emitter.emitAborts(uploads, into: &actions)
        warnings += constraints.metadataWarnings(grouping: grouping, objects: objects)
        let totals = tally(grouping, emitter.totals, expiring: deletions.expiring.count)
        let cost = CostModel(pricing: pricing, now: now).cost(objects: objects, indices: indices, deleted: emitter.deleted, moved: emitter.moved)
        return ComponentPlan(
            component: policy.component, policyFile: policy.sourcePath, sets: planSets, guards: guards,
            warnings: warnings.sorted(), unrecognizedKeys: grouping.unrecognized.sorted(), totals: totals, cost: cost,
            noncurrent: deletions.entries, hiddenSets: hiddenSets, uncheckedWAL: deletions.uncheckedWAL)
    }

    // MARK: - Phases

    private func decide(_ grouping: SetGrouping) -> KeepDecisions {
        KeepDecisions(grouping: grouping, evaluator: evaluator, futureCutoff: futureCutoff, candidate: candidate(for:))
    }

    /// The keep rules of the policy, for `now`.
    var evaluator: KeepEvaluator {
        var evaluator = KeepEvaluator(rules: policy.retention, zone: policy.timeZone, now: now, expectEvery: policy.expectEvery)
        evaluator.bypassGovernance = bypassGovernance
        return evaluator
    }

    /// Sets dated after this are future-dated.
    var futureCutoff: Int64 { now.saturatingAdd(policy.guards.futureTolerance.seconds) }

    /// The newest data version of every key of a kept set that has no current version: the
    /// last copy of a backup someone hid with a delete marker. Never deleted.
    private func protectedVersions(_ grouping: SetGrouping, _ decisions: KeepDecisions) -> Set<ObjectIndex> {
        var protected = Set<ObjectIndex>()
        // Only keys with older versions can be hidden: unversioned sets skip the work.
        for (i, set) in grouping.sets.enumerated() where !set.versions.isEmpty && !decisions.live[i].reasons.isEmpty {
            protected.formUnion(objects.newestHiddenData(set.current + set.versions))
        }
        for (i, set) in grouping.hidden.enumerated() where !decisions.hidden[i].reasons.isEmpty {
            protected.formUnion(objects.newestHiddenData(set.versions))
        }
        return protected
    }

    private func noncurrentPlanner(_ protected: Set<ObjectIndex>) -> NoncurrentPlanner {
        NoncurrentPlanner(policy: policy, objects: objects, now: now, bypassGovernance: bypassGovernance, pricing: pricing, protected: protected)
    }

    /// Expired live sets go whole; a hidden set the policy expires is left to the `noncurrent`
    /// option like any other old version (it counts as a deleted set once all its data goes).
    private func wouldDelete(_ grouping: SetGrouping, _ decisions: KeepDecisions, constraints: any LayoutConstraints,
                             protected: Set<ObjectIndex>, warnings: inout [String]) -> Deletions {
        let expiring = grouping.sets.indices.filter { decisions.live[$0].reasons.isEmpty }
        var wal: [ObjectIndex] = []
        var unchecked: UncheckedWAL?
        switch grouping.wal.isEmpty ? .deletable(.none) : constraints.logDecision(verdicts: decisions.live) {
        case .deletable(let free):
            wal = grouping.wal.filter { free.contains($0.position) }.map(\.index)
        case .allKept(let reason, rangeUnknown: true):
            let summary = UncheckedWAL(wal: grouping.wal.map(\.index), objects: objects, pricing: pricing, reason: reason)
            unchecked = summary
            warnings.append(summary.warning)
        case .allKept(let reason, rangeUnknown: false):
            warnings.append(reason)
        }
        var deleted = [Bool](repeating: false, count: objects.count)
        for i in expiring { for index in grouping.sets[i].current + grouping.sets[i].versions { deleted[Int(index)] = true } }
        for index in wal { deleted[Int(index)] = true }
        let noncurrent = noncurrentPlanner(protected).plan(indices: indices, deleted: deleted, allowDeletes: true)
        let purged = Set(noncurrent.deletes.map(\.0))
        let expiringHidden = grouping.hidden.indices.filter { i in
            grouping.hidden[i].versions.allSatisfy { objects[$0].isDeleteMarker || purged.contains($0) }
        }
        return Deletions(expiring: expiring, expiringHidden: expiringHidden, wal: wal, uncheckedWAL: unchecked,
                         noncurrent: noncurrent.deletes, entries: noncurrent.entries)
    }

    /// The guard findings and whether any blocks the component's deletions.
    private func guardFindings(_ grouping: SetGrouping, _ decisions: KeepDecisions, _ deletions: Deletions) -> ([GuardFinding], Bool) {
        let incident = MarkerIncident.detect(grouping: grouping, decisions: decisions, objects: objects, since: lastSweep,
                                             limit: policy.guards.maxDeleteFraction)
        let guards = guardFindings(fraction: deleteFraction(grouping, decisions, deletions), incident: incident,
                                   grouping: grouping, decisions: decisions)
        return (guards, guards.contains(where: \.blocking))
    }

    /// The component's guard findings, in the order both planners give them: the delete
    /// fraction, the marker incident, staleness, future-dated sets, then a guard imposed from
    /// outside.
    func guardFindings(fraction: DeleteFractionGuard, incident: MarkerIncident?, grouping: SetGrouping,
                       decisions: KeepDecisions) -> [GuardFinding] {
        var guards: [GuardFinding] = []
        if let finding = fraction.finding(policy: policy, force: force) { guards.append(finding) }
        if let incident { guards.append(incident.finding(policy: policy, grouping: grouping, since: lastSweep)) }
        guards += staleFindings(grouping, decisions)
        if let future = futureFinding(grouping, decisions) { guards.append(future) }
        if let lifecycle = lifecycleFinding(grouping, decisions) { guards.append(lifecycle) }
        if let imposed { guards.append(imposed) }
        return guards
    }

    /// The bucket lifecycle rules that would act on this component otherwise than the policy,
    /// with the kept sets each would break (expire or move while the policy keeps them), as one
    /// blocking finding.
    func lifecycleFinding(_ grouping: SetGrouping, _ decisions: KeepDecisions) -> GuardFinding? {
        let conflicts = OutsideLifecycleRules.conflicts(of: policy, with: lifecycleRules)
        guard !conflicts.isEmpty else { return nil }
        let kept = grouping.sets.indices.filter { !decisions.live[$0].reasons.isEmpty }
        let lines = conflicts.map { conflict in
            let broken = kept.filter { i in
                let keptUntil = decisions.live[i].expiry ?? KeepEvaluator.indefinite
                return conflict.actions.contains { action in
                    action.actsOnSets(setEpoch: grouping.sets[i].epoch).map { $0 < keptUntil } ?? false
                }
            }.map { grouping.sets[$0].id }
            let sets = broken.isEmpty ? "" : "; it would break \(broken.count) kept set(s): \(broken.prefix(3).joined(separator: ", "))\(broken.count > 3 ? ", ..." : "")"
            return conflict.description + sets
        }
        return GuardFinding(
            kind: .outsideLifecycleRule, component: policy.component, series: "", blocking: true,
            message: "blocked: \(lines.joined(separator: ". ")). No deletions for this component; change or remove the rule, or acknowledge it in \(policy.sourcePath) (acknowledge_lifecycle_rules: [\(conflicts.map(\.rule.id).joined(separator: ", "))])")
    }

    private func deleteFraction(_ grouping: SetGrouping, _ decisions: KeepDecisions, _ deletions: Deletions) -> DeleteFractionGuard {
        var fraction = DeleteFractionGuard()
        fraction.sets = decisions.liveFuture.count { !$0 } + decisions.hiddenFuture.count { !$0 }
        fraction.expiringSets = deletions.expiring.count + deletions.expiringHidden.count
        var future = Set<ObjectIndex>()
        for (i, set) in grouping.sets.enumerated() where decisions.liveFuture[i] { future.formUnion(set.current + set.versions) }
        for (i, set) in grouping.hidden.enumerated() where decisions.hiddenFuture[i] { future.formUnion(set.versions) }
        fraction.bytes = future.isEmpty ? indices.saturatingSum { objects[$0].size }
            : indices.lazy.filter { !future.contains($0) }.saturatingSum { objects[$0].size }
        fraction.deleteBytes = deletions.expiring.saturatingSum { i in (grouping.sets[i].current + grouping.sets[i].versions).saturatingSum { objects[$0].size } }
            .saturatingAdd(deletions.wal.saturatingSum { objects[$0].size })
            .saturatingAdd(deletions.noncurrent.saturatingSum { objects[$0.0].size })
        return fraction
    }

    /// A series whose newest set (not future-dated) is older than twice `expect_every`.
    func staleFindings(_ grouping: SetGrouping, _ decisions: KeepDecisions) -> [GuardFinding] {
        guard let every = policy.expectEvery else { return [] }
        var newestBySeries: [String: Int64] = [:]
        for (i, set) in grouping.sets.enumerated() where !decisions.liveFuture[i] {
            newestBySeries[set.series] = max(newestBySeries[set.series] ?? set.epoch, set.epoch)
        }
        var findings: [GuardFinding] = []
        if newestBySeries.isEmpty {
            let future = grouping.sets.isEmpty ? "" : " (only future-dated ones)"
            findings.append(GuardFinding(kind: .stale, component: policy.component, series: "", blocking: false,
                                         message: "no backup sets found\(future), expected one every \(every)"))
        }
        for (series, newest) in newestBySeries.sorted(by: { $0.key < $1.key }) where now.saturatingSubtract(newest) > every.seconds.saturatingMultiply(2) {
            findings.append(GuardFinding(kind: .stale, component: policy.component, series: series, blocking: false,
                message: "stale: newest set\(series.isEmpty ? "" : " of \(series)") is from \(CivilTime.iso8601(newest)), older than 2 x expect_every (\(every))"))
        }
        return findings
    }

    func futureFinding(_ grouping: SetGrouping, _ decisions: KeepDecisions) -> GuardFinding? {
        let future = grouping.sets.indices.filter { decisions.liveFuture[$0] }.map { grouping.sets[$0] }
            + grouping.hidden.indices.filter { decisions.hiddenFuture[$0] }.map { grouping.hidden[$0] }
        guard !future.isEmpty else { return nil }
        let ids = future.sorted { $0.epoch > $1.epoch }.map(\.id)
        return GuardFinding(kind: .futureDated, component: policy.component, series: "", blocking: false,
            message: "\(future.count) set(s) dated more than future_tolerance \(policy.guards.futureTolerance) after now (\(ids.prefix(3).joined(separator: ", "))\(ids.count > 3 ? ", ..." : "")): kept, never deleted, and counted for no rule; check the backup host's clock, or who wrote the key")
    }

    private func notes(_ grouping: SetGrouping, _ decisions: KeepDecisions, _ deletions: Deletions, blocked: Bool,
                       constraints: any LayoutConstraints) -> [String] {
        var notes: [String] = []
        notes += Self.versionNotes(policy: policy, orphanMarkers: grouping.orphanVersions,
                                   keptHidden: decisions.hidden.count { !$0.reasons.isEmpty })
        if !blocked { notes += constraints.expiryNotes(deletions.expiring.map { grouping.sets[$0].id }.sorted()) }
        return notes
    }

    /// The notes on a component's versions: delete markers that belong to no set with data
    /// left, and hidden sets the policy keeps.
    static func versionNotes(policy: Policy, orphanMarkers: Int, keptHidden: Int) -> [String] {
        var notes: [String] = []
        if orphanMarkers > 0 {
            let fate = policy.noncurrentExpireAfter.map { "noncurrent.expire_after \($0) applies" } ?? "kept (noncurrent: keep)"
            notes.append("\(orphanMarkers) delete markers belong to no set with data left; \(fate); see strata audit")
        }
        if keptHidden > 0 {
            notes.append("\(keptHidden) set(s) hidden by delete markers are kept by the policy and their versions are not deleted; `strata undelete --component \(policy.component)` restores them")
        }
        return notes
    }

    private func tally(_ grouping: SetGrouping, _ emitted: PlanTotals, expiring: Int) -> PlanTotals {
        var classes = ClassTally()
        for index in indices { classes.add(objects[index].storageClass, objects[index].size) }
        return totals(emitted, classes: classes, sets: grouping.sets.count, expiring: expiring, unrecognized: grouping.unrecognized.count)
    }

    /// The component's totals: what the actions did (`emitted`), what the component holds
    /// (`classes`), and the counts of sets and keys.
    func totals(_ emitted: PlanTotals, classes: ClassTally, sets: Int, expiring: Int, unrecognized: Int) -> PlanTotals {
        var totals = emitted
        totals.objects = classes.objects
        totals.bytes = classes.bytes
        totals.byClass = classes.byClass
        totals.sets = sets
        totals.expiringSets = expiring
        totals.unrecognized = unrecognized
        totals.abortedUploads = uploads.count { Int64($0.initiated.timeIntervalSince1970) < abortBefore }
        return totals
    }

    /// Incomplete uploads started before this are aborted.
    var abortBefore: Int64 { now.saturatingSubtract(policy.abortIncompleteAfter.seconds) }

    func keyOrder(_ a: ObjectIndex, _ b: ObjectIndex) -> Bool {
        let l = objects[a], r = objects[b]
        return !KeyOrder.same(l.key, r.key) ? KeyOrder.precedes(l.key, r.key) : (l.versionID ?? "") < (r.versionID ?? "")
    }

    private func candidate(for set: SetRecord) -> KeepEvaluator.Candidate {
        var candidate = KeepEvaluator.Candidate(epoch: set.epoch, tagged: false)
        for index in set.current + set.versions { candidate.add(objects[index]) }
        return candidate
    }

    static func days(_ seconds: Int64) -> String {
        seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : String(format: "%.1fd", Double(seconds) / 86_400)
    }
}
