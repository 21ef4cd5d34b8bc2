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
    /// Noncurrent versions and delete markers outside expiring sets (versioned buckets).
    public var noncurrent: [NoncurrentVersion] = []
    /// Sets whose keys all have a delete marker as their latest version but still have data
    /// versions behind it (versioned buckets), judged by the same keep rules as live sets. A kept
    /// hidden set's newest versions are never deleted; `strata undelete` removes the markers.
    /// `members` are its keys, `objectCount` and `bytes` count its newest data versions.
    public var hiddenSets: [PlanSet] = []
    /// pgBackRest: the WAL kept only because no kept set's needs could be read; `nil` when the
    /// WAL was judged (or the component has none).
    public var uncheckedWAL: UncheckedWAL? = nil
    /// The summary of `noncurrent` a streamed plan counted, when it does not hold the entries.
    var summarized: NoncurrentSummary? = nil

    /// What the table shows of the noncurrent versions: counted from `noncurrent`, or, in a
    /// streamed plan's summary (which holds no entries), as the streaming planner counted them.
    public var noncurrentSummary: NoncurrentSummary { summarized ?? NoncurrentSummary(noncurrent) }

    private enum CodingKeys: String, CodingKey {
        case component, policyFile, sets, guards, warnings, unrecognizedKeys, totals, cost, noncurrent, hiddenSets, uncheckedWAL
    }

    /// Creates a component plan.
    public init(component: String, policyFile: String, sets: [PlanSet], guards: [GuardFinding], warnings: [String],
                unrecognizedKeys: [String], totals: PlanTotals, cost: PlanCost, noncurrent: [NoncurrentVersion] = [],
                hiddenSets: [PlanSet] = [], uncheckedWAL: UncheckedWAL? = nil) {
        self.component = component
        self.policyFile = policyFile
        self.sets = sets
        self.guards = guards
        self.warnings = warnings
        self.unrecognizedKeys = unrecognizedKeys
        self.totals = totals
        self.cost = cost
        self.noncurrent = noncurrent
        self.hiddenSets = hiddenSets
        self.uncheckedWAL = uncheckedWAL
    }

    /// Decodes a plan; plans saved before `noncurrent`, `hiddenSets` or `uncheckedWAL` existed decode with none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(component: try c.decode(String.self, forKey: .component), policyFile: try c.decode(String.self, forKey: .policyFile),
                  sets: try c.decode([PlanSet].self, forKey: .sets), guards: try c.decode([GuardFinding].self, forKey: .guards),
                  warnings: try c.decode([String].self, forKey: .warnings),
                  unrecognizedKeys: try c.decode([String].self, forKey: .unrecognizedKeys),
                  totals: try c.decode(PlanTotals.self, forKey: .totals), cost: try c.decode(PlanCost.self, forKey: .cost),
                  noncurrent: try c.decodeIfPresent([NoncurrentVersion].self, forKey: .noncurrent) ?? [],
                  hiddenSets: try c.decodeIfPresent([PlanSet].self, forKey: .hiddenSets) ?? [],
                  uncheckedWAL: try c.decodeIfPresent(UncheckedWAL.self, forKey: .uncheckedWAL))
    }
}

/// What a guard found.
public struct GuardFinding: Codable, Sendable, Hashable {
    /// Which guard.
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The plan would delete more than `max_delete_fraction` of sets or bytes.
        case deleteFractionExceeded
        /// The newest set is older than twice `expect_every`.
        case stale
        /// Sets dated after now plus `future_tolerance`: kept and counted for no rule (informational).
        case futureDated
        /// Delete markers placed since the last sweep hide the newest set of a series, or more
        /// than `max_delete_fraction` of the sets: no version of the component is deleted, and
        /// `--force` does not lift it (`strata undelete` restores the sets).
        case deleteMarkerIncident
        /// A set that holds a keep slot could not be confirmed to exist as the plan saw it (an
        /// inventory report row for an object that is gone or changed): no deletions.
        case keeperUnconfirmed
        /// The final deletions would leave fewer sets than the floor (the newest set and
        /// `min(keep_last, sets)` per series): no deletions. A planner bug if it ever fires.
        case floor
        /// A bucket lifecycle rule Strata did not write would expire, move or abort the
        /// component's objects earlier or otherwise than the policy (``OutsideLifecycleRules``):
        /// no deletions until the rule changes or the policy acknowledges it; `--force` does not
        /// lift it.
        case outsideLifecycleRule
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

    /// Creates a finding.
    public init(kind: Kind, component: String, series: String, blocking: Bool, message: String) {
        self.kind = kind
        self.component = component
        self.series = series
        self.blocking = blocking
        self.message = message
    }
}
