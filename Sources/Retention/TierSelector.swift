import Foundation

/// Chooses the class a kept set moves to: only colder, never warmer; not into a class whose
/// minimum storage duration would outlast the set's projected expiry.
struct TierSelector {
    let tiers: [TierRule]
    let pricing: PricingTable
    /// Objects below this size are not moved into classes with a minimum billable size
    /// (STANDARD_IA, ONEZONE_IA, GLACIER_IR): they would be billed as 128 KiB.
    static let smallObjectLimit: Int64 = 131_072

    /// The tier for a set of `ageSeconds` whose keep ends at `expiry` (nil: unknown, `.max`: never),
    /// or nil when no tier applies.
    func target(ageSeconds: Int64, now: Int64, expiry: Int64?) -> TierRule? {
        for tier in tiers.reversed() where tier.after.seconds <= ageSeconds {
            let minimum = Int64(pricing.price(tier.storageClass).minimumDays) * 86_400
            if let expiry, expiry != KeepEvaluator.indefinite, now + minimum > expiry { continue }
            return tier
        }
        return nil
    }

    /// Whether one object moves from `current` to `target`.
    static func shouldMove(size: Int64, from current: StorageClass, to target: StorageClass) -> Bool {
        guard let from = current.coldness, let to = target.coldness, to > from else { return false }
        if current == .onezoneIA && target == .standardIA { return false }
        if [.standardIA, .onezoneIA, .glacierIR].contains(target) && size < smallObjectLimit { return false }
        return true
    }
}
