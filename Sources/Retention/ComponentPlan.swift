import Foundation

/// The plan of one component.
public struct ComponentPlan: Codable, Sendable, Hashable {
    /// Component name.
    public var component: String
    /// Policy file it came from.
    public var policyFile: String
    /// Backup sets by series, then time.
    public var sets: [PlanSet]
    /// Guard findings (blocked deletes, staleness).
    public var guards: [GuardFinding]
    /// Things an operator should know that do not stop the plan.
    public var warnings: [String]
    /// Keys under the prefix that match no layout: reported, never touched.
    public var unrecognizedKeys: [String]
    /// Totals for the component.
    public var totals: PlanTotals
    /// Cost for the component (USD).
    public var cost: PlanCost
}

/// What a guard found.
public struct GuardFinding: Codable, Sendable, Hashable {
    /// Which guard.
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The plan would delete more than `max_delete_fraction` of sets or bytes.
        case deleteFractionExceeded
        /// The newest set is older than twice `expect_every`.
        case stale
    }

    /// Which guard.
    public var kind: Kind
    /// Component.
    public var component: String
    /// Series, for staleness ("" otherwise).
    public var series: String
    /// Whether it withholds the component's deletes (false when forced or informational).
    public var blocking: Bool
    /// What was found, with the numbers.
    public var message: String
}
