import Foundation

/// One lint finding.
public struct LintFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much it matters.
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        /// Worth knowing.
        case info
        /// Costs money or surprises people.
        case warning
        /// Wrong.
        case error

        private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        /// Orders info < warning < error.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// How much it matters.
    public var severity: Severity
    /// Component.
    public var component: String
    /// Policy file.
    public var file: String
    /// What is wrong, with numbers, and what to do instead.
    public var message: String

    /// `file: severity: component: message`
    public var description: String { "\(file): \(severity.rawValue): \(component): \(message)" }
}

/// Checks policies (and optionally the inventory) for settings that cost money or surprise people.
public struct Lint: Sendable {
    /// Policies to check.
    public let policies: PolicySet
    /// Prices and minimum durations.
    public let pricing: PricingTable

    /// Creates a linter.
    public init(policies: PolicySet, pricing: PricingTable = .usEast1) {
        self.policies = policies
        self.pricing = pricing
    }

    /// How long a typical set is kept under `rules`, in days: the longest window any rule gives
    /// a set that is not the newest of its kind (calendar rules count whole periods).
    public static func typicalRetentionDays(_ rules: RetentionRules, expectEvery: PolicyDuration?) -> Double {
        var days = 0.0
        if let within = rules.keepWithin { days = max(days, Double(within.seconds) / 86_400) }
        if let last = rules.keepLast, let every = expectEvery { days = max(days, Double(last) * Double(every.seconds) / 86_400) }
        return days
    }

    /// Findings, sorted by file, severity (worst first), message. With an inventory, findings that
    /// need object sizes (small objects, money figures) use the real bytes; with `now` as well,
    /// what someone else may have written is reported: future-dated sets, sets hidden by delete
    /// markers, and a delete-marker incident; and pgBackRest WAL kept unchecked (`documents` are
    /// what `Planner.documentsNeeded` names, as for a plan).
    public func run(inventory: Inventory? = nil, now: Date? = nil, documents: [String: String] = [:]) -> [LintFinding] {
        guard let inventory else { return run(tally: nil, plan: nil) }
        var tally = BucketTally(lint: self)
        for object in inventory.objects { tally.add(object) }
        let plan = now.map { Planner(policies: policies, pricing: pricing).plan(inventory: inventory, now: $0, documents: documents) }
        return run(tally: tally, plan: plan)
    }

    /// What lint learns from a bucket's objects, counted an object at a time, so a listing or
    /// report of any size can be linted from a stream: per component, its current objects,
    /// bytes, monthly cost, small objects in IA classes, and template sets.
    public struct BucketTally: Sendable {
        private let policies: PolicySet
        private let pricing: PricingTable
        private let prefixes: [[UInt8]]
        fileprivate var bytes: [Int64]
        fileprivate var sets: [Set<String>]
        fileprivate var small: [(count: Int, bytes: Int64, billed: Int64)]
        fileprivate var monthly: [Double]
        fileprivate var objectCounts: [Int]

        /// An empty tally for `lint`'s policies and prices.
        public init(lint: Lint) {
            policies = lint.policies
            pricing = lint.pricing
            prefixes = policies.policies.map { Array($0.prefix.utf8) }
            bytes = [Int64](repeating: 0, count: prefixes.count)
            sets = [Set<String>](repeating: [], count: prefixes.count)
            small = [(count: Int, bytes: Int64, billed: Int64)](repeating: (0, 0, 0), count: prefixes.count)
            monthly = [Double](repeating: 0, count: prefixes.count)
            objectCounts = [Int](repeating: 0, count: prefixes.count)
        }

        /// Counts `object` (only current objects under a policy's prefix count).
        public mutating func add(_ object: InventoryObject) {
            guard object.isCurrent, let slot = Planner.owner(of: object.key, prefixes: prefixes) else { return }
            // A listing's or report's sizes are each up to 2^63-1: saturate, never trap.
            bytes[slot] = bytes[slot].saturatingAdd(object.size)
            monthly[slot] += pricing.monthlyCost(size: object.size, in: object.storageClass)
            objectCounts[slot] += 1
            if [.standardIA, .onezoneIA, .glacierIR].contains(object.storageClass) && object.size < TierSelector.smallObjectLimit {
                small[slot].count += 1
                small[slot].bytes = small[slot].bytes.saturatingAdd(object.size)
                small[slot].billed = small[slot].billed.saturatingAdd(TierSelector.smallObjectLimit)
            }
            if case .template(let template) = policies.policies[slot].layout,
               let (series, epoch) = template.match(object.key, zone: policies.policies[slot].timeZone) {
                sets[slot].insert("\(series)@\(epoch)")
            }
        }
    }

    /// ``run(inventory:now:documents:)`` from a bucket's objects already counted (`nil`: policies
    /// only) and its plan (`nil`: no findings about what someone else wrote); the plan needs no
    /// members or actions, a streamed plan's summary will do.
    public func run(tally: BucketTally?, plan: Plan?) -> [LintFinding] {
        var findings: [LintFinding] = []
        if let plan { findings += planFindings(plan) }
        // No bucket counts as an empty one.
        let tally = tally ?? BucketTally(lint: self)
        let (bytes, sets, small, monthly, objectCounts) = (tally.bytes, tally.sets, tally.small, tally.monthly, tally.objectCounts)
        for (slot, policy) in policies.policies.enumerated() {
            func add(_ severity: LintFinding.Severity, _ message: String) {
                findings.append(LintFinding(severity: severity, component: policy.component, file: policy.sourcePath, message: message))
            }
            let rules = policy.retention
            let retention = Self.typicalRetentionDays(rules, expectEvery: policy.expectEvery)
            if rules.anchor == .now {
                add(.warning, "anchor: now expires sets by wall-clock age, so if backups stop the last sets still expire (down to the newest); anchor: newest keeps everything when backups stop")
            }
            let upload = policy.upload.storageClass
            let minimum = Double(pricing.price(upload).minimumDays)
            let calendar = rules.keepHourly != nil || rules.keepDaily != nil || rules.keepWeekly != nil || rules.keepMonthly != nil || rules.keepYearly != nil
            if minimum > 0, retention > 0, minimum > retention, !calendar {
                // Per GB of backups: each set pays the minimum duration in the upload class,
                // versus its actual retention in STANDARD.
                let perGBUpload = pricing.lifetimeCost(size: 1 << 30, in: upload, days: retention)
                let perGBStandard = pricing.lifetimeCost(size: 1 << 30, in: .standard, days: retention)
                var message = "uploads go to \(upload) (minimum \(Int(minimum)) days) but sets are kept about \(Self.days(retention)) days, so each set pays \(Int(minimum)) days: "
                message += String(format: "$%.4f per GB stored vs $%.4f in STANDARD (%.0f%% less)", perGBUpload, perGBStandard, (1 - perGBStandard / perGBUpload) * 100)
                if bytes[slot] > 0, sets[slot].count > 0, let every = policy.expectEvery {
                    // Monthly figure for the observed backup size and the policy's cadence.
                    let perSet = Double(bytes[slot]) / Double(sets[slot].count)
                    let setsPerMonth = 30 * 86_400 / Double(every.seconds)
                    let saving = (perGBUpload - perGBStandard) * perSet / Double(1 << 30) * setsPerMonth
                    message += "; at the current \(PlanTable.formatBytes(Int64(perSet))) per set every \(every), STANDARD would save " + String(format: "$%.2f", saving) + " a month"
                }
                add(.warning, message + "; use storage_class: STANDARD")
            }
            for tier in policy.tiers {
                if tier.after.seconds < 30 * 86_400 {
                    add(.warning, "tier to \(tier.storageClass) after \(tier.after) is under 30 days; S3 lifecycle needs 30 days in STANDARD before IA classes, and objects moved early pay STANDARD and the colder class; use after: 30d or more")
                }
                let tierMinimum = Double(pricing.price(tier.storageClass).minimumDays)
                if retention > 0, !calendar, Double(tier.after.seconds) / 86_400 + tierMinimum > retention {
                    add(.info, "tier \(tier.storageClass) after \(tier.after) never applies to sets kept about \(Self.days(retention)) days: its minimum duration (\(Int(tierMinimum)) days) would outlast them")
                }
                if case .pgbackrest = policy.layout, tier.storageClass.needsRestore {
                    add(.warning, "pgBackRest cannot read \(tier.storageClass) objects: restoring a set there needs an S3 restore of every file first; consider GLACIER_IR")
                }
            }
            if small[slot].count > 0 {
                add(.warning, "\(small[slot].count) objects under 128 KiB are in IA/GLACIER_IR classes, billed as \(PlanTable.formatBytes(small[slot].billed)) for \(PlanTable.formatBytes(small[slot].bytes)) stored; keep small objects in STANDARD")
            }
            if objectCounts[slot] > 0 {
                add(.info, "stores \(objectCounts[slot]) objects, \(PlanTable.formatBytes(bytes[slot])), costing " + String(format: "$%.2f", monthly[slot]) + " a month at these prices")
            }
            if policy.expectEvery == nil {
                add(.info, "no expect_every: staleness of backups is not checked")
            }
        }
        return findings.sorted { ($0.file, -$0.severity.rankValue, $0.message) < ($1.file, -$1.severity.rankValue, $1.message) }
    }

    /// The planner's findings about content someone else wrote, and WAL it cannot judge, as
    /// lint warnings.
    private func planFindings(_ plan: Plan) -> [LintFinding] {
        var findings: [LintFinding] = []
        for component in plan.components {
            let file = component.policyFile
            if let unchecked = component.uncheckedWAL {
                findings.append(LintFinding(severity: .warning, component: component.component, file: file, message: unchecked.warning))
            }
            for finding in component.guards where finding.kind == .futureDated || finding.kind == .deleteMarkerIncident {
                findings.append(LintFinding(severity: .warning, component: component.component, file: file, message: finding.message))
            }
            let kept = component.hiddenSets.filter { $0.decision == .keep }
            if !kept.isEmpty {
                findings.append(LintFinding(severity: .warning, component: component.component, file: file,
                    message: "\(kept.count) set(s) the policy keeps are hidden by delete markers (newest \(kept.map(\.id).max() ?? "")); strata undelete --component \(component.component) restores them"))
            }
        }
        return findings
    }

    static func days(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value) }
}

extension LintFinding.Severity {
    var rankValue: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
}
