import Foundation
import Testing
@testable import Retention

/// Which bucket lifecycle rules act on a component otherwise than its policy (issue 19), and
/// the planner's blocking finding that names them with the kept sets they would break.
@Suite struct OutsideLifecycleRulesTests {
    static func policy(_ yaml: String) throws -> Policy {
        try #require(try PolicySet.load(files: [PolicySource(path: "policies/c.yaml", contents: yaml)]).policies.first)
    }

    static let counted = """
        component: db
        prefix: db/
        layout: "db/{time:%Y%m%d_%H%M%S}.dump"
        retention:
          keep_last: 3
          keep_within: 30d
          keep_yearly: 7
        tiers:
          - after: 30d
            storage_class: STANDARD_IA
          - after: 90d
            storage_class: GLACIER
        abort_incomplete_after: 3d
        """
    static let ageOnly = """
        component: db
        prefix: db/
        layout: "db/{time:%Y%m%d_%H%M%S}.dump"
        retention:
          keep_within: 7d
          anchor: now
          keep_tagged: false
        noncurrent:
          expire_after: 2d
        """
    static let pgbackrest = """
        component: postgresql
        prefix: postgresql/
        layout: pgbackrest
        stanza: mind
        retention:
          keep_last: 3
        """

    typealias Rule = BucketLifecycleRule
    typealias Action = OutsideLifecycleRules.Action

    /// Policy, rule, and what the rule does that the policy does not (empty: no conflict).
    static let cases: [(String, String, Rule, [Action])] = [
        ("expiry under keep_last", counted, Rule(id: "r", prefix: "db/", expirationDays: 365), [.expires(days: 365)]),
        ("expiry on the whole bucket", counted, Rule(id: "r", prefix: "", expirationDays: 400), [.expires(days: 400)]),
        ("expiry after an age-only window", ageOnly, Rule(id: "r", prefix: "db/", expirationDays: 7), []),
        ("expiry inside an age-only window", ageOnly, Rule(id: "r", prefix: "db/", expirationDays: 6), [.expires(days: 6)]),
        ("expiry on a date", ageOnly, Rule(id: "r", prefix: "db/", expirationDate: Date(timeIntervalSince1970: 1_800_000_000)),
         [.expiresOn(Date(timeIntervalSince1970: 1_800_000_000))]),
        ("the policy's own transition", counted, Rule(id: "r", prefix: "db/", transitions: [.init(days: 90, storageClass: .glacier)]), []),
        ("a transition later, same class", counted, Rule(id: "r", prefix: "db/", transitions: [.init(days: 100, storageClass: .glacier)]), []),
        ("a transition earlier", counted, Rule(id: "r", prefix: "db/", transitions: [.init(days: 60, storageClass: .glacier)]),
         [.moves(days: 60, to: .glacier, policyClass: .standardIA)]),
        ("a colder class", counted, Rule(id: "r", prefix: "db/", transitions: [.init(days: 365, storageClass: .deepArchive)]),
         [.moves(days: 365, to: .deepArchive, policyClass: .glacier)]),
        ("any transition of pgBackRest", pgbackrest, Rule(id: "r", prefix: "postgresql/", transitions: [.init(days: 365, storageClass: .deepArchive)]),
         [.moves(days: 365, to: .deepArchive, policyClass: nil)]),
        ("WAL expiry", pgbackrest, Rule(id: "r", prefix: "postgresql/archive/", expirationDays: 14), [.expires(days: 14)]),
        ("noncurrent kept", counted, Rule(id: "r", prefix: "db/", noncurrentExpirationDays: 30), [.expiresNoncurrent(days: 30)]),
        ("noncurrent expired later", ageOnly, Rule(id: "r", prefix: "db/", noncurrentExpirationDays: 3), []),
        ("aborts earlier", counted, Rule(id: "r", prefix: "db/", abortIncompleteUploadDays: 1), [.abortsUploads(days: 1)]),
        ("aborts later", counted, Rule(id: "r", prefix: "db/", abortIncompleteUploadDays: 7), []),
        ("another prefix", counted, Rule(id: "r", prefix: "logs/", expirationDays: 1), []),
        ("a prefix that only shares letters", counted, Rule(id: "r", prefix: "dbx/", expirationDays: 1), []),
        ("disabled", counted, Rule(id: "r", enabled: false, prefix: "db/", expirationDays: 1), []),
    ]

    @Test("what a rule does that the policy does not", arguments: cases)
    func conflicts(name: String, yaml: String, rule: Rule, expected: [Action]) throws {
        let found = OutsideLifecycleRules.conflicts(of: try Self.policy(yaml), with: [rule])
        #expect(found.flatMap(\.actions) == expected, "\(name)")
    }

    @Test func elementsThatCannotBeWeighedConflict() throws {
        var rule = Rule(id: "r", prefix: "db/")
        rule.unrecognized = ["NoncurrentVersionTransition"]
        let found = OutsideLifecycleRules.conflicts(of: try Self.policy(Self.ageOnly), with: [rule])
        #expect(found.flatMap(\.actions) == [.unknown(["NoncurrentVersionTransition"])])
    }

    @Test func anAcknowledgedRuleIsLeftOut() throws {
        let policy = try Self.policy(Self.counted + "\nacknowledge_lifecycle_rules: [infra-expiry]")
        let rules = [Rule(id: "infra-expiry", prefix: "db/", expirationDays: 30), Rule(id: "other", prefix: "db/", expirationDays: 30)]
        #expect(OutsideLifecycleRules.conflicts(of: policy, with: rules).map(\.rule.id) == ["other"])
    }

    /// The planner: the finding blocks the component's deletions whatever `--force` says, and
    /// names the kept sets the rule would break.
    @Test(arguments: [false, true])
    func theFindingBlocksDeletionsAndNamesTheSetsItBreaks(force: Bool) throws {
        let policies = try PolicySet.load(files: [PolicySource(path: "policies/db.yaml", contents: Self.counted)])
        let now = Date(timeIntervalSince1970: 1_795_593_600)  // 2026-11-25T08:00:00Z
        // A set a day for 60 days: keep_within 30d keeps 30, the rest expire.
        let objects = (0..<60).map { day -> InventoryObject in
            let time = now.addingTimeInterval(-Double(day) * 86_400 - 3_600)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd_HHmmss"
            return InventoryObject(key: "db/\(formatter.string(from: time)).dump", size: 10, lastModified: time)
        }
        var options = PlanOptions(force: force)
        let plain = Planner(policies: policies, options: options).plan(inventory: Inventory(objects: objects), now: now)
        #expect(plain.actions.contains { if case .delete = $0 { true } else { false } })
        options.lifecycleRules = [Rule(id: "infra-expiry", prefix: "db/", expirationDays: 10)]
        let plan = Planner(policies: policies, options: options).plan(inventory: Inventory(objects: objects), now: now)
        #expect(!plan.actions.contains { if case .delete = $0 { true } else { false } })
        let finding = try #require(plan.components.first?.guards.first { $0.kind == .outsideLifecycleRule })
        #expect(finding.blocking)
        #expect(plan.blockedComponents.map(\.component) == ["db"])
        // Every kept set: each is kept at least 30 days, and the rule deletes it after 10.
        let kept = try #require(plan.components.first).sets.filter { $0.decision == .keep }.count
        #expect(kept >= 30)
        #expect(finding.message.hasPrefix("blocked: lifecycle rule 'infra-expiry' on keys under 'db/' expires objects 10 days after upload; it would break \(kept) kept set(s): "), "\(finding.message)")
        // A rule that acts long after today's kept sets go still blocks: the policy's counts
        // and calendar rules may keep a set longer than any fixed age.
        options.lifecycleRules = [Rule(id: "late-expiry", prefix: "db/", expirationDays: 36_500)]
        let late = Planner(policies: policies, options: options).plan(inventory: Inventory(objects: objects), now: now)
        let lateFinding = try #require(late.components.first?.guards.first { $0.kind == .outsideLifecycleRule })
        #expect(lateFinding.blocking)
        #expect(lateFinding.message.contains("lifecycle rule 'late-expiry' on keys under 'db/' expires objects 36500 days after upload"))
        #expect(finding.message.hasSuffix("acknowledge it in policies/db.yaml (acknowledge_lifecycle_rules: [infra-expiry])"))
    }
}
