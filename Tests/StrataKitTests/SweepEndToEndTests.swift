import Foundation
import StrataTestSupport
import Testing

/// `strata sweep` as an operator runs it, against the real RGW: what the bucket holds
/// afterwards is exactly the plan's keep set, whatever happened in between.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct SweepEndToEndTests {
    static let now = "2026-11-25T12:00:00Z"

    struct PlanJSON: Decodable {
        struct Action: Decodable {
            var type: String
            var key: String
        }
        var actions: [Action]
        var schemaVersion: Int
    }

    /// Runs `body` with a seeded bucket that is removed afterwards.
    static func withSeededBucket(years: Double = 0.25, server: TestServer = .rgw,
                                 _ body: (CLIHarness) throws -> Void) throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("sweep"),
                                 server: server)
        defer { harness.destroy() }
        try harness.seed(now: now, years: years)
        try body(harness)
    }

    static func plan(_ harness: CLIHarness, _ extra: [String] = []) throws -> PlanJSON {
        let output = try harness.strata(["sweep", "--json", "--now", now, "--force"] + extra)
        try #require([0, 3].contains(output.status), "sweep --json failed: \(output.stderr)")
        return try JSONDecoder().decode(PlanJSON.self, from: output.stdout)
    }

    /// What must remain: everything but the planned deletions.
    static func expectedKeys(_ harness: CLIHarness, plan: PlanJSON) throws -> Set<String> {
        try harness.keys().subtracting(plan.actions.filter { $0.type == "delete" }.map(\.key))
    }

    @Test func dryRunChangesNothingAndReportsTheGuard() throws {
        try Self.withSeededBucket { harness in
            let before = try harness.keys()
            let output = try harness.strata(["sweep", "--now", Self.now])
            #expect(output.status == 3)
            #expect(output.stderr.contains("blocked by max_delete_fraction"))
            #expect(output.stdoutText.contains("dry run: nothing changed"))
            #expect(try harness.keys() == before)
        }
    }

    /// Seed, plan, apply, converge, verify, on each implementation. On SeaweedFS every
    /// transition was refused before (an in-place copy that changes only the storage class),
    /// and every nightly sweep exited 1 with the same failures (issue 18).
    @Test(arguments: TestServer.implementations)
    func applyLeavesExactlyTheKeepSetAndConverges(server: TestServer) throws {
        try Self.withSeededBucket(server: server) { harness in
            let plan = try Self.plan(harness)
            #expect(plan.schemaVersion == 1)
            let expected = try Self.expectedKeys(harness, plan: plan)
            #expect(plan.actions.contains { $0.type == "delete" })
            #expect(plan.actions.contains { $0.type == "transition" })
            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try harness.keys() == expected)
            // An unversioned bucket is swept in bounded memory: its planned actions are journaled in parts.
            #expect(try harness.keys(prefix: ".strata/journal-actions/").contains { $0.hasSuffix("/00000.json") })
            let again = try Self.plan(harness)
            #expect(again.actions.isEmpty)
            #expect(try harness.strata(["sweep", "--apply", "--now", Self.now]).status == 0)
            #expect(try harness.keys() == expected)
            let verify = try harness.strata(["verify"])
            #expect(verify.status == 0, "\(verify.stdoutText)\(verify.stderr)")
        }
    }

    @Test func aSecondSweepIsStoppedByTheLease() throws {
        try Self.withSeededBucket { harness in
            let first = try harness.start(["sweep", "--apply", "--force", "--now", Self.now])
            Thread.sleep(forTimeInterval: 0.4)
            let second = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            first.waitUntilExit()
            // Either the second found the first's lease, or the first had already finished.
            if second.status == 4 {
                #expect(second.stderr.contains("another sweep holds the lease"))
                #expect(first.terminationStatus == 0)
            } else {
                #expect(second.status == 0)
            }
        }
    }

    @Test func badInputIsOneClearLineAndChangesNothing() throws {
        try Self.withSeededBucket(years: 0.05) { harness in
            let before = try harness.keys()
            let unknown = try harness.strata(["sweep", "--apply", "--component", "mongodb", "--now", Self.now])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("unknown component mongodb"))

            let badSecret = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now],
                                               extra: ["AWS_SECRET_ACCESS_KEY": "not-the-secret-000000000000000000000000"])
            #expect(badSecret.status == 1)
            #expect(badSecret.stderr.contains("SignatureDoesNotMatch"))
            #expect(!badSecret.stderr.contains("not-the-secret"))

            let missingBucket = try harness.strata(["sweep", "--apply", "--now", Self.now, "--bucket", "strata-no-such-bucket"])
            #expect(missingBucket.status == 1)
            #expect(missingBucket.stderr.contains("NoSuchBucket"))

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-bad-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try "component: vault\nprefix: vault/\nlayout: \"vault/{time:%Y%m%d}.snap\"\nretention:\n  keep_within: 9 days\n"
                .write(to: dir.appendingPathComponent("vault.yaml"), atomically: true, encoding: .utf8)
            let badPolicy = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now, "--policies", dir.path])
            #expect(badPolicy.status == 2)
            #expect(badPolicy.stderr.contains("vault.yaml:5:"))
            #expect(badPolicy.stderr.split(separator: "\n").count == 1)
            #expect(try harness.keys() == before)
        }
    }
}
