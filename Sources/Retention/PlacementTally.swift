import Foundation

/// The action totals of placements counted as they come, in any order: what a plan's summary
/// needs from pass two, so that printing the plan does not walk the sorted placements once more.
public struct PlacementTally: Sendable {
    /// Per component position: deletes, transitions and their bytes.
    var components: [PlanTotals] = []
    /// Actions counted.
    public private(set) var actions = 0
    /// Deletions seen, whatever their size: whether the plan deletes anything at all.
    public private(set) var deletions = 0
    /// Whether an action had a negative size: saturating sums of such sizes depend on the order
    /// they are added in, so only a walk in the plan's order gives the plan's totals.
    public private(set) var isOrderDependent = false

    /// An empty tally.
    public init() {}

    /// Counts `placement`'s action, if it has one.
    public mutating func add(_ placement: Placement) {
        guard placement.action != .none else { return }
        if placement.action == .delete { deletions += 1 }
        // Pass two never makes these; a tally that meets one leaves the totals to the walk.
        guard placement.size >= 0, placement.component >= 0 else { return isOrderDependent = true }
        while components.count <= placement.component { components.append(PlanTotals()) }
        components[placement.component].count(placement)
        actions += 1
    }
}
