import Foundation

/// One backup set and the decision about it.
public struct PlanSet: Codable, Sendable, Hashable {
    /// Keep or expire.
    public enum Decision: String, Codable, Sendable, Hashable {
        /// At least one reason keeps it.
        case keep
        /// No rule keeps it; its objects are deleted (unless a guard blocks the component).
        case expire
    }

    /// Set identifier: the pgBackRest label, or the set time (and series) for template layouts.
    public var id: String
    /// Series ("" when the layout has none).
    public var series: String
    /// Set time.
    public var time: Date
    /// Keep or expire.
    public var decision: Decision
    /// Every reason the set is kept (empty when expiring).
    public var reasons: [KeepReason]
    /// Whether object lock or legal hold makes deletion impossible.
    public var cannotDelete: Bool
    /// Storage classes of the current members, sorted.
    public var currentClasses: [StorageClass]
    /// Class the set moves to, if a tier applies.
    public var targetClass: StorageClass?
    /// When the longest-keeping rule stops keeping the set, if backups continue on schedule;
    /// `nil` when indefinite or unknown; `now` when expiring.
    public var projectedExpiry: Date?
    /// Number of current member objects.
    public var objectCount: Int
    /// Bytes of current member objects.
    public var bytes: Int64
    /// Member keys, sorted.
    public var members: [String]
}

/// Why a set is kept.
public struct KeepReason: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Which rule.
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The newest set of its series (a guard, always).
        case newest
        /// `keep_last`.
        case last
        /// `keep_within`.
        case within
        /// `keep_hourly`.
        case hourly
        /// `keep_daily`.
        case daily
        /// `keep_weekly` (ISO weeks).
        case weekly
        /// `keep_monthly`.
        case monthly
        /// `keep_yearly`.
        case yearly
        /// `keep_tagged`: an object carries the `strata-hold` tag.
        case tagged
        /// Object Lock retention in the future on a version: cannot delete.
        case objectLock
        /// Legal hold on a version: cannot delete.
        case legalHold
        /// pgBackRest: a kept set needs this one to restore.
        case dependency
        /// Dated more than `guards.future_tolerance` after now: kept, and counted for no rule.
        case future
    }

    /// Which rule.
    public var kind: Kind
    /// The reason as a person reads it, e.g. `yearly 2024`, `dependency of 20250102-020000F`.
    public var text: String

    /// Creates a reason.
    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }

    /// Whether this reason makes deletion impossible rather than merely unwanted.
    public var preventsDeletion: Bool { kind == .objectLock || kind == .legalHold }

    /// The text.
    public var description: String { text }
}
