import Foundation

/// One component's plan from its sets' aggregates: the decisions, guards and notes of
/// ``ComponentPlanner``, made without the objects, and the rule pass two applies to each object.
///
/// It is made in two steps. ``init(tally:planner:)`` decides the sets from pass one's aggregates.
/// In a bucket with noncurrent versions or delete markers, the guards also need what the
/// `noncurrent` option would purge, which only a walk of each key's versions tells
/// (``judge(versionsOf:)``); ``finishJudging()`` then weighs the guards. Without versions, the
/// guards are weighed at once.
struct ComponentOutline {
    let policy: Policy
    let planner: ComponentPlanner
    /// The plan so far: sets without members, no action totals, no cost yet.
    var plan: ComponentPlan
    /// The pass-one grouper: it names each set once, by id, so any later walk finds the same slots.
    var grouper: any SetGrouper
    /// Plan position of each grouper slot.
    let places: [SetPlace]
    /// Per plan position: the live sets, and whether each is kept; the same for hidden sets.
    let sets: [SetRecord]
    let keep: [Bool]
    let hidden: [SetRecord]
    let hiddenKeep: [Bool]
    /// Per live set: the tier that moves it; the reason of its actions.
    private var tiers: [TierRule?] = []
    private var setReasons: [String] = []
    let logReason: String
    let constraints: any LayoutConstraints
    /// Log positions the decisions let go, before the guards have their say.
    let decidedFree: FreeLog?
    /// Log positions that may go; `nil` when none may (or deletions are blocked).
    private(set) var freeLog: FreeLog?
    private(set) var blocked = false
    var cost: CostModel.Tally
    var placementWarnings: [String] = []
    /// The component's upload aborts, after its other actions.
    let aborts: [PlanAction]
    /// Whether the component has noncurrent versions or delete markers: pass two then goes key by key.
    let versioned: Bool
    /// What the guards still need, until they are weighed.
    private var pending: Pending?
    /// What the walk of the versions found, for the guards.
    var versionFindings: VersionFindings
    /// The noncurrent entries pass two placed, counted for the summary.
    var noncurrentSummary = NoncurrentSummary()

    /// Where a grouper slot's set is in the plan.
    enum SetPlace {
        /// A set with a current object, at this position among the plan's sets.
        case live(Int)
        /// A set whose data is all behind delete markers, at this position among the hidden sets.
        case hidden(Int)
        /// A set of delete markers alone: no plan set.
        case orphan
    }

    /// The decisions and counts the guards weigh once the versions are judged.
    private struct Pending {
        var decisions: KeepDecisions
        var grouping: SetGrouping
        /// The live sets' aggregates, by plan position.
        var live: [SetTally.SetAggregate]
        var warnings: [String]
        var expiring: [Int]
        var expiringBytes: Int64
        var logDeleteBytes: Int64
        var nonFutureBytes: Int64
        var classes: ClassTally
        var latestMarkers: [(first: Int64, last: Int64)?]
        var uncheckedWAL: UncheckedWAL?
    }

    init(tally: SetTally, planner: ComponentPlanner) {
        policy = tally.policy
        self.planner = planner
        grouper = tally.grouper
        versioned = tally.versioned
        let (places, grouping, liveAggregates, latestMarkers, candidates) = Self.arrange(tally)
        self.places = places
        let sets = grouping.sets
        self.sets = sets
        hidden = grouping.hidden
        var decisions = KeepDecisions(grouping: grouping, evaluator: planner.evaluator, futureCutoff: planner.futureCutoff) {
            candidates[$0.id] ?? KeepEvaluator.Candidate(epoch: $0.epoch, tagged: false)
        }
        var constraints = tally.policy.backupLayout.constraints(sets: sets, documents: planner.documents)
        var warnings = constraints.keepDependencies(&decisions.live)
        self.constraints = constraints
        keep = decisions.live.map { !$0.reasons.isEmpty }
        hiddenKeep = decisions.hidden.map { !$0.reasons.isEmpty }
        let expiring = sets.indices.filter { decisions.live[$0].reasons.isEmpty }

        let (free, unchecked, logDeleteBytes, logWarning) = Self.decideLog(tally, constraints: constraints, verdicts: decisions.live)
        if let logWarning { warnings.append(logWarning) }
        decidedFree = free
        logReason = ActionEmitter.logReason(policy: tally.policy)
        aborts = ActionEmitter.aborts(planner.uploads, policy: tally.policy, before: planner.abortBefore)
        cost = CostModel.Tally(model: CostModel(pricing: planner.pricing, now: planner.now))
        versionFindings = VersionFindings(hiddenSets: grouping.hidden.count)
        plan = ComponentPlan(component: tally.policy.component, policyFile: tally.policy.sourcePath, sets: [], guards: [],
                             warnings: [], unrecognizedKeys: [], totals: PlanTotals(), cost: PlanCost())
        pending = Pending(
            decisions: decisions, grouping: grouping, live: liveAggregates, warnings: warnings, expiring: expiring,
            expiringBytes: expiring.saturatingSum { liveAggregates[$0].allBytes }, logDeleteBytes: logDeleteBytes,
            nonFutureBytes: tally.nonFutureBytes, classes: tally.classes, latestMarkers: latestMarkers, uncheckedWAL: unchecked)
        // Without versions there is nothing more to learn before the guards.
        if !versioned { finishJudging() }
    }

    /// The grouper's sets in the plan's order (series, time, id, as `SetGrouping.adopt` sorts
    /// them, whatever the inventory order), each placed as live, hidden or orphan; the live
    /// sets' aggregates, the hidden sets' latest markers, and every set's candidate by id.
    private static func arrange(_ tally: SetTally) -> (places: [SetPlace], grouping: SetGrouping, live: [SetTally.SetAggregate],
                                                       latestMarkers: [(first: Int64, last: Int64)?], candidates: [String: KeepEvaluator.Candidate]) {
        let records = tally.grouper.records
        let order = records.indices.sorted { (records[$0].series, records[$0].epoch, records[$0].id) < (records[$1].series, records[$1].epoch, records[$1].id) }
        var places = [SetPlace](repeating: .orphan, count: records.count)
        var grouping = SetGrouping()
        var live: [SetTally.SetAggregate] = []
        var latestMarkers: [(first: Int64, last: Int64)?] = []
        var candidates: [String: KeepEvaluator.Candidate] = [:]
        for slot in order where slot < tally.sets.count {
            let aggregate = tally.sets[slot]
            if aggregate.isLive {
                places[slot] = .live(grouping.sets.count)
                grouping.sets.append(records[slot])
                live.append(aggregate)
            } else if aggregate.hasHiddenData {
                places[slot] = .hidden(grouping.hidden.count)
                grouping.hidden.append(records[slot])
                latestMarkers.append(aggregate.latestMarkers)
            } else {
                grouping.orphanVersions += aggregate.versions
                continue
            }
            candidates[records[slot].id] = candidates[records[slot].id] ?? aggregate.candidate
        }
        grouping.unrecognized = tally.unrecognized
        return (places, grouping, live, latestMarkers, candidates)
    }

    /// What the decisions would delete of the log: the positions free (before the guards), the
    /// log kept unchecked, the bytes freed, and the warning when all of it is kept.
    private static func decideLog(_ tally: SetTally, constraints: any LayoutConstraints, verdicts: [KeepEvaluator.Verdict])
        -> (free: FreeLog?, unchecked: UncheckedWAL?, deleteBytes: Int64, warning: String?) {
        switch tally.log.isEmpty ? .deletable(.none) : constraints.logDecision(verdicts: verdicts) {
        case .deletable(let rule):
            return (rule, nil, tally.log.lazy.filter { rule.contains($0.position) }.saturatingSum(\.size), nil)
        case .allKept(let reason, rangeUnknown: true):
            let summary = UncheckedWAL(objects: tally.log.count, bytes: tally.logBytes, monthlyCost: tally.logMonthlyCost, reason: reason)
            return (nil, summary, 0, summary.warning)
        case .allKept(let reason, rangeUnknown: false):
            return (nil, nil, 0, reason)
        }
    }

    /// Whether the guards still wait for ``judge(versionsOf:)`` and ``finishJudging()``.
    var awaitsVersions: Bool { pending != nil }

    /// Weighs the guards with what the versions' walk found, and completes the plan's sets,
    /// notes and totals. Called once.
    mutating func finishJudging() {
        guard let pending else { return }
        self.pending = nil
        let decisions = pending.decisions
        let grouping = pending.grouping
        var warnings = pending.warnings
        let expiringHidden = versionFindings.expiringHidden

        var fraction = DeleteFractionGuard()
        fraction.sets = decisions.liveFuture.count { !$0 } + decisions.hiddenFuture.count { !$0 }
        fraction.expiringSets = pending.expiring.count + expiringHidden
        fraction.bytes = pending.nonFutureBytes
        fraction.deleteBytes = pending.expiringBytes.saturatingAdd(pending.logDeleteBytes).saturatingAdd(versionFindings.noncurrentDeleteBytes)
        let incident = MarkerIncident.detect(grouping: grouping, decisions: decisions, latestMarkers: pending.latestMarkers,
                                             since: planner.lastSweep, limit: policy.guards.maxDeleteFraction)
        let guards = planner.guardFindings(fraction: fraction, incident: incident, grouping: grouping, decisions: decisions)
        blocked = guards.contains(where: \.blocking)
        freeLog = blocked ? nil : decidedFree
        warnings += ComponentPlanner.versionNotes(policy: policy, orphanMarkers: grouping.orphanVersions, keptHidden: hiddenKeep.count { $0 })
        if !blocked { warnings += constraints.expiryNotes(pending.expiring.map { sets[$0].id }.sorted()) }

        let selector = TierSelector(tiers: policy.tiers, pricing: planner.pricing)
        tiers = sets.indices.map { i in
            guard !decisions.live[i].reasons.isEmpty else { return nil }
            return selector.target(ageSeconds: planner.now.saturatingSubtract(sets[i].epoch), now: planner.now, expiry: decisions.live[i].expiry)
        }
        // Worded once per set, not once per object: a set's objects share its reason (an
        // expiring set's are deleted, a kept one's only ever moved by its tier).
        setReasons = sets.indices.map { i in
            guard let tier = tiers[i] else { return ActionEmitter.expiredReason(sets[i], policy: policy) }
            return ActionEmitter.tierReason(tier, sets[i], now: planner.now)
        }
        plan.sets = sets.indices.map { i in
            let aggregate = pending.live[i]
            return ActionEmitter.planSet(sets[i], decisions.live[i], classes: aggregate.classes, tier: tiers[i], now: planner.now,
                                         objectCount: aggregate.count, bytes: aggregate.bytes, members: [])
        }
        plan.hiddenSets = hidden.indices.map { h in
            ActionEmitter.planSet(hidden[h], decisions.hidden[h], classes: [], tier: nil, now: planner.now,
                                  objectCount: versionFindings.hiddenNewest[h].count, bytes: versionFindings.hiddenNewest[h].bytes, members: [])
        }
        plan.guards = guards
        plan.warnings = warnings
        plan.unrecognizedKeys = grouping.unrecognized.sorted()
        plan.totals = planner.totals(PlanTotals(), classes: pending.classes, sets: sets.count, expiring: pending.expiring.count,
                                     unrecognized: grouping.unrecognized.count)
        plan.uncheckedWAL = pending.uncheckedWAL
    }

    /// Pass two for one object under the prefix, in a bucket without versions: its placement,
    /// if it is listed or acted on; counts it for the cost either way.
    mutating func place(_ object: InventoryObject) -> Placement? {
        var placement: Placement?
        var deleted = false
        var movedTo: StorageClass?
        switch grouper.classify(object.key) {
        case .member(let slot):
            guard slot < places.count, case .live(let at) = places[slot] else { break }
            placement = member(object, at: at, movedTo: &movedTo, deleted: &deleted)
        case .log(let position):
            if let freeLog, freeLog.contains(position) {
                deleted = true
                placement = Placement(component: 0, group: logGroup, key: object.key, versionID: object.versionID, isMember: false,
                                      size: object.size, action: .delete)
            }
        case .metadata:
            if let warning = constraints.placementWarning(key: object.key, storageClass: object.storageClass, isMetadata: true) {
                placementWarnings.append(warning)
            }
        case .unrecognized:
            break
        }
        cost.add(object, deleted: deleted, movedTo: movedTo)
        return placement
    }

    /// The placement of a current object of the live set at `at`: listed, and moved or deleted
    /// with its set.
    mutating func member(_ object: InventoryObject, at: Int, movedTo: inout StorageClass?, deleted: inout Bool) -> Placement {
        var action = Placement.Action.none
        if keep[at], let tier = tiers[at], !constraints.isPinned(object.key),
           TierSelector.shouldMove(size: object.size, from: object.storageClass, to: tier.storageClass) {
            action = .transition(from: object.storageClass, to: tier.storageClass)
            movedTo = tier.storageClass
        } else if !keep[at] && !blocked {
            action = .delete
            deleted = true
        }
        if let warning = constraints.placementWarning(key: object.key, storageClass: object.storageClass, isMetadata: false) {
            placementWarnings.append(warning)
        }
        return Placement(component: 0, group: at, key: object.key, versionID: object.versionID, isMember: true,
                         size: object.size, action: action)
    }

    /// The group of the log's deletions: after every set's actions.
    var logGroup: Int { sets.count }
    /// The group of hidden set `h`'s members (no actions): after the log.
    func hiddenGroup(_ h: Int) -> Int { sets.count + 1 + h }
    /// The group of the noncurrent versions' entries and deletions: after every other.
    var noncurrentGroup: Int { sets.count + 1 + hidden.count }

    /// What a placement lists in the plan's component, in the order the plan writes them.
    enum Listing: Comparable {
        /// A key of the hidden set at this position.
        case hiddenMember(Int)
        /// A noncurrent version's entry.
        case entry
        /// A member of the live set at this position.
        case member(Int)
    }

    /// What `placement` lists, if anything (an action alone lists nothing).
    func listing(of placement: Placement) -> Listing? {
        if placement.noncurrent != nil { return .entry }
        if placement.group < sets.count { return placement.isMember ? .member(placement.group) : nil }
        if placement.group > logGroup && placement.group < noncurrentGroup { return .hiddenMember(placement.group - logGroup - 1) }
        return nil
    }

    /// The reason of a placement's action.
    func reason(_ placement: Placement) -> String {
        if let entry = placement.noncurrent { return entry.reason }
        return placement.group < sets.count ? setReasons[placement.group] : logReason
    }

    /// Ends pass two: the cost, and the warnings sorted with the rest.
    mutating func finish() {
        plan.cost = cost.cost
        plan.warnings = (plan.warnings + placementWarnings).sorted()
    }
}
