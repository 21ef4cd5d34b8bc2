import Foundation

/// The `max_delete_fraction` guard of one component: what the plan would delete, against what
/// the component holds, by sets and by bytes. Hidden sets count as sets and noncurrent versions
/// count as bytes, so a purge of versions is bounded like any other deletion. Future-dated sets
/// count on neither side: planted keys must not dilute the fraction.
struct DeleteFractionGuard {
    /// Sets that count: live and hidden, not future-dated.
    var sets = 0
    /// Of those, the ones the plan expires.
    var expiringSets = 0
    /// Bytes under the prefix, outside future-dated sets (saturating).
    var bytes: Int64 = 0
    /// Bytes the plan would delete: expiring sets' versions, WAL, noncurrent versions (saturating).
    var deleteBytes: Int64 = 0

    /// The fraction of sets the plan deletes.
    var setFraction: Double { sets == 0 ? 0 : Double(expiringSets) / Double(sets) }
    /// The fraction of bytes the plan deletes.
    var byteFraction: Double { bytes <= 0 ? 0 : Double(deleteBytes) / Double(bytes) }

    /// The finding, if either fraction is over `policy`'s limit: blocking unless `force`.
    func finding(policy: Policy, force: Bool) -> GuardFinding? {
        let limit = policy.guards.maxDeleteFraction
        guard setFraction > limit || byteFraction > limit else { return nil }
        let numbers = "would delete \(expiringSets) of \(sets) sets (\(Self.percent(setFraction))) and \(deleteBytes) of \(bytes) bytes (\(Self.percent(byteFraction))), over max_delete_fraction \(limit)"
        return GuardFinding(kind: .deleteFractionExceeded, component: policy.component, series: "", blocking: !force,
                            message: force ? "forced: \(numbers)" : "blocked: \(numbers); no deletes for this component unless forced")
    }

    /// `0.25` as `25%`.
    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }
}
