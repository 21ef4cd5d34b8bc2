import Foundation
import StrataTestSupport
import Testing

/// `strata sweep --inventory`: planning from an S3 Inventory report instead of a listing gives
/// the same plan, applies it the same way, re-checks each deletion against the bucket, and
/// refuses a report that is stale, damaged or of another bucket without touching anything.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct InventoryReportSweepTests {
    static let now = SweepEndToEndTests.now

    /// Writes a report of the harness's bucket into a fresh folder; returns the manifest's path.
    static func makeReport(_ harness: CLIHarness, _ options: [String] = []) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("strata-report-\(UUID().uuidString)").path
        let script = RepositoryPaths.fixtures.appendingPathComponent("make_inventory_report.py").path
        let output = try ProcessRunner(environment: harness.environment).run(
            ["python3", script, harness.servers.rgwEndpoint, harness.bucket, out] + options)
        try #require(output.status == 0, "making the report failed: \(output.stderr)")
        return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func deletions(_ plan: SweepEndToEndTests.PlanJSON) -> [String] {
        plan.actions.filter { $0.type == "delete" }.map(\.key)
    }

    @Test func aReportPlansLikeAListingAndAppliesToTheSameKeepSet() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let listed = try SweepEndToEndTests.plan(harness)
            let manifest = try Self.makeReport(harness)
            let reported = try SweepEndToEndTests.plan(harness, ["--inventory", manifest])
            #expect(!Self.deletions(listed).isEmpty)
            #expect(reported.actions.map(\.key) == listed.actions.map(\.key))
            let expected = try SweepEndToEndTests.expectedKeys(harness, plan: listed)
            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now, "--inventory", manifest])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try harness.keys() == expected)
        }
    }

    /// The report lists objects, not uploads: the uploads are listed from the bucket, each
    /// component's prefix (concurrently with reading the report), and planned as a listing plans them.
    @Test func incompleteUploadsAreListedBesideTheReport() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let keys = ["vault/raft-upload-left-behind.snap", "postgresql/backup/mind/upload-left-behind", "qdrant/upload-left-behind"]
            let started = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
                import boto3, sys
                s3 = boto3.client("s3", endpoint_url=sys.argv[1])
                for key in sys.argv[3:]: s3.create_multipart_upload(Bucket=sys.argv[2], Key=key)
                """, harness.servers.rgwEndpoint, harness.bucket] + keys)
            try #require(started.status == 0, "\(started.stderr)")
            let manifest = try Self.makeReport(harness)
            // Eight days on, past abort_incomplete_after (7d); the report is as old, so allowed.
            let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(8 * 86_400))
            func aborts(_ extra: [String]) throws -> [String] {
                let output = try harness.strata(["sweep", "--json", "--now", later] + extra)
                try #require([0, 3].contains(output.status), "sweep --json failed: \(output.stderr)")
                return try JSONDecoder().decode(SweepEndToEndTests.PlanJSON.self, from: output.stdout)
                    .actions.filter { $0.type == "abortUpload" }.map(\.key)
            }
            let listed = try aborts([])
            #expect(Set(listed) == Set(keys))
            #expect(try aborts(["--inventory", manifest, "--inventory-max-age", "400"]) == listed)
        }
    }

    @Test func aPlainCSVReportInTheBucketIsReadThroughItsS3Manifest() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let manifest = try Self.makeReport(harness, ["--plain", "--upload", "inventory-reports"])
            let relative = manifest.components(separatedBy: "/").suffix(4).joined(separator: "/")
            let url = "s3://\(harness.bucket)/inventory-reports/\(relative)"
            let listed = try SweepEndToEndTests.plan(harness)
            let expected = try SweepEndToEndTests.expectedKeys(harness, plan: listed)
            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now, "--inventory", url])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try harness.keys() == expected)
        }
    }

    @Test func anObjectRewrittenAfterTheReportIsNotDeleted() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let manifest = try Self.makeReport(harness)
            let plan = try SweepEndToEndTests.plan(harness, ["--inventory", manifest])
            let rewritten = try #require(Self.deletions(plan).first)
            let put = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
                import boto3, sys
                boto3.client("s3", endpoint_url=sys.argv[1]).put_object(Bucket=sys.argv[2], Key=sys.argv[3], Body=b"a new backup")
                """, harness.servers.rgwEndpoint, harness.bucket, rewritten])
            try #require(put.status == 0, "\(put.stderr)")
            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now, "--inventory", manifest])
            #expect(apply.status == 0, "\(apply.stderr)")
            let remaining = try harness.keys()
            #expect(remaining.contains(rewritten))
            #expect(remaining.isDisjoint(with: Self.deletions(plan).dropFirst()))
        }
    }

    @Test func staleDamagedOrForeignReportsAreRefusedAndNothingChanges() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let before = try harness.keys()
            let stale = try Self.makeReport(harness, ["--created-hours-ago", "50"])
            var output = try harness.strata(["sweep", "--apply", "--force", "--inventory", stale])
            #expect(output.status == 2)
            #expect(output.stderr.contains("h ago, more than the 48.0 h allowed"))

            // Issue 16, row 5: a report from the future passed any age check.
            let future = try Self.makeReport(harness, ["--created-hours-ago", "-5"])
            output = try harness.strata(["sweep", "--apply", "--force", "--inventory", future])
            #expect(output.status == 2)
            #expect(output.stderr.contains("h in the future; refusing the report"), "\(output.stderr)")

            let damaged = try Self.makeReport(harness)
            let data = try #require(FileManager.default.enumerator(atPath: URL(fileURLWithPath: damaged).deletingLastPathComponent().deletingLastPathComponent().path)?
                .compactMap { $0 as? String }.first { $0.hasSuffix(".csv.gz") })
            let dataPath = URL(fileURLWithPath: damaged).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(data).path
            let handle = try #require(FileHandle(forWritingAtPath: dataPath))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("x".utf8))
            try handle.close()
            output = try harness.strata(["sweep", "--apply", "--force", "--inventory", damaged])
            #expect(output.status == 2)
            #expect(output.stderr.contains("MD5 is"), "\(output.stderr)")

            let foreign = try Self.makeReport(harness)
            var text = try String(contentsOfFile: foreign, encoding: .utf8)
            text = text.replacingOccurrences(of: "\"sourceBucket\": \"\(harness.bucket)\"", with: "\"sourceBucket\": \"another-bucket\"")
            try text.write(toFile: foreign, atomically: true, encoding: .utf8)
            output = try harness.strata(["sweep", "--apply", "--force", "--inventory", foreign])
            #expect(output.status == 2)
            #expect(output.stderr.contains("the report lists bucket another-bucket, not \(harness.bucket)"))

            #expect(try harness.keys() == before)
        }
    }

    /// Issue 16, row 8: a manifest entry without MD5checksum and a data-file key with `..` were
    /// accepted. Both are refused before any file is read; `--allow-unverified-inventory`
    /// accepts the first.
    @Test func unverifiedOrEscapingDataFilesAreRefused() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let before = try harness.keys()
            let manifest = try Self.makeReport(harness)
            let original = try String(contentsOfFile: manifest, encoding: .utf8)
            let withoutMD5 = original.replacingOccurrences(of: #""MD5checksum": "[0-9a-f]+""#, with: #""note": "none""#, options: .regularExpression)
            try withoutMD5.write(toFile: manifest, atomically: true, encoding: .utf8)
            var output = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now, "--inventory", manifest])
            #expect(output.status == 2)
            #expect(output.stderr.contains("has no MD5checksum, so its rows cannot be checked"), "\(output.stderr)")
            output = try harness.strata(["sweep", "--json", "--force", "--now", Self.now, "--inventory", manifest, "--allow-unverified-inventory"])
            #expect([0, 3].contains(output.status), "\(output.stderr)")

            let escaping = original.replacingOccurrences(of: #""key": ""#, with: #""key": "../../"#)
            try escaping.write(toFile: manifest, atomically: true, encoding: .utf8)
            output = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now, "--inventory", manifest])
            #expect(output.status == 2)
            #expect(output.stderr.contains("is not a plain path"), "\(output.stderr)")
            #expect(try harness.keys() == before)
        }
    }
}
