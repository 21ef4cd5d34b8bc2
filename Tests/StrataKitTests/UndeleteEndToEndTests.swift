import Foundation
import StrataTestSupport
import Testing

/// `strata undelete` as an operator runs it against the real RGW, after someone placed delete
/// markers over a versioned bucket's backups: the dry run lists exactly the markers over sets
/// the policy keeps and changes nothing; `--since` narrows to later markers; `--apply` makes the
/// kept backups current again with their original content and leaves the expired set hidden;
/// it refuses (exit 4) while the bucket's lock is held.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct UndeleteEndToEndTests {
    static let now = "2026-12-30T00:00:00Z"
    /// keep_last 2 over s4 (newest), s3, s2, s1: hidden s3 is kept with s4; hidden s1 is not.
    static let policy = """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}/{file}"
        retention:
          keep_last: 2
        guards:
          max_delete_fraction: 1.0
        noncurrent: keep
        """
    static let s1 = "vault/20260101_000000/a.snap"
    static let s2 = "vault/20261101_000000/a.snap"
    static let s3 = "vault/20261110_000000/a.snap"
    static let s4a = "vault/20261120_000000/a.snap"
    static let s4b = "vault/20261120_000000/b.snap"

    struct Version: Decodable, Hashable {
        var versionId: String
        var marker: Bool
        var latest: Bool
        var etag: String?
    }

    /// Every version outside .strata/, by key, newest first.
    static func versions(_ harness: CLIHarness) throws -> [String: [Version]] {
        let text = try ObjectLockSweepTests.python(harness, """
            out = {}
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for v in page.get("Versions", []):
                    out.setdefault(v["Key"], []).append((v["LastModified"], {"versionId": v["VersionId"], "marker": False, "latest": v["IsLatest"], "etag": v["ETag"]}))
                for m in page.get("DeleteMarkers", []):
                    out.setdefault(m["Key"], []).append((m["LastModified"], {"versionId": m["VersionId"], "marker": True, "latest": m["IsLatest"]}))
            print(json.dumps({k: [v for _, v in sorted(vs, key=lambda p: (p[0], p[1]["latest"]), reverse=True)]
                              for k, vs in out.items() if not k.startswith(".strata/")}))
            """)
        return try JSONDecoder().decode([String: [Version]].self, from: Data(text.utf8))
    }

    /// The current object's content and ETag, or nil when the key is hidden.
    static func current(_ harness: CLIHarness, _ key: String) throws -> String? {
        let text = try ObjectLockSweepTests.python(harness, """
            try:
                o = s3.get_object(Bucket=bucket, Key=argv[0])
                print(o["Body"].read().decode() + " " + o["ETag"])
            except s3.exceptions.NoSuchKey:
                print("none")
            """, [key])
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return line == "none" ? nil : line
    }

    /// Creates the versioned bucket, writes the sets, hides s1 and s3 and, two seconds later,
    /// s4's a.snap. Returns the instant between the two rounds of markers.
    static func seed(_ harness: CLIHarness) throws -> String {
        let text = try ObjectLockSweepTests.python(harness, """
            import time
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            for key in argv:
                s3.put_object(Bucket=bucket, Key=key, Body=("content of " + key).encode())
            s3.delete_object(Bucket=bucket, Key=argv[0])
            s3.delete_object(Bucket=bucket, Key=argv[2])
            time.sleep(2.2)
            s3.delete_object(Bucket=bucket, Key=argv[3])
            m = s3.list_object_versions(Bucket=bucket, Prefix=argv[3])["DeleteMarkers"][0]
            print(m["LastModified"].astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            """, [s1, s2, s3, s4a, s4b])
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func markerID(_ versions: [String: [Version]], _ key: String) -> String? {
        versions[key]?.first { $0.marker }?.versionId
    }

    @Test func listsThenRestoresOnlyTheKeptSetsHiddenByDeleteMarkers() throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("undelete"))
        let policies = FileManager.default.temporaryDirectory.appendingPathComponent("strata-undelete-\(UUID().uuidString)")
        defer {
            harness.destroy()
            try? FileManager.default.removeItem(at: policies)
        }
        try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
        try Self.policy.write(to: policies.appendingPathComponent("vault.yaml"), atomically: true, encoding: .utf8)
        let since = try Self.seed(harness)
        let seeded = try Self.versions(harness)
        let etag3 = try #require(seeded[Self.s3]?.first { !$0.marker }?.etag)
        let etag4 = try #require(seeded[Self.s4a]?.first { !$0.marker }?.etag)
        func undelete(_ extra: [String]) throws -> ProcessRunner.Output {
            try harness.strata(["undelete", "--component", "vault", "--policies", policies.path, "--now", Self.now] + extra)
        }

        // Dry run: the markers over s3 (hidden, kept) and s4's a.snap (partly hidden, newest); not s1's.
        let dry = try undelete([])
        #expect(dry.status == 0, "\(dry.stderr)")
        let text = dry.stdoutText
        #expect(text.contains("set 2026-11-10T00:00:00Z (hidden; kept: "), "\(text)")
        #expect(text.contains("set 2026-11-20T00:00:00Z (partly hidden; kept: "), "\(text)")
        for key in [Self.s3, Self.s4a] {
            let marker = try #require(Self.markerID(seeded, key))
            #expect(text.contains("  \(key)  marker \(marker)  placed "), "\(key): \(text)")
        }
        #expect(!text.contains(Self.s1), "the expired set's marker is not listed")
        #expect(text.contains("left 1 delete markers over 1 sets the policy does not keep"), "\(text)")
        #expect(text.contains("2 delete markers hide 2 kept sets; dry run: nothing changed (use --apply)"), "\(text)")
        #expect(try Self.versions(harness) == seeded, "a dry run changes nothing")

        // The JSON form names each marker with its verdict.
        let json = try undelete(["--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdoutText.utf8)) as? [String: Any])
        let markers = try #require(document["markers"] as? [[String: Any]])
        let verdicts = Dictionary(uniqueKeysWithValues: markers.map { ($0["key"] as? String ?? "", $0["verdict"] as? String ?? "") })
        #expect(verdicts == [Self.s1: "setNotKept", Self.s3: "remove", Self.s4a: "remove"])
        #expect(document["outcome"] == nil)

        // --since: only the later marker, over s4; then apply just that.
        let narrow = try undelete(["--since", since])
        #expect(narrow.stdoutText.contains("1 delete markers hide 1 kept sets; dry run"), "\(narrow.stdoutText)")
        #expect(narrow.stdoutText.contains("left 1 delete markers over kept sets placed before --since"), "\(narrow.stdoutText)")
        #expect(!narrow.stdoutText.contains("  \(Self.s3)  marker"))
        let narrowApply = try undelete(["--since", since, "--apply"])
        #expect(narrowApply.status == 0, "\(narrowApply.stderr)")
        #expect(narrowApply.stdoutText.contains("restored 1 sets: 2026-11-20T00:00:00Z (1 delete markers removed)"), "\(narrowApply.stdoutText)")
        #expect(try Self.current(harness, Self.s4a) == "content of \(Self.s4a) \(etag4)")
        #expect(try Self.current(harness, Self.s3) == nil, "s3's earlier marker is not touched with --since")

        // The bucket's lock held by a sweep: exit 4, nothing removed.
        _ = try ObjectLockSweepTests.python(harness, """
            s3.put_object(Bucket=bucket, Key=".strata/lock", Body=json.dumps({"holder": "elsewhere:1", "runID": "test",
                "acquiredAt": "2026-01-01T00:00:00Z", "expiresAt": "2099-01-01T00:00:00Z"}).encode())
            """)
        let held = try undelete(["--apply"])
        #expect(held.status == 4, "\(held.stdoutText) \(held.stderr)")
        #expect(held.stderr.contains("elsewhere:1"), "\(held.stderr)")
        #expect(try Self.current(harness, Self.s3) == nil)
        _ = try ObjectLockSweepTests.python(harness, "s3.delete_object(Bucket=bucket, Key='.strata/lock')")

        // --apply: s3 is back with its content and ETag; s1 stays hidden; nothing but markers went.
        let applied = try undelete(["--apply"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdoutText.contains("restored 1 sets: 2026-11-10T00:00:00Z (1 delete markers removed)"), "\(applied.stdoutText)")
        #expect(try Self.current(harness, Self.s3) == "content of \(Self.s3) \(etag3)")
        #expect(try Self.current(harness, Self.s1) == nil)
        let after = try Self.versions(harness)
        #expect(after[Self.s1]?.first == seeded[Self.s1]?.first, "the expired set's marker remains, still latest")
        for (key, versions) in seeded {
            let data = versions.filter { !$0.marker }.map(\.versionId)
            let remaining = Set(after[key]?.map(\.versionId) ?? [])
            #expect(remaining.isSuperset(of: data), "\(key): every data version remains")
        }
        #expect(after[Self.s3]?.contains { $0.marker } == false && after[Self.s4a]?.contains { $0.marker } == false)
        #expect(after[Self.s2] == seeded[Self.s2] && after[Self.s4b] == seeded[Self.s4b])

        // Nothing is left to do.
        let again = try undelete([])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdoutText.contains("0 delete markers hide 0 kept sets; nothing to do"), "\(again.stdoutText)")
        #expect(again.stdoutText.contains("left 1 delete markers over 1 sets the policy does not keep"), "\(again.stdoutText)")
    }

    @Test func unknownComponentIsAUsageError() throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("undelete-usage"))
        let output = try harness.strata(["undelete", "--component", "nope"])
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.contains("unknown component nope"), "\(output.stderr)")
    }
}
