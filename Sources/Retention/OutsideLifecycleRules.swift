import Foundation

/// The bucket lifecycle rules that would act on a component's objects earlier or otherwise than
/// its policy: a rule added by hand or by infrastructure code can expire WAL between two full
/// backups (wal-g/wal-g#1869), or move a backup to a class a restore cannot read in time. S3
/// carries such a rule out on its own, whatever the sweep plans; the planner reports it and
/// withholds the component's deletions (``GuardFinding/Kind/outsideLifecycleRule``) until the
/// rule is changed or the policy acknowledges it (`acknowledge_lifecycle_rules: [ID]`).
///
/// What counts, per rule element, for a policy whose prefix the rule's filter overlaps:
/// - `Expiration` after D days: unless the retention is age-only (`keep_within` W with
///   `anchor: now`, no count or calendar rule, `keep_tagged: false`, not pgBackRest) and W ≤ D;
///   every other policy may keep a set longer than any fixed age.
/// - `Expiration` on a date: always.
/// - `Transition` to C after D days: unless the policy's tiers have the sets in C at age D
///   (its upload class before the first tier); for pgBackRest always, since `backup.info` and
///   the manifests must stay in STANDARD.
/// - `NoncurrentVersionExpiration` after D days: when the policy keeps noncurrent versions
///   (`noncurrent: keep`) or keeps them longer than D days.
/// - `AbortIncompleteMultipartUpload` after D days: when D is shorter than `abort_incomplete_after`.
///
/// A rule with elements the application could not read or does not model counts too: what it
/// does cannot be weighed. Disabled rules and rules the policy acknowledges are left out.
public enum OutsideLifecycleRules {
    /// What one element of a rule would do that the policy does not.
    public enum Action: Sendable, Hashable {
        /// `Expiration` after `days`.
        case expires(days: Int)
        /// `Expiration` on a date.
        case expiresOn(Date)
        /// `Transition` to `to` after `days`, where the policy has `policyClass` (nil: pgBackRest).
        case moves(days: Int, to: StorageClass, policyClass: StorageClass?)
        /// `NoncurrentVersionExpiration` after `days`.
        case expiresNoncurrent(days: Int)
        /// `AbortIncompleteMultipartUpload` after `days`.
        case abortsUploads(days: Int)
        /// Elements that could not be read or are not modelled: what they do is unknown.
        case unknown([String])

        /// What the element does, in words.
        public var description: String {
            switch self {
            case .expires(let days): "expires objects \(days) days after upload"
            case .expiresOn(let date): "expires every object on \(ISO8601DateFormatter().string(from: date))"
            case .moves(let days, let to, let policyClass):
                "moves objects to \(to) \(days) days after upload"
                    + (policyClass.map { ", where the policy has them in \($0)" } ?? ", where pgBackRest's backup.info and manifests must stay in STANDARD")
            case .expiresNoncurrent(let days): "deletes noncurrent versions \(days) days after they become noncurrent"
            case .abortsUploads(let days): "aborts incomplete uploads \(days) days after they start"
            case .unknown(let elements): "holds elements Strata cannot weigh (\(elements.joined(separator: ", ")))"
            }
        }

        /// The age in seconds from which the element acts on a set of a given time, when it
        /// acts on sets (not on noncurrent versions or uploads).
        func actsOnSets(setEpoch: Int64) -> Int64? {
            switch self {
            case .expires(let days), .moves(let days, _, _): setEpoch.saturatingAdd(Int64(days).saturatingMultiply(86_400))
            case .expiresOn(let date): Int64(date.timeIntervalSince1970.rounded(.down))
            case .expiresNoncurrent, .abortsUploads, .unknown: nil
            }
        }
    }

    /// One rule and what its elements would do to a component that the policy does not.
    public struct Conflict: Sendable, Hashable {
        /// The rule.
        public var rule: BucketLifecycleRule
        /// Its elements that differ from the policy.
        public var actions: [Action]

        /// `lifecycle rule 'ID' on keys under 'PREFIX' <what its elements do>`.
        public var description: String {
            let scope = rule.prefix.isEmpty ? "every key" : "keys under '\(rule.prefix)'"
            let tagged = rule.filteredByTag ? " (tagged objects only)" : ""
            return "lifecycle rule '\(rule.id)' on \(scope)\(tagged) \(actions.map(\.description).joined(separator: "; "))"
        }
    }

    /// The rules among `rules` that conflict with `policy`, in the order given.
    public static func conflicts(of policy: Policy, with rules: [BucketLifecycleRule]) -> [Conflict] {
        rules.compactMap { rule in
            guard rule.enabled, rule.overlaps(prefix: policy.prefix),
                  !policy.acknowledgedLifecycleRules.contains(rule.id) else { return nil }
            let actions = actions(of: rule, against: policy)
            return actions.isEmpty ? nil : Conflict(rule: rule, actions: actions)
        }
    }

    /// The elements of `rule` that act earlier or otherwise than `policy`.
    static func actions(of rule: BucketLifecycleRule, against policy: Policy) -> [Action] {
        var actions: [Action] = []
        if !rule.unrecognized.isEmpty { actions.append(.unknown(rule.unrecognized)) }
        let isPgBackRest: Bool
        if case .pgbackrest = policy.layout { isPgBackRest = true } else { isPgBackRest = false }
        if let days = rule.expirationDays, !(ageOnlyKeep(policy, isPgBackRest: isPgBackRest).map { $0 <= seconds(days) } ?? false) {
            actions.append(.expires(days: days))
        }
        if let date = rule.expirationDate { actions.append(.expiresOn(date)) }
        for transition in rule.transitions {
            if isPgBackRest {
                actions.append(.moves(days: transition.days, to: transition.storageClass, policyClass: nil))
                continue
            }
            let held = policyClass(policy, atAge: seconds(transition.days))
            if held != transition.storageClass {
                actions.append(.moves(days: transition.days, to: transition.storageClass, policyClass: held))
            }
        }
        if let days = rule.noncurrentExpirationDays,
           policy.noncurrentExpireAfter.map({ $0.seconds > seconds(days) }) ?? true {
            actions.append(.expiresNoncurrent(days: days))
        }
        if let days = rule.abortIncompleteUploadDays, seconds(days) < policy.abortIncompleteAfter.seconds {
            actions.append(.abortsUploads(days: days))
        }
        return actions
    }

    /// How long an age-only policy keeps a set, or `nil` when its retention depends on the
    /// other sets, the newest set, holds or pgBackRest's chains.
    static func ageOnlyKeep(_ policy: Policy, isPgBackRest: Bool) -> Int64? {
        let rules = policy.retention
        guard !isPgBackRest, let within = rules.keepWithin, rules.anchor == .now, !rules.keepTagged,
              rules.keepLast == nil, rules.keepHourly == nil, rules.keepDaily == nil, rules.keepWeekly == nil,
              rules.keepMonthly == nil, rules.keepYearly == nil else { return nil }
        return within.seconds
    }

    /// The class the policy has a set in at `age` seconds: the last tier reached, else the
    /// upload class.
    static func policyClass(_ policy: Policy, atAge age: Int64) -> StorageClass {
        policy.tiers.last { $0.after.seconds <= age }?.storageClass ?? policy.upload.storageClass
    }

    static func seconds(_ days: Int) -> Int64 { Int64(days).saturatingMultiply(86_400) }
}
