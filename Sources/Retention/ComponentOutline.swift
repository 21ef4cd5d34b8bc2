import Foundation

/// One component's plan from its sets' aggregates: the decisions, guards and notes of
/// ``ComponentPlanner``, made without the objects, and the rule pass two applies to each object.
struct ComponentOutline {
    let policy: Policy
    let planner: ComponentPlanner
    /// The plan so far: sets without members, no action totals, no cost yet.
    var plan: ComponentPlan
    /// The pass-one grouper: pass two meets the same keys in the same order, so slots match.
    private var grouper: any SetGrouper
    /// Plan position of each grouper slot.
    private let position: [Int]
    /// Per plan position: the set, whether it is kept, and the tier that moves it.
    private let sets: [SetRecord]
    private let keep: [Bool]
    private let tiers: [TierRule?]
    /// Per plan position, the reason of the set's actions; then the log's.
    private let setReasons: [String]
    private let logReason: String
    private let constraints: any LayoutConstraints
    /// Log positions that may go; `nil` when none may (or deletions are blocked).
    private let freeLog: FreeLog?
    private let blocked: Bool
    private var cost: CostModel.Tally
    private var placementWarnings: [String] = []
    /// The component's upload aborts, after its other actions.
    let aborts: [PlanAction]

    init(tally: SetTally, planner: ComponentPlanner) {
        policy = tally.policy
        self.planner = planner
        grouper = tally.grouper
        let records = tally.grouper.records
        // Deterministic regardless of inventory order: series, then time, then id (as `SetGrouping.adopt`).
        let order = records.indices.sorted { (records[$0].series, records[$0].epoch, records[$0].id) < (records[$1].series, records[$1].epoch, records[$1].id) }
        var position = [Int](repeating: 0, count: records.count)
        for (at, slot) in order.enumerated() { position[slot] = at }
        self.position = position
        let sets = order.map { records[$0] }
        self.sets = sets
        let aggregates = order.map { tally.sets[$0] }
        var grouping = SetGrouping()
        grouping.sets = sets
        grouping.unrecognized = tally.unrecognized
        let candidates = Dictionary(zip(sets.map(\.id), aggregates.map(\.candidate))) { first, _ in first }
        var decisions = KeepDecisions(grouping: grouping, evaluator: planner.evaluator, futureCutoff: planner.futureCutoff) {
            candidates[$0.id] ?? KeepEvaluator.Candidate(epoch: $0.epoch, tagged: false)
        }
        let policy = self.policy
        var constraints = policy.backupLayout.constraints(sets: sets, documents: planner.documents)
        var warnings = constraints.keepDependencies(&decisions.live)
        self.constraints = constraints
        keep = decisions.live.map { !$0.reasons.isEmpty }
        let expiring = sets.indices.filter { decisions.live[$0].reasons.isEmpty }

        // What the decisions would delete, then the guards.
        var free: FreeLog?
        var unchecked: UncheckedWAL?
        var logDeleteBytes: Int64 = 0
        switch tally.log.isEmpty ? .deletable(.none) : constraints.logDecision(verdicts: decisions.live) {
        case .deletable(let rule):
            free = rule
            logDeleteBytes = tally.log.lazy.filter { rule.contains($0.position) }.saturatingSum(\.size)
        case .allKept(let reason, rangeUnknown: true):
            let summary = UncheckedWAL(objects: tally.log.count, bytes: tally.logBytes, monthlyCost: tally.logMonthlyCost, reason: reason)
            unchecked = summary
            warnings.append(summary.warning)
        case .allKept(let reason, rangeUnknown: false):
            warnings.append(reason)
        }
        var fraction = DeleteFractionGuard()
        fraction.sets = decisions.liveFuture.count { !$0 }
        fraction.expiringSets = expiring.count
        fraction.bytes = tally.nonFutureBytes
        fraction.deleteBytes = expiring.saturatingSum { aggregates[$0].bytes }.saturatingAdd(logDeleteBytes)
        var guards: [GuardFinding] = []
        if let finding = fraction.finding(policy: policy, force: planner.force) { guards.append(finding) }
        guards += planner.staleFindings(grouping, decisions)
        if let future = planner.futureFinding(grouping, decisions) { guards.append(future) }
        if let imposed = planner.imposed { guards.append(imposed) }
        blocked = guards.contains(where: \.blocking)
        freeLog = blocked ? nil : free
        if !blocked { warnings += constraints.expiryNotes(expiring.map { sets[$0].id }.sorted()) }

        let selector = TierSelector(tiers: policy.tiers, pricing: planner.pricing)
        let tiers: [TierRule?] = sets.indices.map { i in
            guard !decisions.live[i].reasons.isEmpty else { return nil }
            return selector.target(ageSeconds: planner.now.saturatingSubtract(sets[i].epoch), now: planner.now, expiry: decisions.live[i].expiry)
        }
        self.tiers = tiers
        // Worded once per set, not once per object: a set's objects share its reason (an
        // expiring set's are deleted, a kept one's only ever moved by its tier).
        setReasons = sets.indices.map { i in
            guard let tier = tiers[i] else { return ActionEmitter.expiredReason(sets[i], policy: policy) }
            return ActionEmitter.tierReason(tier, sets[i], now: planner.now)
        }
        logReason = ActionEmitter.logReason(policy: policy)
        let planSets = sets.indices.map { i in
            ActionEmitter.planSet(sets[i], decisions.live[i], classes: aggregates[i].classes, tier: tiers[i], now: planner.now,
                                  objectCount: aggregates[i].count, bytes: aggregates[i].bytes, members: [])
        }
        aborts = ActionEmitter.aborts(planner.uploads, policy: policy, before: planner.abortBefore)
        let totals = planner.totals(PlanTotals(), classes: tally.classes, sets: sets.count, expiring: expiring.count,
                                    unrecognized: tally.unrecognized.count)
        cost = CostModel.Tally(model: CostModel(pricing: planner.pricing, now: planner.now))
        plan = ComponentPlan(
            component: policy.component, policyFile: policy.sourcePath, sets: planSets, guards: guards,
            warnings: warnings, unrecognizedKeys: tally.unrecognized.sorted(), totals: totals, cost: PlanCost(),
            noncurrent: [], hiddenSets: [], uncheckedWAL: unchecked)
    }

    /// Pass two for one object under the prefix: its placement, if it is listed or acted on;
    /// counts it for the cost either way.
    mutating func place(_ object: InventoryObject) -> Placement? {
        var placement: Placement?
        var deleted = false
        var movedTo: StorageClass?
        switch grouper.classify(object.key) {
        case .member(let slot):
            let at = position[slot]
            var action = Placement.Action.none
            if keep[at], let tier = tiers[at], !constraints.isPinned(object.key),
               TierSelector.shouldMove(size: object.size, from: object.storageClass, to: tier.storageClass) {
                action = .transition(from: object.storageClass, to: tier.storageClass)
                movedTo = tier.storageClass
            } else if !keep[at] && !blocked {
                action = .delete
                deleted = true
            }
            placement = Placement(component: 0, group: at, key: object.key, versionID: object.versionID, isMember: true,
                                  size: object.size, action: action)
            if let warning = constraints.placementWarning(key: object.key, storageClass: object.storageClass, isMetadata: false) {
                placementWarnings.append(warning)
            }
        case .log(let position):
            if let freeLog, freeLog.contains(position) {
                deleted = true
                placement = Placement(component: 0, group: sets.count, key: object.key, versionID: object.versionID, isMember: false,
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

    /// The reason of a placement's action.
    func reason(_ placement: Placement) -> String {
        placement.group < sets.count ? setReasons[placement.group] : logReason
    }

    /// Ends pass two: the cost, and the warnings sorted with the rest.
    mutating func finish() {
        plan.cost = cost.cost
        plan.warnings = (plan.warnings + placementWarnings).sorted()
    }
}
