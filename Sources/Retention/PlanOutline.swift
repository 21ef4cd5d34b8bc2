import Foundation

/// A plan from the streaming planner's first pass: every set decided, every guard, total and
/// warning known, but no set's members and no actions yet (and no cost until pass two). The
/// placements of pass two, sorted, complete it.
public struct PlanOutline {
    var components: [ComponentOutline]
    let prefixes: [[UInt8]]
    let now: Int64
    let forced: Bool

    /// Whether a component has noncurrent versions or delete markers: its plan then lists hidden
    /// sets' keys and noncurrent entries from the placements too.
    public var hasVersions: Bool { components.contains(where: \.versioned) }

    /// The plan without members and actions: enough for a table of the sets, the guards and
    /// the totals (action counts and cost are filled in by ``assemble(_:)``).
    public var skeleton: Plan {
        var totals = PlanTotals()
        var cost = PlanCost()
        var plans: [ComponentPlan] = []
        for component in components {
            totals.add(component.plan.totals)
            cost.add(component.plan.cost)
            var plan = component.plan
            // The entries are on disk, not here: the table takes what pass two counted of them.
            if component.versioned { plan.summarized = component.noncurrentSummary }
            plans.append(plan)
        }
        return Plan(schemaVersion: Plan.currentSchemaVersion, generatedAt: Date(timeIntervalSince1970: TimeInterval(now)),
                    forced: forced, components: plans, actions: [], totals: totals, cost: cost)
    }

    mutating func finishCosts() {
        for i in components.indices { components[i].finish() }
    }

    /// The reason of a placement's action, as the in-memory planner words it.
    public func reason(of placement: Placement) -> String {
        components[placement.component].reason(placement)
    }

    /// The plan action a placement stands for, if it has one.
    public func action(of placement: Placement) -> PlanAction? {
        switch placement.action {
        case .none: nil
        case .delete: .delete(key: placement.key, versionID: placement.versionID, reason: reason(of: placement))
        case .transition(let from, let to): .transition(key: placement.key, from: from, to: to, reason: reason(of: placement))
        }
    }

    /// Upload aborts of the component at `component`, which follow its other actions.
    public func aborts(of component: Int) -> [PlanAction] { components[component].aborts }

    /// The whole plan, from the placements of pass two in ``Placement/precedes(_:_:)`` order:
    /// equal, byte for byte in its JSON form, to what ``Planner`` makes of the same inventory.
    /// Holds every member and action: for plans that fit in memory (tests, small buckets).
    public func assemble(_ sorted: [Placement]) throws -> Plan {
        var actions: [PlanAction] = []
        var plan = try forEachAction({ body in for placement in sorted { try body(placement) } }) { actions.append($0) }
        plan.actions = actions
        // This plan holds its entries: its summary is counted from them.
        for i in plan.components.indices { plan.components[i].summarized = nil }
        for placement in sorted {
            switch components[placement.component].listing(of: placement) {
            case .member(let s): plan.components[placement.component].sets[s].members.append(placement.key)
            case .hiddenMember(let h): plan.components[placement.component].hiddenSets[h].members.append(placement.key)
            case .entry: if let entry = placement.noncurrent { plan.components[placement.component].noncurrent.append(entry) }
            case nil: break
            }
        }
        return plan
    }

    /// Calls `body` with every action of the plan, in its order: each component's placements'
    /// actions, then its upload aborts. Returns the plan without members and actions, with the
    /// action totals counted in that order (as the in-memory emitter counts them).
    func forEachAction(_ placements: (_ body: (Placement) throws -> Void) throws -> Void,
                       _ body: (PlanAction) throws -> Void) throws -> Plan {
        var plan = skeleton
        var actionTotals = [PlanTotals](repeating: PlanTotals(), count: components.count)
        var cursor = ActionCursor(self)
        // `body` is called only while this function runs; the walk just cannot prove it.
        try withoutActuallyEscaping(body) { body in
            try placements { placement in
                for action in cursor.actions(at: placement) { try body(action) }
                if placement.action != .none { actionTotals[placement.component].count(placement) }
            }
            for abort in cursor.finish() { try body(abort) }
        }
        Self.complete(&plan, actionTotals: actionTotals)
        return plan
    }

    /// The plan without members and actions, with its action totals counted from the placements
    /// (in any order), and how many actions the whole plan has: what a table, the metrics and a
    /// guard's exit code need.
    public func summary(_ placements: (_ body: (Placement) throws -> Void) throws -> Void) throws -> (plan: Plan, actions: Int) {
        var plan = skeleton
        var actionTotals = [PlanTotals](repeating: PlanTotals(), count: components.count)
        var actions = components.reduce(0) { $0 + $1.aborts.count }
        try placements { placement in
            guard placement.action != .none else { return }
            actionTotals[placement.component].count(placement)
            actions += 1
        }
        Self.complete(&plan, actionTotals: actionTotals)
        return (plan, actions)
    }

    /// The plan without members and actions, with its action totals from `tally` (the
    /// placements counted as they came), and how many actions the whole plan has; `nil` when
    /// only a walk in order gives the totals (``PlacementTally/isOrderDependent``).
    public func summary(_ tally: PlacementTally) -> (plan: Plan, actions: Int)? {
        guard !tally.isOrderDependent, tally.components.count <= components.count else { return nil }
        var plan = skeleton
        var actionTotals = [PlanTotals](repeating: PlanTotals(), count: components.count)
        for (index, totals) in tally.components.enumerated() { actionTotals[index] = totals }
        Self.complete(&plan, actionTotals: actionTotals)
        return (plan, tally.actions + components.reduce(0) { $0 + $1.aborts.count })
    }

    /// Puts each component's action totals into its totals, and adds up the plan's.
    static func complete(_ plan: inout Plan, actionTotals: [PlanTotals]) {
        plan.totals = PlanTotals()
        for i in plan.components.indices {
            plan.components[i].totals.deletes = actionTotals[i].deletes
            plan.components[i].totals.deleteBytes = actionTotals[i].deleteBytes
            plan.components[i].totals.transitions = actionTotals[i].transitions
            plan.components[i].totals.transitionBytes = actionTotals[i].transitionBytes
            plan.totals.add(plan.components[i].totals)
        }
    }
}

extension PlanTotals {
    /// Counts a placement's action as the in-memory emitter does, in the same order.
    mutating func count(_ placement: Placement) {
        switch placement.action {
        case .none: break
        case .delete:
            // Removing a delete marker frees nothing: it is not counted as a deletion.
            guard !placement.isDeleteMarker else { return }
            deletes += 1
            deleteBytes = deleteBytes.saturatingAdd(placement.size)
        case .transition:
            transitions += 1
            transitionBytes = transitionBytes.saturatingAdd(placement.size)
        }
    }
}
