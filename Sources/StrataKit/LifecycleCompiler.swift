import Foundation
import Retention
import S3

/// Compiles what S3's own lifecycle engine can do of the policies into a bucket lifecycle
/// configuration, one rule per component (id `strata-<component>`, filtered by its prefix):
///
/// - `AbortIncompleteMultipartUpload` after `abort_incomplete_after` (rounded up to whole days);
/// - a `Transition` per tier (`after`, rounded up to whole days), except for pgBackRest, whose
///   `backup.info` and manifests must stay in STANDARD and cannot be excluded by a prefix filter;
/// - `Expiration` only when the retention is purely age-based: `keep_within` with `anchor: now`,
///   no count or calendar rule, `keep_tagged: false`, not pgBackRest. `keep_last`, calendar
///   rules, `anchor: newest` and holds depend on other sets, which a lifecycle rule cannot see.
///
/// S3 measures age from each object's creation (upload) time, which is at or after the set's
/// time, so a rule never expires or moves an object earlier than the policy would. Unlike
/// `strata sweep`, lifecycle has no guard (`max_delete_fraction`) and also acts on keys under
/// the prefix that match no layout; the notes say so.
public struct LifecycleCompiler: Sendable {
    /// The compiled configuration and, per rule, what it leaves out and why.
    public struct Result: Sendable, Hashable {
        /// The configuration to PUT.
        public var configuration: LifecycleConfiguration
        /// Notes by rule id, in rule order.
        public var notes: [(ruleID: String, text: String)]

        /// Equal when configuration and notes are.
        public static func == (lhs: Result, rhs: Result) -> Bool {
            lhs.configuration == rhs.configuration
                && lhs.notes.map { [$0.ruleID, $0.text] } == rhs.notes.map { [$0.ruleID, $0.text] }
        }

        /// Hashes the configuration and notes.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(configuration)
            for note in notes { hasher.combine(note.ruleID); hasher.combine(note.text) }
        }

        /// What `strata lifecycle render --json` prints: the XML and, per rule, its notes.
        public var rendered: Rendered {
            Rendered(xml: configuration.xml, rules: configuration.rules.map(\.id),
                     notes: notes.map { Note(rule: $0.ruleID, text: $0.text) })
        }

        /// The configuration's XML with the notes as comments after the declaration.
        public var renderedXML: String {
            let xml = configuration.xml
            let declarationEnd = xml.range(of: "?>")?.upperBound ?? xml.startIndex
            let comments = notes.map { "<!-- \($0.ruleID): \(LifecycleCompiler.commentSafe($0.text)) -->" }
            return ([String(xml[..<declarationEnd])] + comments + [String(xml[declarationEnd...])])
                .filter { !$0.isEmpty }.joined(separator: "\n") + "\n"
        }
    }

    /// A note on one rule: what it leaves out and why.
    public struct Note: Sendable, Codable, Hashable {
        /// The rule id (`strata-<component>`).
        public var rule: String
        /// The note.
        public var text: String
    }

    /// A rendered configuration, as `lifecycle render --json` prints it.
    public struct Rendered: Sendable, Codable, Hashable {
        /// The `LifecycleConfiguration` XML, without comments.
        public var xml: String
        /// The rule ids, in order.
        public var rules: [String]
        /// The notes, in rule order.
        public var notes: [Note]
    }

    /// What `lifecycle apply` did, as `lifecycle apply --json` prints it.
    public struct Applied: Sendable, Codable, Hashable {
        /// The bucket.
        public var bucket: String
        /// The rule ids of the configuration that was replaced (empty when there was none).
        public var replacedRules: [String]
        /// Of those, the rules not named `strata-*`, which are gone now.
        public var removedForeignRules: [String]
        /// The rule ids now on the bucket.
        public var appliedRules: [String]
        /// The notes on the applied rules.
        public var notes: [Note]
    }

    /// The policies to compile.
    public let policies: PolicySet
    /// Whether tiers become `Transition` elements. Off for servers without an archive tier,
    /// which refuse them (SeaweedFS: 501 NotImplemented); `strata sweep` then moves the sets.
    public var transitions = true

    /// Creates a compiler.
    public init(policies: PolicySet, transitions: Bool = true) {
        self.policies = policies
        self.transitions = transitions
    }

    /// The rule id of a component.
    public static func ruleID(component: String) -> String { "strata-\(component)" }

    /// Compiles every policy (only `components`, when given). In a `versioned` bucket an
    /// expiring rule also deletes noncurrent versions a day after they become noncurrent, since
    /// expiring the current version only adds a delete marker.
    public func compile(components: Set<String>? = nil, versioned: Bool = false) throws -> Result {
        if let components {
            let unknown = components.subtracting(policies.policies.map(\.component))
            guard unknown.isEmpty else {
                throw StrataError(.configuration, "unknown component \(unknown.sorted().joined(separator: ", ")); expected one of \(policies.policies.map(\.component).joined(separator: ", "))")
            }
        }
        var rules: [LifecycleRule] = []
        var notes: [(ruleID: String, text: String)] = []
        for policy in policies.policies where components?.contains(policy.component) ?? true {
            var (rule, ruleNotes) = Self.rule(for: policy, versioned: versioned)
            if !transitions, !rule.transitions.isEmpty {
                rule.transitions = []
                ruleNotes.append("no transitions (--no-transitions): strata sweep moves the sets")
            }
            rules.append(rule)
            notes += ruleNotes.map { (rule.id, $0) }
        }
        return Result(configuration: LifecycleConfiguration(rules: rules), notes: notes)
    }

    /// Compiles for the context's bucket (asking whether it is versioned) and replaces the
    /// bucket's lifecycle configuration with the result. Returns what was replaced and applied.
    ///
    /// - Throws: a ``StrataError`` naming the element when the server does not implement part
    ///   of the configuration (501); the bucket's configuration is then unchanged.
    public func apply(context: StrataContext, components: Set<String>? = nil) async throws -> Applied {
        let status = try await context.client.getBucketVersioning(context.bucket)
        let result = try compile(components: components, versioned: status == "Enabled" || status == "Suspended")
        let previous = try await context.client.getBucketLifecycle(context.bucket)
        do {
            try await context.client.putBucketLifecycle(context.bucket, configuration: result.configuration)
        } catch let error as S3Error where error.status == 501 {
            throw Self.refusal(error, configuration: result.configuration, previous: previous, bucket: context.bucket)
        }
        context.logger.notice("lifecycle configuration replaced", metadata: [
            "bucket": "\(context.bucket)", "previous": "\(previous?.rules.map(\.id) ?? [])",
            "applied": "\(result.configuration.rules.map(\.id))"])
        let replaced = previous?.rules.map(\.id) ?? []
        return Applied(bucket: context.bucket, replacedRules: replaced,
                       removedForeignRules: replaced.filter { !$0.hasPrefix("strata-") },
                       appliedRules: result.configuration.rules.map(\.id), notes: result.rendered.notes)
    }

    /// What a 501 NotImplemented to the configuration means: which element the server lacks
    /// (the rules with `Transition`, when there are any: servers without an archive tier refuse
    /// them, SeaweedFS with a message about "a header you provided"), and that nothing changed.
    static func refusal(_ error: S3Error, configuration: LifecycleConfiguration, previous: LifecycleConfiguration?,
                        bucket: String) -> StrataError {
        let kept = previous.map { $0.rules.isEmpty ? "no rules" : "\($0.rules.count) rules: \($0.rules.map(\.id).joined(separator: ", "))" }
            ?? "no lifecycle configuration"
        let withTransitions = configuration.rules.filter { !$0.transitions.isEmpty }.map(\.id)
        let element = withTransitions.isEmpty
            ? "an element of the configuration (the rules use \(elements(of: configuration).joined(separator: ", ")))"
            : "the Transition elements of \(withTransitions.joined(separator: ", ")); rerun with --no-transitions to apply the rest and leave transitions to strata sweep"
        return StrataError(.failure, "lifecycle apply: \(bucket): the server does not implement \(element) (\(error.code) 501: \(TerminalText.escaped(String(error.message.prefix(300))))). Nothing was applied: the bucket keeps \(kept)")
    }

    /// The element names the configuration's rules use, in a fixed order.
    static func elements(of configuration: LifecycleConfiguration) -> [String] {
        var names = ["Filter"]
        if configuration.rules.contains(where: { $0.abortIncompleteUploadDays != nil }) { names.append("AbortIncompleteMultipartUpload") }
        if configuration.rules.contains(where: { $0.expirationDays != nil }) { names.append("Expiration") }
        if configuration.rules.contains(where: { $0.noncurrentExpirationDays != nil }) { names.append("NoncurrentVersionExpiration") }
        return names
    }

    /// The rule of one policy and notes on what it leaves to `strata sweep`.
    public static func rule(for policy: Policy, versioned: Bool = false) -> (LifecycleRule, [String]) {
        var rule = LifecycleRule(id: ruleID(component: policy.component), prefix: policy.prefix,
                                 abortIncompleteUploadDays: days(policy.abortIncompleteAfter))
        var notes: [String] = []
        let isPgBackRest: Bool
        if case .pgbackrest = policy.layout { isPgBackRest = true } else { isPgBackRest = false }
        if isPgBackRest {
            if !policy.tiers.isEmpty {
                notes.append("no transitions: a prefix rule would also move backup.info and manifests, which must stay in STANDARD; strata sweep moves the sets")
            }
        } else {
            rule.transitions = policy.tiers.map {
                LifecycleRule.Transition(days: days($0.after), storageClass: $0.storageClass.rawValue)
            }
            for tier in policy.tiers where [StorageClass.standardIA, .onezoneIA].contains(tier.storageClass) && days(tier.after) < 30 {
                notes.append("transition to \(tier.storageClass) after \(days(tier.after)) days: AWS requires at least 30")
            }
        }
        if let reason = whyNoExpiration(policy, isPgBackRest: isPgBackRest) {
            notes.append("no expiration: \(reason); strata sweep expires the sets")
        } else if let within = policy.retention.keepWithin {
            rule.expirationDays = days(within)
            if versioned { rule.noncurrentExpirationDays = 1 }
            notes.append("expires objects \(days(within)) days after upload (keep_within \(within), anchor now), with no max_delete_fraction guard, including keys that match no layout")
        }
        return (rule, notes)
    }

    /// Why S3 cannot express the policy's retention, or `nil` when it can.
    static func whyNoExpiration(_ policy: Policy, isPgBackRest: Bool) -> String? {
        let rules = policy.retention
        if isPgBackRest { return "pgBackRest sets depend on each other and on WAL" }
        guard rules.keepWithin != nil else { return "no keep_within" }
        var others: [String] = []
        if rules.keepLast != nil { others.append("keep_last") }
        if rules.keepHourly != nil { others.append("keep_hourly") }
        if rules.keepDaily != nil { others.append("keep_daily") }
        if rules.keepWeekly != nil { others.append("keep_weekly") }
        if rules.keepMonthly != nil { others.append("keep_monthly") }
        if rules.keepYearly != nil { others.append("keep_yearly") }
        if !others.isEmpty { return "\(others.joined(separator: ", ")) depends on the other sets, which S3 cannot count" }
        if rules.anchor != .now { return "keep_within is anchored to the newest set (anchor: newest), not to the current time" }
        if rules.keepTagged { return "held (strata-hold tagged) sets must be kept (set keep_tagged: false to allow expiration)" }
        return nil
    }

    /// Whole days, rounded up (keeping longer, never shorter), at least 1.
    static func days(_ duration: PolicyDuration) -> Int {
        max(1, Int((duration.seconds + 86_399) / 86_400))
    }

    /// Text safe inside an XML comment (no `--`).
    static func commentSafe(_ text: String) -> String {
        var out = text
        while out.contains("--") { out = out.replacingOccurrences(of: "--", with: "- -") }
        return out.hasSuffix("-") ? out + " " : out
    }
}
