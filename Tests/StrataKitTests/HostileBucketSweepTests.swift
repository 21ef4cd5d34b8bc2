import Foundation
import StrataTestSupport
import Testing

/// `strata sweep --apply` on the real RGW when someone else wrote to the bucket: a future-dated
/// key, a forged or stale inventory report, a flood of delete markers, and these together. Each
/// test asserts the exact set of objects that survive: the same as if the hostile content had
/// not been there (plus the hostile objects themselves, which are never deleted).
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct HostileBucketSweepTests {
    static let now = SweepEndToEndTests.now

    /// Puts `keys` (small bodies) into the harness's bucket with boto3, as another writer would.
    static func plant(_ harness: CLIHarness, _ keys: [String]) throws {
        _ = try ObjectLockSweepTests.python(harness, """
            for key in argv:
                s3.put_object(Bucket=bucket, Key=key, Body=b"planted")
            """, keys)
    }

    /// The first case. Before: the key 40 days ahead anchored vault's keep_within 90d
    /// and took a keep_last slot; sweep --apply deleted the sets 51-90 days old and exited 0.
    @Test func aFutureDatedKeyChangesNothingAndIsKept() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let honest = try SweepEndToEndTests.plan(harness)
            let expected = try SweepEndToEndTests.expectedKeys(harness, plan: honest)
            let planted = "vault/20270104_020000.snap"  // 40 days after the sweep's --now
            try Self.plant(harness, [planted])

            let dryRun = try harness.strata(["sweep", "--now", Self.now, "--all"])
            #expect(dryRun.stdoutText.contains("GUARD futureDated: 1 set(s) dated more than future_tolerance 1h after now (2027-01-04T02:00:00Z)"),
                    "\(dryRun.stdoutText)")
            let report = try InventoryReportSweepTests.makeReport(harness)
            let lint = try harness.strata(["lint", "--inventory", report, "--now", Self.now])
            #expect(lint.status == 0, "\(lint.stderr)")
            #expect(lint.stdoutText.contains("policies/vault.yaml: warning: vault: 1 set(s) dated more than future_tolerance 1h after now"), "\(lint.stdoutText)")

            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try harness.keys() == expected.union([planted]))
        }
    }

    /// `upload --time` refuses a time past the tolerance: the planted key cannot come from Strata.
    @Test func uploadRefusesAFutureTime() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("strata-future-\(UUID().uuidString).snap")
            try Data("snapshot".utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 3_600))
            let output = try harness.strata(["upload", "--component", "vault", "--time", future, file.path])
            #expect(output.status == 2)
            #expect(output.stderr.contains("is more than future_tolerance 1h after now"), "\(output.stderr)")
        }
    }

    /// The second case: rows for objects that do not exist, newer than the real sets,
    /// in a report read two days after the last backups. Planned naively they would anchor the
    /// windows and push real sets out; the sweep confirms the keepers with HEAD, plans again
    /// without the phantoms, and deletes exactly what a listing would.
    @Test func phantomReportRowsDoNotDisplaceRealSets() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let later = "2026-11-27T12:00:00Z"
            let honest = try SweepEndToEndTests.plan(harness, ["--now", later])
            let expected = try SweepEndToEndTests.expectedKeys(harness, plan: honest)
            // A future-dated phantom too: it is kept and counts for nothing, so it needs no check.
            let phantoms = ["vault/20261127_110000.snap", "falkordb/20261127_110000/dump.rdb", "falkordb/20261127_100000/dump.rdb",
                            "vault/20270301_020000.snap"]
            let forged = try InventoryReportSweepTests.makeReport(harness, phantoms.flatMap { ["--phantom", $0] })

            let naive = try SweepEndToEndTests.plan(harness, ["--now", later, "--inventory", forged])
            let honestDeletions = Set(InventoryReportSweepTests.deletions(honest))
            #expect(Set(InventoryReportSweepTests.deletions(naive)).isStrictSuperset(of: honestDeletions),
                    "the unconfirmed plan shows what the phantoms would have cost")

            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", later, "--inventory", forged])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stderr.contains("planning without it"), "\(apply.stderr)")
            #expect(try harness.keys() == expected)
        }
    }

    /// The third case, with a future-dated key planted too. Every vault key gets a delete
    /// marker after a sweep; a sweep whose `noncurrent.expire_after` would purge them all
    /// instead reports an incident, deletes nothing (--force does not lift it) and exports the
    /// metric. The next sweep purges only what the policy does not keep.
    @Test func aDeleteMarkerFloodIsAnIncidentAndKeptSetsKeepTheirVersions() throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("flood"))
        let policies = FileManager.default.temporaryDirectory.appendingPathComponent("strata-flood-\(UUID().uuidString)")
        defer {
            harness.destroy()
            try? FileManager.default.removeItem(at: policies)
        }
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        try """
            component: vault
            prefix: vault/
            layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
            retention:
              keep_last: 3
              keep_within: 30d
            guards:
              max_delete_fraction: 0.5
            noncurrent:
              expire_after: 1d
            """.write(to: policies.appendingPathComponent("vault.yaml"), atomically: true, encoding: .utf8)
        _ = try ObjectLockSweepTests.python(harness, """
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            """)
        let seed = try ProcessRunner(environment: harness.environment).run(
            ["python3", RepositoryPaths.root.appendingPathComponent("tools/seed-backups").path, harness.bucket,
             "--now", Self.now, "--years", "0.25", "--endpoint", harness.servers.rgwEndpoint])
        try #require(seed.status == 0, "\(seed.stderr)")
        let base = ["--policies", policies.path]
        // Two days after the markers: longer than expire_after.
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
        let first = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now] + base)
        try #require(first.status == 0, "\(first.stderr)")

        // An old set the policy expires: hidden too, it goes with `noncurrent.expire_after`.
        let old = "vault/20260101_020000.snap"
        try Self.plant(harness, [old])
        _ = try ObjectLockSweepTests.python(harness, """
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="vault/"):
                for o in page.get("Contents", []):
                    s3.delete_object(Bucket=bucket, Key=o["Key"])
            """)
        try Self.plant(harness, ["vault/20270301_020000.snap"])
        let flooded = try ObjectLockSweepTests.versions(harness).filter { $0.key.hasPrefix("vault/") }
        let metrics = policies.appendingPathComponent("metrics.prom").path

        let incident = try harness.strata(["sweep", "--apply", "--force", "--now", later, "--metrics-textfile", metrics] + base)
        #expect(incident.status == 3, "\(incident.stderr)")
        #expect(incident.stderr.contains("delete-marker incident for vault"), "\(incident.stderr)")
        #expect(incident.stdoutText.contains("GUARD deleteMarkerIncident (blocking): incident: delete markers placed"), "\(incident.stdoutText)")
        #expect(try ObjectLockSweepTests.versions(harness).filter { $0.key.hasPrefix("vault/") } == flooded, "nothing was deleted")
        #expect(try String(contentsOfFile: metrics, encoding: .utf8).contains("strata_delete_marker_incident{component=\"vault\"} 1"))

        // The markers are now older than the last sweep: no incident. Kept sets stay, hidden.
        let plan = try harness.strata(["sweep", "--json", "--now", later] + base)
        let hidden = try JSONDecoder().decode(HiddenPlan.self, from: plan.stdout).components[0].hiddenSets
        let kept = Set(hidden.filter { $0.decision == "keep" }.flatMap(\.members))
        #expect(kept.count == 31, "keep_within 30d of the newest hidden set, both ends included")
        let purge = try harness.strata(["sweep", "--apply", "--now", later] + base)
        #expect(purge.status == 0, "\(purge.stderr)")
        let after = try ObjectLockSweepTests.versions(harness).filter { $0.key.hasPrefix("vault/") }
        #expect(!kept.contains(old))
        #expect(Set(after.keys) == kept.union(["vault/20270301_020000.snap"]), "the old hidden set is purged, nothing else")
        for key in kept { #expect(after[key] == ["marker", "v"], "\(key) keeps its version and its marker") }
    }

    /// The parts of a plan's JSON the flood test reads.
    struct HiddenPlan: Decodable {
        struct Component: Decodable {
            var hiddenSets: [HiddenSet]
        }
        struct HiddenSet: Decodable {
            var decision: String
            var members: [String]
        }
        var components: [Component]
    }
}
