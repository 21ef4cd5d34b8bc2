import Foundation
import StrataTestSupport
import Testing

/// A sweep of a versioned bucket under S3 Object Lock, on the real RGW (which enforces locks:
/// deleting a locked version is refused with 403 AccessDenied). Expired sets lose every version;
/// locked or held sets lose nothing and get no delete marker; GOVERNANCE is bypassed only when
/// asked; hidden backups are listed by audit and expire only under `noncurrent.expire_after`.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct ObjectLockSweepTests {
    static let now = "2026-12-30T00:00:00Z"

    /// Runs Python with boto3 against the harness's bucket: `s3`, `bucket` and `argv` are defined.
    static func python(_ harness: CLIHarness, _ code: String, _ arguments: [String] = []) throws -> String {
        let prelude = """
            import boto3, datetime, json, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            bucket = sys.argv[2]
            argv = sys.argv[3:]

            """
        let output = try ProcessRunner(environment: harness.environment).run(
            ["python3", "-c", prelude + code, harness.servers.rgwEndpoint, harness.bucket] + arguments)
        try #require(output.status == 0, "python failed: \(output.stderr)")
        return output.stdoutText
    }

    /// `key -> ["v" or "marker", ...]` for every version in the bucket outside .strata/.
    static func versions(_ harness: CLIHarness) throws -> [String: [String]] {
        let text = try python(harness, """
            out = {}
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for v in page.get("Versions", []):
                    out.setdefault(v["Key"], []).append("v")
                for m in page.get("DeleteMarkers", []):
                    out.setdefault(m["Key"], []).append("marker")
            print(json.dumps({k: sorted(v) for k, v in out.items() if not k.startswith(".strata/")}))
            """)
        return try JSONDecoder().decode([String: [String]].self, from: Data(text.utf8))
    }

    static func writePolicy(_ folder: URL, noncurrent: String) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            component: vault
            prefix: vault/
            layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
            retention:
              keep_last: 1
            guards:
              max_delete_fraction: 1.0
            noncurrent: \(noncurrent)
            """.write(to: folder.appendingPathComponent("vault.yaml"), atomically: true, encoding: .utf8)
    }

    @Test func lockedSetsAreUntouchedExpiredSetsLoseEveryVersionAndHiddenBackupsFollowThePolicy() throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("lock"))
        let policies = FileManager.default.temporaryDirectory.appendingPathComponent("strata-lock-\(UUID().uuidString)")
        defer {
            _ = try? Self.python(harness, """
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                        try:
                            s3.put_object_legal_hold(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"], LegalHold={"Status": "OFF"})
                        except Exception:
                            pass
                        s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"], BypassGovernanceRetention=True)
                s3.delete_bucket(Bucket=bucket)
                """)
            try? FileManager.default.removeItem(at: policies)
        }
        _ = try Self.python(harness, """
            s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
            until = datetime.datetime(2027, 6, 1, tzinfo=datetime.timezone.utc)
            s3.put_object(Bucket=bucket, Key="vault/20261120_000000.snap", Body=b"newest")
            s3.put_object(Bucket=bucket, Key="vault/20260101_000000.snap", Body=b"expired v1")
            s3.put_object(Bucket=bucket, Key="vault/20260101_000000.snap", Body=b"expired v2")
            s3.put_object(Bucket=bucket, Key="vault/20260102_000000.snap", Body=b"governance",
                          ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
            s3.put_object(Bucket=bucket, Key="vault/20260103_000000.snap", Body=b"held", ObjectLockLegalHoldStatus="ON")
            s3.put_object(Bucket=bucket, Key="vault/20250101_000000.snap", Body=b"hidden")
            s3.delete_object(Bucket=bucket, Key="vault/20250101_000000.snap")
            """)
        let before = try Self.versions(harness)
        #expect(before["vault/20250101_000000.snap"] == ["marker", "v"])

        // RGW enforces the lock: a plain delete of the GOVERNANCE version is refused.
        let refused = try Self.python(harness, """
            v = s3.list_object_versions(Bucket=bucket, Prefix="vault/20260102")["Versions"][0]["VersionId"]
            try:
                s3.delete_object(Bucket=bucket, Key="vault/20260102_000000.snap", VersionId=v)
                print("deleted")
            except s3.exceptions.ClientError as e:
                print(e.response["Error"]["Code"])
            """)
        #expect(refused.trimmingCharacters(in: .whitespacesAndNewlines) == "AccessDenied")

        try Self.writePolicy(policies, noncurrent: "keep")
        let sweep = try harness.strata(["sweep", "--policies", policies.path, "--now", Self.now, "--apply", "--all"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdoutText.contains("blocked by object lock until 2027-06-01T00:00:00Z (GOVERNANCE"), "\(sweep.stdoutText)")
        #expect(sweep.stdoutText.contains("blocked by legal hold"))
        var after = try Self.versions(harness)
        #expect(after["vault/20260101_000000.snap"] == nil, "both versions of the expired set are gone, and no marker was left")
        #expect(after["vault/20260102_000000.snap"] == ["v"], "the locked set keeps its version and gets no delete marker")
        #expect(after["vault/20260103_000000.snap"] == ["v"], "the held set keeps its version and gets no delete marker")
        #expect(after["vault/20261120_000000.snap"] == ["v"])
        #expect(after["vault/20250101_000000.snap"] == ["marker", "v"], "noncurrent: keep leaves the hidden backup")

        let audit = try harness.strata(["audit", "--policies", policies.path, "--now", Self.now, "--format", "csv"])
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(audit.stdoutText.contains("vault,(hidden: no current version),,vault/20250101_000000.snap,"), "\(audit.stdoutText)")
        #expect(audit.stdoutText.contains("vault,(delete marker),,vault/20250101_000000.snap,"))

        let bypass = try harness.strata(["sweep", "--policies", policies.path, "--now", Self.now, "--apply", "--bypass-governance"])
        #expect(bypass.status == 0, "\(bypass.stderr)")
        after = try Self.versions(harness)
        #expect(after["vault/20260102_000000.snap"] == nil, "--bypass-governance lets the expired GOVERNANCE set go")
        #expect(after["vault/20260103_000000.snap"] == ["v"], "a legal hold still blocks")

        try Self.writePolicy(policies, noncurrent: "{expire_after: 7d}")
        let expire = try harness.strata(["sweep", "--policies", policies.path, "--now", Self.now, "--apply"])
        #expect(expire.status == 0, "\(expire.stderr)")
        #expect(expire.stdoutText.contains("1 delete markers removed"), "\(expire.stdoutText)")
        after = try Self.versions(harness)
        #expect(after["vault/20250101_000000.snap"] == nil, "the hidden backup and its marker expire under noncurrent.expire_after")
        #expect(Set(after.keys) == ["vault/20260103_000000.snap", "vault/20261120_000000.snap"])
    }
}
