import Foundation

/// Applies a policy's keep rules to the sets of one series (restic semantics where restic has
/// the concept). Works on epoch seconds; calendar periods are drawn in the policy's zone.
struct KeepEvaluator {
    /// What the evaluator needs to know about one set.
    struct Candidate {
        var epoch: Int64
        var tagged: Bool
        /// Latest COMPLIANCE (or unknown-mode) retain-until among the set's versions, epoch seconds.
        var complianceUntil: Int64? = nil
        /// Latest GOVERNANCE retain-until among the set's versions, epoch seconds.
        var governanceUntil: Int64? = nil
        var legalHold: Bool = false

        /// Takes in one version of the set: its `strata-hold` tag, legal hold and lock.
        mutating func add(_ object: InventoryObject) {
            if object.tags?[Planner.holdTag] != nil { tagged = true }
            guard let lock = object.objectLock else { return }
            if lock.legalHold { legalHold = true }
            if let until = lock.retainUntil {
                let seconds = Int64(until.timeIntervalSince1970.rounded(.up))
                if lock.mode == .governance {
                    governanceUntil = max(governanceUntil ?? seconds, seconds)
                } else {
                    complianceUntil = max(complianceUntil ?? seconds, seconds)
                }
            }
        }
    }

    /// Reasons and projected expiry of one set. `expiry == .max` means indefinitely.
    struct Verdict {
        var reasons: [KeepReason] = []
        var expiry: Int64? = nil

        mutating func extend(_ until: Int64?) {
            guard let until else { return }
            expiry = max(expiry ?? until, until)
        }
    }

    static let indefinite = Int64.max

    let rules: RetentionRules
    let zone: PolicyTimeZone
    let now: Int64
    let expectEvery: PolicyDuration?
    /// Whether GOVERNANCE locks are bypassed (`--bypass-governance`).
    var bypassGovernance = false

    /// Evaluates `sets`, which must be sorted newest first. Returns one verdict per set.
    func evaluate(_ sets: [Candidate]) -> [Verdict] {
        var verdicts = [Verdict](repeating: Verdict(), count: sets.count)
        guard let newest = sets.first?.epoch else { return verdicts }
        verdicts[0].reasons.append(KeepReason(.newest, "newest set of the series"))

        if let n = rules.keepLast {
            for i in 0..<min(n, sets.count) {
                verdicts[i].reasons.append(KeepReason(.last, "last \(n)"))
                verdicts[i].extend(expectEvery.map { newest.saturatingAdd(Int64(n - i).saturatingMultiply($0.seconds)) })
            }
        }
        if let window = rules.keepWithin {
            let anchor = rules.anchor == .now ? now : newest
            for (i, set) in sets.enumerated() where set.epoch >= anchor.saturatingSubtract(window.seconds) {
                verdicts[i].reasons.append(KeepReason(.within, "within \(window)"))
                verdicts[i].extend(set.epoch.saturatingAdd(window.seconds))
            }
        }
        for period in CalendarPeriod.allCases {
            guard let n = count(for: period) else { continue }
            var remaining = n
            var last: Int64? = nil
            for (i, set) in sets.enumerated() where remaining > 0 {
                let bucket = period.bucket(ofLocal: zone.local(fromEpoch: set.epoch))
                guard bucket != last else { continue }
                last = bucket
                remaining -= 1
                verdicts[i].reasons.append(KeepReason(period.kind, "\(period.kind.rawValue) \(period.label(bucket))"))
                // Policy files bound counts (YAMLReader.maximumCount); a policy built in code
                // is clamped the same way, which moves no decision, only a far projection.
                verdicts[i].extend(zone.epoch(fromLocal: period.start(ofBucket: bucket, plus: Int64(min(n, YAMLReader.maximumCount)))))
            }
        }
        for (i, set) in sets.enumerated() {
            if rules.keepTagged && set.tagged {
                verdicts[i].reasons.append(KeepReason(.tagged, "tagged \(Planner.holdTag)"))
                verdicts[i].extend(Self.indefinite)
            }
            if let until = set.complianceUntil, until > now {
                verdicts[i].reasons.append(KeepReason(.objectLock, "blocked by object lock until \(CivilTime.iso8601(until)) (COMPLIANCE)"))
                verdicts[i].extend(until)
            }
            if let until = set.governanceUntil, until > now, !bypassGovernance {
                verdicts[i].reasons.append(KeepReason(.objectLock, "blocked by object lock until \(CivilTime.iso8601(until)) (GOVERNANCE; --bypass-governance lets an expired set go)"))
                verdicts[i].extend(until)
            }
            if set.legalHold {
                verdicts[i].reasons.append(KeepReason(.legalHold, "blocked by legal hold"))
                verdicts[i].extend(Self.indefinite)
            }
        }
        return verdicts
    }

    private func count(for period: CalendarPeriod) -> Int? {
        switch period {
        case .hourly: rules.keepHourly
        case .daily: rules.keepDaily
        case .weekly: rules.keepWeekly
        case .monthly: rules.keepMonthly
        case .yearly: rules.keepYearly
        }
    }
}

/// The calendar periods of `keep_hourly` ... `keep_yearly`, as integer buckets of wall-clock time.
enum CalendarPeriod: CaseIterable {
    case hourly, daily, weekly, monthly, yearly

    var kind: KeepReason.Kind {
        switch self {
        case .hourly: .hourly
        case .daily: .daily
        case .weekly: .weekly
        case .monthly: .monthly
        case .yearly: .yearly
        }
    }

    /// Bucket number of a wall-clock time (seconds, as if UTC).
    func bucket(ofLocal local: Int64) -> Int64 {
        let days = CivilTime.floorDiv(local, 86_400)
        switch self {
        case .hourly: return CivilTime.floorDiv(local, 3_600)
        case .daily: return days
        case .weekly:
            let (year, week) = CivilTime.isoWeek(days: days)
            return year * 100 + week
        case .monthly:
            let (year, month, _) = CivilTime.civilFromDays(days)
            return year * 12 + month - 1
        case .yearly: return CivilTime.civilFromDays(days).year
        }
    }

    /// Wall-clock start of the bucket `n` periods after `bucket`.
    func start(ofBucket bucket: Int64, plus n: Int64) -> Int64 {
        switch self {
        case .hourly: return (bucket + n) * 3_600
        case .daily: return (bucket + n) * 86_400
        case .weekly:
            let year = bucket / 100, week = bucket % 100
            let jan4 = CivilTime.daysFromCivil(year: year, month: 1, day: 4)
            let weekday = ((jan4 + 3) % 7 + 7) % 7
            let monday = jan4 - weekday + (week - 1) * 7
            return (monday + 7 * n) * 86_400
        case .monthly:
            let index = bucket + n
            return CivilTime.daysFromCivil(year: CivilTime.floorDiv(index, 12), month: index - CivilTime.floorDiv(index, 12) * 12 + 1, day: 1) * 86_400
        case .yearly: return CivilTime.daysFromCivil(year: bucket + n, month: 1, day: 1) * 86_400
        }
    }

    /// How the bucket reads in a reason: `2025-01-02T03`, `2025-01-02`, `2025-W01`, `2025-01`, `2025`.
    func label(_ bucket: Int64) -> String {
        switch self {
        case .hourly:
            let days = CivilTime.floorDiv(bucket, 24)
            let (y, m, d) = CivilTime.civilFromDays(days)
            return "\(CivilTime.pad(y, 4))-\(CivilTime.pad(m, 2))-\(CivilTime.pad(d, 2))T\(CivilTime.pad(bucket - days * 24, 2))"
        case .daily:
            let (y, m, d) = CivilTime.civilFromDays(bucket)
            return "\(CivilTime.pad(y, 4))-\(CivilTime.pad(m, 2))-\(CivilTime.pad(d, 2))"
        case .weekly: return "\(CivilTime.pad(bucket / 100, 4))-W\(CivilTime.pad(bucket % 100, 2))"
        case .monthly:
            let year = CivilTime.floorDiv(bucket, 12)
            return "\(CivilTime.pad(year, 4))-\(CivilTime.pad(bucket - year * 12 + 1, 2))"
        case .yearly: return CivilTime.pad(bucket, 4)
        }
    }
}
