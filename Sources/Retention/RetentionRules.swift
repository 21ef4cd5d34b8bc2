import Foundation

/// The keep rules of a policy; a set is kept if any rule keeps it (restic semantics).
public struct RetentionRules: Sendable, Hashable {
    /// Keep the N newest sets.
    public var keepLast: Int?
    /// Keep sets whose time is at or after `anchor - keepWithin`.
    public var keepWithin: PolicyDuration?
    /// Keep the newest set in each of the N most recent hours that contain a set.
    public var keepHourly: Int?
    /// Same, per calendar day.
    public var keepDaily: Int?
    /// Same, per ISO 8601 week.
    public var keepWeekly: Int?
    /// Same, per calendar month.
    public var keepMonthly: Int?
    /// Same, per calendar year.
    public var keepYearly: Int?
    /// Keep sets with an object tagged `strata-hold` (default on).
    public var keepTagged: Bool
    /// Where `keepWithin` measures from.
    public var anchor: Policy.Anchor

    /// Creates rules; with no arguments nothing but guards keeps a set.
    public init(
        keepLast: Int? = nil, keepWithin: PolicyDuration? = nil, keepHourly: Int? = nil, keepDaily: Int? = nil,
        keepWeekly: Int? = nil, keepMonthly: Int? = nil, keepYearly: Int? = nil, keepTagged: Bool = true,
        anchor: Policy.Anchor = .newest
    ) {
        self.keepLast = keepLast
        self.keepWithin = keepWithin
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepTagged = keepTagged
        self.anchor = anchor
    }

    /// Whether any count or window rule is set.
    public var hasKeepRule: Bool {
        keepLast != nil || keepWithin != nil || keepHourly != nil || keepDaily != nil || keepWeekly != nil
            || keepMonthly != nil || keepYearly != nil
    }
}
