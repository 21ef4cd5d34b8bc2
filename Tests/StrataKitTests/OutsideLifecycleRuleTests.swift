import Foundation
import StrataTestSupport
import Testing

/// Issue 19: a lifecycle rule Strata did not write, acting on a component's objects otherwise
/// than its policy, blocks that component's deletions (exit 5) until the rule changes or the
/// policy acknowledges it; `lint --bucket` shows the same. On RGW, where `rgw lc debug interval`
/// makes a lifecycle day 10 s, the rules here act in hours, after the test.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct OutsideLifecycleRuleTests {
    static let now = "2026-11-25T12:00:00Z"

    /// Replaces the bucket's lifecycle configuration with `rules` (boto3's JSON form), via boto3.
    static func putRules(_ harness: CLIHarness, _ rules: String) throws {
        let code = """
        import boto3, json, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        s3.put_bucket_lifecycle_configuration(Bucket=sys.argv[2], LifecycleConfiguration={"Rules": json.loads(sys.argv[3])})
        """
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", code, harness.endpoint, harness.bucket, rules])
        try #require(output.status == 0, "\(output.stderr)")
    }

    /// The dry run's plan (`--force`, so only this guard can block), its exit status, and the
    /// outside-rule findings by component.
    static func dryRun(_ harness: CLIHarness, extra: [String: String] = [:]) throws -> (status: Int32, findings: [String: String], deletes: [String]) {
        let output = try harness.strata(["sweep", "--json", "--force", "--now", Self.now], extra: extra)
        let plan = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any], "\(output.stderr)")
        var findings: [String: String] = [:]
        for component in plan["components"] as? [[String: Any]] ?? [] {
            for finding in component["guards"] as? [[String: Any]] ?? [] where finding["kind"] as? String == "outsideLifecycleRule" {
                findings[component["component"] as? String ?? ""] = finding["message"] as? String
            }
        }
        let deletes = (plan["actions"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "delete" }.compactMap { $0["key"] as? String }
        return (output.status, findings, deletes)
    }

    static func withSeededBucket(_ body: (CLIHarness) throws -> Void) throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("outside-rules"))
        defer { harness.destroy() }
        try harness.seed(now: Self.now, years: 0.25)
        try body(harness)
    }

    static let walExpiry = #"[{"ID": "wal-expiry", "Filter": {"Prefix": "postgresql/archive/"}, "Status": "Enabled", "Expiration": {"Days": 3650}}]"#

    /// Rules on the bucket, and the finding each gives (nil: none).
    static let cases: [(String, String, String?)] = [
        ("WAL expiry", walExpiry,
         "blocked: lifecycle rule 'wal-expiry' on keys under 'postgresql/archive/' expires objects 3650 days after upload"),
        ("yearly sets to DEEP_ARCHIVE",
         #"[{"ID": "cold-yearly", "Filter": {"Prefix": "postgresql/"}, "Status": "Enabled", "Transitions": [{"Days": 365, "StorageClass": "DEEP_ARCHIVE"}]}]"#,
         "blocked: lifecycle rule 'cold-yearly' on keys under 'postgresql/' moves objects to DEEP_ARCHIVE 365 days after upload, where pgBackRest's backup.info and manifests must stay in STANDARD"),
        ("an unrelated prefix", #"[{"ID": "tmp", "Filter": {"Prefix": "scratch/"}, "Status": "Enabled", "Expiration": {"Days": 1}}]"#, nil),
    ]

    @Test("a rule Strata did not write blocks the component it acts on", arguments: cases)
    func outsideRules(name: String, rules: String, finding: String?) throws {
        try Self.withSeededBucket { harness in
            try Self.putRules(harness, rules)
            let (status, findings, deletes) = try Self.dryRun(harness)
            if let finding {
                #expect(status == 5, "\(name)")
                #expect(Array(findings.keys) == ["postgresql"], "\(name)")
                #expect(findings["postgresql"]?.hasPrefix(finding) == true, "\(name): \(findings)")
                #expect(!deletes.contains { $0.hasPrefix("postgresql/") }, "\(name)")
                #expect(deletes.contains { !$0.hasPrefix("postgresql/") }, "\(name): the other components go on")
                let lint = try harness.strata(["lint", "--bucket", harness.bucket])
                #expect(lint.status == 2, "\(name): \(lint.stderr)")
                #expect(lint.stdoutText.contains("error: postgresql: lifecycle rule"), "\(name): \(lint.stdoutText)")
            } else {
                #expect(status == 0, "\(name)")
                #expect(findings.isEmpty, "\(name)")
                #expect(try harness.strata(["lint", "--bucket", harness.bucket]).status == 0)
            }
        }
    }

    /// The applying sweep: the blocked component keeps every object, the others are swept, and
    /// the run ends with exit 5. Acknowledged in the policy, the rule no longer blocks.
    @Test func anApplyingSweepLeavesTheBlockedComponentAndAnAcknowledgementLiftsIt() throws {
        try Self.withSeededBucket { harness in
            try Self.putRules(harness, Self.walExpiry)
            let before = try harness.keys()
            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            #expect(apply.status == 5, "\(apply.stderr)")
            #expect(apply.stderr.contains("lifecycle rules Strata did not write act on postgresql"), "\(apply.stderr)")
            let after = try harness.keys()
            #expect(after.filter { $0.hasPrefix("postgresql/") } == before.filter { $0.hasPrefix("postgresql/") })
            #expect(after.count < before.count, "the other components were swept")

            let policies = try makeScratchDirectory("acknowledged")
            defer { try? FileManager.default.removeItem(atPath: policies) }
            for file in try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.root.appendingPathComponent("policies").path) {
                var text = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("policies/\(file)"), encoding: .utf8)
                if file == "postgresql.yaml" { text += "\nacknowledge_lifecycle_rules: [wal-expiry]\n" }
                try text.write(toFile: "\(policies)/\(file)", atomically: true, encoding: .utf8)
            }
            let acknowledged = try Self.dryRun(harness, extra: ["STRATA_POLICIES": policies])
            #expect(acknowledged.status == 0)
            #expect(acknowledged.findings.isEmpty)
        }
    }

    /// The rules `strata lifecycle apply` writes are Strata's own: no finding.
    @Test func strataOwnRulesAreNotOutsideRules() throws {
        try Self.withSeededBucket { harness in
            let applied = try harness.strata(["lifecycle", "apply"])
            #expect(applied.status == 0, "\(applied.stderr)")
            let (status, findings, _) = try Self.dryRun(harness)
            #expect(status == 0)
            #expect(findings.isEmpty, "\(findings)")
        }
    }
}
