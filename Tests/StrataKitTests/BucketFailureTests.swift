import Foundation
import NIOHTTP1
import StrataTestSupport
import Testing

/// Failures that concern the whole bucket: one clear line naming what is wrong and what to do,
/// the documented exit code, and nothing changed in the bucket.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct BucketFailureTests {
    static let now = SweepEndToEndTests.now
    static let prefixes = ["falkordb", "nats", "postgresql", "qdrant", "temporal", "vault"]

    /// Every key with its storage class (boto3), to prove nothing was deleted or moved.
    static func state(_ harness: CLIHarness) throws -> [String: String] {
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
            import boto3, json, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            out = {}
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2]):
                for o in page.get("Contents", []):
                    if not o["Key"].startswith(".strata/"):
                        out[o["Key"]] = o.get("StorageClass", "STANDARD")
            print(json.dumps(out))
            """, harness.servers.rgwEndpoint, harness.bucket])
        try #require(output.status == 0, "\(output.stderr)")
        return try JSONDecoder().decode([String: String].self, from: output.stdout)
    }

    static func denyPolicy(_ harness: CLIHarness, actions: [String], resources: [String]) throws {
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
            import boto3, json, sys
            statement = {"Effect": "Deny", "Principal": "*", "Action": json.loads(sys.argv[3]), "Resource": json.loads(sys.argv[4])}
            boto3.client("s3", endpoint_url=sys.argv[1]).put_bucket_policy(
                Bucket=sys.argv[2], Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
            """, harness.servers.rgwEndpoint, harness.bucket,
            String(decoding: try JSONEncoder().encode(actions), as: UTF8.self),
            String(decoding: try JSONEncoder().encode(resources), as: UTF8.self)])
        try #require(output.status == 0, "\(output.stderr)")
    }

    static func errorLines(_ output: ProcessRunner.Output) -> [Substring] {
        output.stderr.split(separator: "\n").filter { $0.hasPrefix("strata: error:") }
    }

    /// Denies `actions` on every component's objects, then sweeps with `--apply --force`, which
    /// must fail with exit code 1 and one error line. Returns the bucket before, and that line.
    static func applyDenied(_ harness: CLIHarness, actions: [String]) throws -> (before: [String: String], line: Substring?) {
        try denyPolicy(harness, actions: actions, resources: prefixes.map { "arn:aws:s3:::\(harness.bucket)/\($0)/*" })
        let before = try state(harness)
        let output = try harness.strata(["sweep", "--apply", "--force", "--now", now])
        #expect(output.status == 1)
        let lines = errorLines(output)
        #expect(lines.count == 1, "\(output.stderr)")
        return (before, lines.first)
    }

    @Test func deleteDeniedStopsBeforeAnythingChanges() throws {
        try SweepEndToEndTests.withSeededBucket(years: 0.1) { harness in
            let (before, line) = try Self.applyDenied(harness, actions: ["s3:DeleteObject", "s3:DeleteObjectVersion"])
            #expect(line?.contains("AccessDenied for all") == true)
            #expect(line?.contains("needs s3:DeleteObject") == true)
            #expect(try Self.state(harness) == before, "nothing deleted and nothing moved")
        }
    }

    @Test func copyDeniedNamesThePermissionAndMovesNothing() throws {
        try SweepEndToEndTests.withSeededBucket(years: 0.1) { harness in
            let (before, line) = try Self.applyDenied(harness, actions: ["s3:PutObject"])
            #expect(line?.contains("AccessDenied for all") == true && line?.contains("transitions") == true)
            #expect(line?.contains("needs s3:GetObject, s3:PutObject") == true)
            // The deletions were allowed and made; nothing left was moved.
            let after = try Self.state(harness)
            #expect(after.count < before.count)
            #expect(after == before.filter { after[$0.key] != nil })
        }
    }

    @Test func listDeniedNamesThePermission() throws {
        try SweepEndToEndTests.withSeededBucket(years: 0.05) { harness in
            try Self.denyPolicy(harness, actions: ["s3:ListBucket", "s3:ListBucketVersions"], resources: ["arn:aws:s3:::\(harness.bucket)"])
            let output = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            #expect(output.status == 1)
            let lines = Self.errorLines(output)
            #expect(lines.count == 1 && output.stderr.split(separator: "\n").count == 1, "\(output.stderr)")
            #expect(lines.first?.contains("ListObjectsV2 s3://\(harness.bucket): AccessDenied (HTTP 403); needs s3:ListBucket") == true)
        }
    }

    @Test func aSkewedClockIsCorrectedFromTheServersDate() throws {
        try SweepEndToEndTests.withSeededBucket(years: 0.05) { harness in
            let plain = try harness.strata(["sweep", "--json", "--force", "--now", Self.now])
            let skewed = try ProcessRunner(environment: harness.environment.merging(["STRATA_BIN": CLIHarness.binary]) { $1 })
                .run(["faketime", "-f", "-30m", CLIHarness.binary, "sweep", "--json", "--force", "--now", Self.now])
            #expect(skewed.status == plain.status, "\(skewed.stderr)")
            #expect(skewed.stderr.contains("clock skew corrected"))
            #expect(skewed.stdout == plain.stdout, "the same plan as with a right clock")
        }
    }

    @Test func aBucketInAnotherRegionNamesIt() async throws {
        let servers = try TestServers.require()
        let harness = CLIHarness(servers: servers, bucket: "strata-elsewhere")
        try await FaultProxy.with(upstream: servers.rgwEndpoint, chooser: { _ in
            .error(status: 301, code: "PermanentRedirect", headers: ["x-amz-bucket-region": "eu-west-1"])
        }) { proxy, url in
            let output = try await offPool { try harness.strata(["sweep", "--apply", "--now", Self.now], extra: ["AWS_ENDPOINT_URL": url]) }
            #expect(output.status == 1)
            #expect(Self.errorLines(output).count == 1, "\(output.stderr)")
            #expect(output.stderr.contains("PermanentRedirect"))
            #expect(output.stderr.contains("the bucket is in region eu-west-1: pass --region eu-west-1"), "\(output.stderr)")
            #expect(proxy.requests == 1, "no retry of a redirect, and nothing after it")
        }
    }
}
