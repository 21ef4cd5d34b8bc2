import Foundation
import NIOHTTP1
import StrataTestSupport
import Testing

/// `sweep --apply` killed with SIGKILL at twenty instants spread over its run (planning,
/// delete batches, in-place copies, including multipart copies of several parts), run again
/// after each kill: no kept object ever disappears or changes, and the last run converges on
/// exactly the plan's keep set.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct CrashPointTests {
    static let now = SweepEndToEndTests.now
    /// vault keeps 90 days and moves sets to STANDARD_IA at 30: these four are moved, and at
    /// 24 MiB with a 6 MiB threshold and 5 MiB parts each is a five-part copy.
    static let bigKeys = ["vault/20261001_020000.snap", "vault/20261002_020000.snap",
                          "vault/20261003_020000.snap", "vault/20261004_020000.snap"]
    static let copyFlags = ["--multipart-copy-threshold", "6291456", "--copy-part-size", "5242880"]

    /// `key -> "size class sha256"` of the big objects (boto3; with `digests: false`, `"size class etag"`
    /// from HEAD), and the number of incomplete uploads.
    static func bigState(_ harness: CLIHarness, digests: Bool = true) throws -> (objects: [String: String], uploads: Int) {
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
            import boto3, hashlib, json, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            out = {}
            for key in sys.argv[4:]:
                if sys.argv[3] == "1":
                    o = s3.get_object(Bucket=sys.argv[2], Key=key)
                    out[key] = "%d %s %s" % (o["ContentLength"], o.get("StorageClass", "STANDARD"), hashlib.sha256(o["Body"].read()).hexdigest())
                else:
                    o = s3.head_object(Bucket=sys.argv[2], Key=key)
                    out[key] = "%d %s %s" % (o["ContentLength"], o.get("StorageClass", "STANDARD"), o["ETag"].strip('"'))
            uploads = len(s3.list_multipart_uploads(Bucket=sys.argv[2]).get("Uploads", []))
            print(json.dumps({"objects": out, "uploads": uploads}))
            """, harness.servers.rgwEndpoint, harness.bucket, digests ? "1" : "0"] + bigKeys)
        try #require(output.status == 0, "\(output.stderr)")
        struct State: Decodable { var objects: [String: String]; var uploads: Int }
        let state = try JSONDecoder().decode(State.self, from: output.stdout)
        return (state.objects, state.uploads)
    }

    /// Starts `sweep` and returns it once an incomplete upload of a big object has appeared
    /// that was not there before it started (a transition copy under way), or after 120 s (a
    /// loaded machine can take long to plan).
    static func startAndWaitForCopy(_ harness: CLIHarness, _ arguments: [String], extra: [String: String]) throws -> Process {
        let poller = Process()
        poller.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        poller.arguments = ["python3", "-c", """
            import boto3, sys, time
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            def uploads():
                return {u["UploadId"] for u in s3.list_multipart_uploads(Bucket=sys.argv[2]).get("Uploads", []) if u["Key"] in sys.argv[3:]}
            before = uploads()
            print("ready", flush=True)
            deadline = time.time() + 120
            while time.time() < deadline and not (uploads() - before):
                time.sleep(0.02)
            """, harness.servers.rgwEndpoint, harness.bucket] + bigKeys
        poller.environment = ProcessInfo.processInfo.environment.merging(harness.environment) { $1 }
        let pipe = Pipe()
        poller.standardOutput = pipe
        try poller.run()
        _ = pipe.fileHandleForReading.availableData  // "ready": the uploads before the sweep are known
        let sweep = try harness.start(arguments, extra: extra)
        poller.waitUntilExit()
        return sweep
    }

    @Test func killedTwentyTimesItNeverLosesOrDamagesAKeptObjectAndConverges() async throws {
        // Part copies go through a proxy that holds each for 1.5 s, so a copy is under way long
        // enough for a kill to land in it.
        let servers = try TestServers.require()
        try await FaultProxy.with(upstream: servers.rgwEndpoint, chooser: { head in
            head.method == .PUT && head.headers.contains(name: "x-amz-copy-source") && head.uri.contains("partNumber=")
                ? .delay(.milliseconds(1500)) : .forward
        }) { _, proxyURL in
        try await offPool {
        try SweepEndToEndTests.withSeededBucket(years: 0.25) { harness in
            let viaProxy = ["AWS_ENDPOINT_URL": proxyURL]
            let put = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
                import boto3, os, sys
                s3 = boto3.client("s3", endpoint_url=sys.argv[1])
                for key in sys.argv[3:]:
                    s3.put_object(Bucket=sys.argv[2], Key=key, Body=os.urandom(24 * 1024 * 1024), Metadata={"origin": "crash-test"})
                """, harness.servers.rgwEndpoint, harness.bucket] + Self.bigKeys)
            try #require(put.status == 0, "\(put.stderr)")
            let plan = try SweepEndToEndTests.plan(harness)
            let expected = try SweepEndToEndTests.expectedKeys(harness, plan: plan)
            #expect(Self.bigKeys.allSatisfy { key in plan.actions.contains { $0.type == "transition" && $0.key == key } })
            let original = try Self.bigState(harness).objects
            let heads = try Self.bigState(harness, digests: false).objects

            // Six kills the moment a multipart copy of a big object is under way, then fourteen
            // instants from 0.2 s to 4 s (planning, delete batches, copies, the end).
            var generator = SplitMix(seed: 20_261_125)
            var delays: [Double?] = Array(repeating: nil, count: 6)
            for i in 0..<14 {
                let jitter = Double(generator.next() % 100) / 1000
                delays.append(0.2 + Double(i) * 0.27 + jitter)
            }
            var interruptedCopies = 0
            for delay in delays {
                let arguments = ["sweep", "--apply", "--force", "--now", Self.now, "--lock-ttl", "1"] + Self.copyFlags
                let process: Process
                if let delay {
                    process = try harness.start(arguments, extra: viaProxy)
                    Thread.sleep(forTimeInterval: delay)
                } else {
                    process = try Self.startAndWaitForCopy(harness, arguments, extra: viaProxy)
                }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let remaining = try harness.keys()
                #expect(expected.isSubset(of: remaining), "a kept object was deleted after a kill at \(delay) s")
                // Each big object is whole: the original (same ETag), or the finished copy (same
                // size, new class); its bytes are compared after the last run.
                let state = try Self.bigState(harness, digests: false)
                for (key, head) in heads {
                    let now = state.objects[key]?.split(separator: " ") ?? []
                    let then = head.split(separator: " ")
                    #expect(now.count == 3 && now[0] == then[0] && (now[2] == then[2] || now[1] == "STANDARD_IA"),
                            "\(key) changed or vanished after a kill at \(delay.map { "\($0) s" } ?? "mid-copy"): \(now)")
                }
                if delay == nil, state.uploads > 0 { interruptedCopies += 1 }
                Thread.sleep(forTimeInterval: 0.6)  // with the checks above, the dead sweep's 1 s lock has expired
            }
            print("crash points: \(delays.count) kills, \(interruptedCopies) mid-copy")
            #expect(interruptedCopies >= 1, "the targeted kills landed mid-copy")

            let final = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now] + Self.copyFlags, extra: viaProxy)
            #expect(final.status == 0, "\(final.stderr)")
            #expect(try harness.keys() == expected)
            let state = try Self.bigState(harness)
            #expect(state.uploads == 0, "copies left by killed sweeps are aborted by the next one")
            for key in Self.bigKeys {
                #expect(state.objects[key] == original[key]?.replacingOccurrences(of: " STANDARD ", with: " STANDARD_IA "),
                        "\(key): same size and bytes, now in STANDARD_IA")
            }
        }
        }
        }
    }
}
