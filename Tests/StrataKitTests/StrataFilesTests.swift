import Foundation
import StrataTestSupport
import Testing

/// Issue 18: in a versioned bucket every sweep left noncurrent versions of `.strata/lock` and of
/// its journal entry, and delete markers, for ever. An applying sweep now removes them while it
/// holds the lease, and `audit` says what `.strata/` takes.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct StrataFilesTests {
    static let now = "2026-11-25T12:00:00Z"

    /// Every version and marker under `.strata/`, via boto3: (key, latest, marker).
    static func strataVersions(_ harness: CLIHarness) throws -> [(key: String, latest: Bool, marker: Bool)] {
        let code = """
        import boto3, json, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        out = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=sys.argv[2], Prefix=".strata/"):
            out += [[v["Key"], v["IsLatest"], False] for v in page.get("Versions", [])]
            out += [[m["Key"], m["IsLatest"], True] for m in page.get("DeleteMarkers", [])]
        print(json.dumps(out))
        """
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", code, harness.endpoint, harness.bucket])
        try #require(output.status == 0, "\(output.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [[Any]])
        return rows.map { ($0[0] as? String ?? "", $0[1] as? Bool ?? false, $0[2] as? Bool ?? false) }
    }

    static func python(_ harness: CLIHarness, _ code: String) throws {
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", code, harness.endpoint, harness.bucket])
        try #require(output.status == 0, "\(output.stderr)")
    }

    @Test func sweepsRemoveTheOldVersionsOfStrataFilesAndAuditShowsThem() throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("strata-files"))
        defer { harness.destroy() }
        try harness.seed(now: Self.now, years: 0.02)
        // Versioning on, and a version planted under .strata/ by someone else, then overwritten.
        try Self.python(harness, """
        import boto3, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        s3.put_bucket_versioning(Bucket=sys.argv[2], VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket=sys.argv[2], Key=".strata/planted", Body=b"old")
        s3.put_object(Bucket=sys.argv[2], Key=".strata/planted", Body=b"new")
        """)
        var noncurrentAfter: [Int] = []
        for run in 1...3 {
            let sweep = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            #expect(sweep.status == 0, "\(sweep.stderr)")
            if run > 1 { #expect(sweep.stdoutText.contains("old versions of Strata's own files removed"), "\(sweep.stdoutText)") }
            let versions = try Self.strataVersions(harness)
            noncurrentAfter.append(versions.filter { !$0.latest }.count)
            // Current versions stay: every run's journal entry, and the planted object.
            #expect(versions.filter { $0.latest && !$0.marker && $0.key.hasPrefix(".strata/journal/") }.count == run)
            #expect(versions.contains { $0.key == ".strata/planted" && $0.latest && !$0.marker })
        }
        // What a sweep leaves (its own lease and journal rewrites) is removed by the next one:
        // the count does not grow from run to run.
        #expect(noncurrentAfter[1] == noncurrentAfter[2], "\(noncurrentAfter)")
        #expect(noncurrentAfter[2] < noncurrentAfter[0] + 2, "\(noncurrentAfter)")
        #expect(!(try Self.strataVersions(harness)).contains { $0.key == ".strata/planted" && !$0.latest })

        let audit = try harness.strata(["audit", "--json", "--now", Self.now])
        #expect(audit.status == 0, "\(audit.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: audit.stdout) as? [String: Any])
        let files = try #require(report["strataFiles"] as? [String: Any])
        let versions = try Self.strataVersions(harness)
        #expect(files["objects"] as? Int == versions.filter { $0.latest && !$0.marker }.count)
        #expect(files["noncurrentVersions"] as? Int == versions.filter { !$0.latest && !$0.marker }.count)
        #expect(files["deleteMarkers"] as? Int == versions.filter(\.marker).count)
        #expect((files["bytes"] as? Int ?? 0) > 0)
        let table = try harness.strata(["audit", "--now", Self.now])
        #expect(table.stdoutText.contains("Strata's own files (.strata/): "))
    }
}
