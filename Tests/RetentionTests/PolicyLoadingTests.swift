import Foundation
import Testing
@testable import Retention

/// Policies load from YAML; every mistake is reported as `file:line:column: what is wrong, what is expected`.
@Suite struct PolicyLoadingTests {
    static let valid = """
        component: db
        prefix: db/
        layout: "db/{time:%Y%m%d_%H%M%S}.dump"
        retention:
          keep_within: 7d
        """

    @Test func theSixDefaultPoliciesLoad() throws {
        let set = try Fixtures.defaultPolicies()
        #expect(set.policies.map(\.component) == ["falkordb", "nats", "postgresql", "qdrant", "temporal", "vault"])
        for policy in set.policies {
            #expect((policy.retention.keepLast ?? 0) >= 3, "\(policy.component) keeps at least the newest 3 sets")
            #expect(policy.expectEvery != nil)
        }
        let postgres = try #require(set.policy(named: "postgresql"))
        #expect(postgres.layout == .pgbackrest(stanza: "mind"))
        #expect(postgres.retention.keepWithin == .days(30))
        #expect(postgres.retention.keepYearly == 7)
        let falkor = try #require(set.policy(named: "falkordb"))
        #expect(falkor.upload.storageClass == .standardIA)
        #expect(falkor.retention.keepWithin == .days(7))
        #expect(set.policy(named: "qdrant")?.retention.keepWithin == .days(7))
        #expect(set.policy(named: "nats")?.retention.keepWithin == .days(3))
        #expect(set.policy(named: "temporal")?.retention.keepWithin == .days(30))
        #expect(set.policy(named: "vault")?.retention.keepWithin == .days(90))
        #expect(set.policy(forKey: "qdrant/mind_memories-2025-01-15-12-00-00.snapshot")?.component == "qdrant")
        #expect(set.policy(forKey: "elsewhere/x") == nil)
    }

    @Test func fullSchemaIsRead() throws {
        let yaml = """
            component: db
            prefix: db/
            layout: "db/{series}/{time:%Y%m%d}.dump"
            time_zone: Europe/Berlin
            expect_every: 1d
            abort_incomplete_after: 2d
            retention:
              keep_last: 2
              keep_within: 1d12h
              keep_hourly: 1
              keep_daily: 2
              keep_weekly: 3
              keep_monthly: 4
              keep_yearly: 5
              keep_tagged: false
              anchor: now
            tiers:
              - {after: 30d, storage_class: STANDARD_IA}
              - {after: 60d, storage_class: GLACIER}
            upload:
              storage_class: STANDARD
              key: "db/{series}/{time:%Y%m%d}.dump"
            guards:
              max_delete_fraction: 0.25
            noncurrent:
              expire_after: 7d
            """
        let policy = try #require(try PolicySet.load(files: [PolicySource(path: "db.yaml", contents: yaml)]).policies.first)
        #expect(policy.timeZone.identifier == "Europe/Berlin")
        #expect(policy.expectEvery == .days(1))
        #expect(policy.abortIncompleteAfter == .days(2))
        #expect(policy.retention == RetentionRules(keepLast: 2, keepWithin: .hours(36), keepHourly: 1, keepDaily: 2, keepWeekly: 3,
                                                  keepMonthly: 4, keepYearly: 5, keepTagged: false, anchor: .now))
        #expect(policy.tiers == [TierRule(after: .days(30), storageClass: .standardIA), TierRule(after: .days(60), storageClass: .glacier)])
        #expect(policy.guards.maxDeleteFraction == 0.25)
        #expect(policy.noncurrentExpireAfter == .days(7))
        #expect(policy.upload.key?.text == "db/{series}/{time:%Y%m%d}.dump")
    }

    @Test func acknowledgedLifecycleRulesAreRead() throws {
        let yaml = Self.valid + "\nacknowledge_lifecycle_rules: [wal-expiry, \"infra rule 7\"]"
        let policy = try #require(try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: yaml)]).policies.first)
        #expect(policy.acknowledgedLifecycleRules == ["wal-expiry", "infra rule 7"])
        let plain = try #require(try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: Self.valid)]).policies.first)
        #expect(plain.acknowledgedLifecycleRules.isEmpty)
    }

    @Test func noncurrentKeepIsTheDefaultAndCanBeSaid() throws {
        for yaml in [Self.valid, Self.valid + "\nnoncurrent: keep"] {
            let policy = try #require(try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: yaml)]).policies.first)
            #expect(policy.noncurrentExpireAfter == nil)
        }
    }

    /// Each bad input and the exact start of the message it produces.
    static let badInputs: [(String, String, String)] = [
        ("unknown key", valid + "\n  keep_lst: 3", "p.yaml:6:3: unknown key 'keep_lst' in retention, expected one of keep_last"),
        ("unknown top key", "colour: red\n" + valid, "p.yaml:1:1: unknown key 'colour' in the policy, expected one of component"),
        ("acknowledged rules not a list", valid + "\nacknowledge_lifecycle_rules: wal-expiry",
         "p.yaml:6:30: acknowledge_lifecycle_rules is 'wal-expiry', expected a list of lifecycle rule ids"),
        ("a Strata rule acknowledged", valid + "\nacknowledge_lifecycle_rules: [strata-db]",
         "p.yaml:6:31: 'strata-db' is a Strata rule id, expected the id of a rule Strata did not write"),
        ("wrong type", valid + "\n  keep_last: three", "p.yaml:6:14: keep_last is 'three', expected a whole number >= 1"),
        ("zero count", valid + "\n  keep_last: 0", "p.yaml:6:14: keep_last is 0, expected a whole number >= 1"),
        // Issue 16: lint said valid, then sweep trapped on the window arithmetic.
        ("a count past any calendar", valid + "\n  keep_yearly: 9223372036854775807",
         "p.yaml:6:16: keep_yearly is 9223372036854775807, expected a whole number from 1 to 1000000"),
        ("a window past any calendar", valid.replacingOccurrences(of: "7d", with: "9223372036854775807s"),
         "p.yaml:5:16: keep_within is '9223372036854775807s', expected a duration of at most 36500d (100 years)"),
        ("bad duration", valid.replacingOccurrences(of: "7d", with: "7 days"),
         "p.yaml:5:16: keep_within is '7 days', expected a duration such as 30d, 12h or 1d12h"),
        ("month is no duration", valid.replacingOccurrences(of: "7d", with: "1mo"), "p.yaml:5:16: keep_within is '1mo', expected a duration"),
        ("template without time", valid.replacingOccurrences(of: "{time:%Y%m%d_%H%M%S}", with: "latest"),
         "p.yaml:3:9: key template 'db/latest.dump' has no time, expected exactly one {time:<format>} placeholder"),
        ("unsupported directive", valid.replacingOccurrences(of: "%H", with: "%I"),
         "p.yaml:3:9: unsupported time directive %I in 'db/{time:%Y%m%d_%I%M%S}.dump', expected one of %Y %m %d %H %M %S %j %s %%"),
        ("date incomplete", valid.replacingOccurrences(of: "%Y%m%d_", with: "%Y_"), "p.yaml:3:9: time format in 'db/{time:%Y_%H%M%S}.dump' does not give a full date"),
        ("layout outside prefix", valid.replacingOccurrences(of: "\"db/{", with: "\"other/{"),
         "p.yaml:3:9: layout 'other/{time:%Y%m%d_%H%M%S}.dump' does not start with the prefix 'db/'"),
        ("unknown storage class", valid + "\nupload:\n  storage_class: GLACIER_DEEP",
         "p.yaml:7:18: unknown storage class 'GLACIER_DEEP' in upload.storage_class, expected one of STANDARD, STANDARD_IA"),
        ("tier warmer", valid + "\ntiers:\n  - {after: 30d, storage_class: GLACIER}\n  - {after: 60d, storage_class: STANDARD_IA}",
         "p.yaml:8:5: tier 60d STANDARD_IA does not follow 30d GLACIER, expected tiers by increasing age, each colder"),
        ("tier STANDARD", valid + "\ntiers:\n  - {after: 30d, storage_class: STANDARD}", "p.yaml:7:33: tier class STANDARD is not colder than STANDARD"),
        ("missing retention", "component: db\nprefix: db/\nlayout: \"db/{time:%s}\"", "p.yaml:1:1: missing key 'retention', expected it in every policy"),
        ("no keep rule", valid.replacingOccurrences(of: "keep_within: 7d", with: "anchor: newest"), "p.yaml:5:3: retention has no keep rule"),
        ("bad anchor", valid + "\n  anchor: oldest", "p.yaml:6:11: anchor is 'oldest', expected newest or now"),
        ("pgbackrest without stanza", valid.replacingOccurrences(of: "\"db/{time:%Y%m%d_%H%M%S}.dump\"", with: "pgbackrest"),
         "p.yaml:3:9: layout pgbackrest needs a stanza"),
        ("bad time zone", valid + "\ntime_zone: Mars/Olympus", "p.yaml:6:12: unknown time zone 'Mars/Olympus', expected an IANA name"),
        ("bad fraction", valid + "\nguards:\n  max_delete_fraction: 2", "p.yaml:7:24: max_delete_fraction is '2', expected a number greater than 0 and at most 1"),
        ("prefix without slash", valid.replacingOccurrences(of: "prefix: db/", with: "prefix: db"), "p.yaml:2:9: prefix 'db' is not a key prefix"),
        ("yaml syntax", "component: [db\n", "p.yaml:2:1: invalid YAML"),
        ("not a mapping", "- a\n- b\n", "p.yaml:1:1: the policy is a list, expected a mapping"),
        ("noncurrent word", valid + "\nnoncurrent: delete", "p.yaml:6:13: noncurrent is 'delete', expected 'keep' or a mapping {expire_after: <duration>}"),
        ("noncurrent without age", valid + "\nnoncurrent: {}", "p.yaml:6:13: noncurrent has no expire_after"),
        ("noncurrent bad age", valid + "\nnoncurrent:\n  expire_after: soon", "p.yaml:7:17: noncurrent.expire_after is 'soon', expected a duration"),
        ("bad component name", valid.replacingOccurrences(of: "component: db", with: "component: d b"), "p.yaml:1:12: component 'd b' has characters"),
        ("cipher_pass on a template", valid + "\ncipher_pass: {env: PASS}", "p.yaml:6:1: cipher_pass is only meaningful with layout: pgbackrest"),
        ("cipher_pass is the passphrase", pgbackrest + "\ncipher_pass: s3cr3t-Passw0rd",
         "p.yaml:7:14: cipher_pass is a value (not shown: it may be the passphrase), expected {file: PATH} or {env: NAME}"),
        ("cipher_pass both", pgbackrest + "\ncipher_pass: {file: /a, env: B}", "p.yaml:7:14: cipher_pass has both file and env, expected exactly one"),
        ("cipher_pass neither", pgbackrest + "\ncipher_pass: {}", "p.yaml:7:14: cipher_pass has neither file and env, expected exactly one"),
        ("cipher_pass unknown key", pgbackrest + "\ncipher_pass: {pass: s3cr3t-Passw0rd}", "p.yaml:7:15: unknown key 'pass' in cipher_pass, expected one of file, env"),
        ("cipher_pass relative file", pgbackrest + "\ncipher_pass: {file: cipher-pass}", "p.yaml:7:21: cipher_pass.file 'cipher-pass' is not an absolute path"),
        ("cipher_pass bad variable", pgbackrest + "\ncipher_pass: {env: 1PASS}", "p.yaml:7:20: cipher_pass.env '1PASS' is not an environment variable name"),
    ]

    static let pgbackrest = """
        component: pg
        prefix: pg/
        layout: pgbackrest
        stanza: mind
        retention:
          keep_last: 3
        """

    @Test(arguments: [("{file: /etc/pgbackrest/cipher-pass}", SecretSource.file("/etc/pgbackrest/cipher-pass")),
                      ("{env: PGBACKREST_REPO1_CIPHER_PASS}", .environment("PGBACKREST_REPO1_CIPHER_PASS"))])
    func cipherPassNamesWhereThePassphraseIs(_ yaml: String, _ expected: SecretSource) throws {
        let set = try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: Self.pgbackrest + "\ncipher_pass: \(yaml)")])
        #expect(set.policies[0].cipherPass == expected)
        #expect(try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: Self.pgbackrest)]).policies[0].cipherPass == nil)
    }

    /// A passphrase written into a policy by mistake is never echoed by the error.
    @Test func aPassphraseInAPolicyIsNotEchoed() throws {
        for yaml in ["cipher_pass: s3cr3t-Passw0rd", "cipher_pass: {pass: s3cr3t-Passw0rd}", "cipher_pass: [s3cr3t-Passw0rd]"] {
            let error = try #require(throws: PolicyErrors.self) {
                try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: Self.pgbackrest + "\n" + yaml)])
            }
            #expect(!error.description.contains("s3cr3t"), "\(yaml): \(error.description)")
        }
    }

    @Test(arguments: badInputs)
    func badInputFailsWithLocation(_ name: String, _ yaml: String, _ expected: String) throws {
        let error = try #require(throws: PolicyErrors.self) { try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: yaml)]) }
        #expect(error.errors.contains { $0.description.hasPrefix(expected) }, "\(name): got \(error.description)")
        #expect(error.errors.allSatisfy { $0.message.contains("expected") }, "\(name): every message says what is expected")
    }

    @Test func allProblemsOfAFileAreReportedAtOnce() throws {
        let yaml = Self.valid + "\n  keep_last: x\n  keep_daily: -1\nupload:\n  storage_class: NOPE"
        let error = try #require(throws: PolicyErrors.self) { try PolicySet.load(files: [PolicySource(path: "p.yaml", contents: yaml)]) }
        #expect(error.errors.map { "\($0.line):\($0.column)" } == ["6:14", "7:15", "9:18"])
    }

    @Test func overlappingPrefixesAcrossFilesFail() throws {
        let other = Self.valid.replacingOccurrences(of: "component: db", with: "component: db2")
            .replacingOccurrences(of: "prefix: db/", with: "prefix: db/sub/")
            .replacingOccurrences(of: "\"db/{", with: "\"db/sub/{")
        let error = try #require(throws: PolicyErrors.self) {
            try PolicySet.load(files: [PolicySource(path: "a.yaml", contents: Self.valid), PolicySource(path: "b.yaml", contents: other)])
        }
        #expect(error.description == "b.yaml:2:9: prefix 'db/sub/' overlaps prefix 'db/' of component 'db' (a.yaml:2), expected prefixes where neither starts with the other")
    }

    @Test func duplicateComponentsFail() throws {
        let other = Self.valid.replacingOccurrences(of: "prefix: db/", with: "prefix: xb/").replacingOccurrences(of: "\"db/{", with: "\"xb/{")
        let error = try #require(throws: PolicyErrors.self) {
            try PolicySet.load(files: [PolicySource(path: "a.yaml", contents: Self.valid), PolicySource(path: "b.yaml", contents: other)])
        }
        #expect(error.description == "b.yaml:1:12: component 'db' is already defined in a.yaml:1, expected each component once")
    }

    @Test(arguments: [("30d", Int64(2_592_000)), ("12h", 43_200), ("1d12h", 129_600), ("2w", 1_209_600), ("90m", 5_400), ("45s", 45)])
    func durationsParse(_ text: String, _ seconds: Int64) {
        #expect(PolicyDuration(parsing: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "d", "30", "0d", "-1d", "1y", "1.5d", "30 d", "99999999999999999999d"])
    func badDurationsAreRejected(_ text: String) {
        #expect(PolicyDuration(parsing: text) == nil)
    }
}
