import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `strata cp --checkpoint-dir`: an upload killed mid-way (a pod evicted, a node lost) resumes
/// from the parts RGW already holds when the same command runs again.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct ResumedCopyTests {
    @Test func cpKilledMidUploadResumesFromItsCheckpoint() async throws {
        let servers = try TestServers.require()
        // Part 3 is held by the proxy, so the kill lands with parts 1 and 2 in RGW and 3 in flight.
        try await FaultProxy.with(upstream: servers.rgwEndpoint, chooser: { head in
            head.method == .PUT && head.uri.contains("partNumber=3") ? .delay(.seconds(30)) : .forward
        }) { _, proxyURL in
            try await offPool {
                let harness = CLIHarness(servers: servers, bucket: TestServers.uniqueBucketName("resume"))
                defer { harness.destroy() }
                try harness.seed(now: "2026-11-25T12:00:00Z", years: 0.02)
                var generator = SystemRandomNumberGenerator()
                let data = (0..<(17 * 1024 * 1024 + 5)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let file = try CommandEndToEndTests.temporaryFile(data)
                let checkpoints = file + ".checkpoints"
                defer {
                    try? FileManager.default.removeItem(atPath: file)
                    try? FileManager.default.removeItem(atPath: checkpoints)
                }
                let target = "s3://\(harness.bucket)/misc/base.tar"
                let arguments = ["cp", "--part-size-mib", "5", "--concurrency", "1", "--checkpoint-dir", checkpoints, file, target]

                let first = try harness.start(arguments, extra: ["AWS_ENDPOINT_URL": proxyURL])
                let held = try Self.waitForParts(harness, key: "misc/base.tar", count: 2)
                kill(first.processIdentifier, SIGKILL)
                first.waitUntilExit()
                #expect(held == 2)
                #expect(Self.records(checkpoints) == 1)

                let again = try harness.strata(arguments)
                #expect(again.status == 0, "\(again.stderr)")
                #expect(again.stdoutText.contains("4 parts, 2 already in S3"), "\(again.stdoutText)")
                let back = file + ".back"
                defer { try? FileManager.default.removeItem(atPath: back) }
                let down = try harness.strata(["cp", target, back])
                #expect(down.status == 0, "\(down.stderr)")
                #expect(down.stdoutText.contains("verified: crc32c-parts"))
                #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == Data(data))
                #expect(try Self.uploadsLeft(harness) == 0)
                #expect(Self.records(checkpoints) == 0)
            }
        }
    }

    static func records(_ directory: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.count
    }

    /// Polls RGW (boto3) until the key's one incomplete upload holds `count` parts; returns the parts held.
    static func waitForParts(_ harness: CLIHarness, key: String, count: Int) throws -> Int {
        let code = """
        import boto3, sys, time
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        deadline = time.time() + 120
        while time.time() < deadline:
            for u in s3.list_multipart_uploads(Bucket=sys.argv[2]).get("Uploads", []):
                if u["Key"] == sys.argv[3]:
                    parts = s3.list_parts(Bucket=sys.argv[2], Key=u["Key"], UploadId=u["UploadId"]).get("Parts", [])
                    if len(parts) >= int(sys.argv[4]):
                        print(len(parts)); sys.exit(0)
            time.sleep(0.2)
        sys.exit("no upload with enough parts within 120 s")
        """
        let output = try ProcessRunner(environment: harness.environment).run(
            ["python3", "-c", code, harness.servers.rgwEndpoint, harness.bucket, key, String(count)])
        guard output.status == 0, let parts = Int(output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError(message: "waiting for parts: \(output.stderr)")
        }
        return parts
    }

    static func uploadsLeft(_ harness: CLIHarness) throws -> Int {
        let code = """
        import boto3, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        print(len(s3.list_multipart_uploads(Bucket=sys.argv[2]).get("Uploads", [])))
        """
        let output = try ProcessRunner(environment: harness.environment).run(
            ["python3", "-c", code, harness.servers.rgwEndpoint, harness.bucket])
        guard output.status == 0, let count = Int(output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError(message: "listing uploads: \(output.stderr)")
        }
        return count
    }
}
