import Foundation
import Logging
import NIOHTTP1
import Retention
import S3
import StrataKit
import StrataTestSupport
import Testing

/// The sweep when the network misbehaves between it and the real RGW (a fault-injecting proxy).
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized)
struct SweepFaultTests {
    /// Runs `body` with a context whose client talks to `bucket` through a fault proxy.
    static func throughProxy(_ bucket: ScratchBucket, _ body: (StrataContext, FaultProxy) async throws -> Void) async throws {
        let servers = try TestServers.require()
        try await FaultProxy.with(upstream: servers.rgwEndpoint) { proxy, url in
            let configuration = S3Configuration(region: servers.region, endpoint: try S3Endpoint(url: url),
                                                retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)))
            let credentials = EnvironmentCredentialProvider(environment: [
                "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey])
            try await S3Client.withClient(configuration: configuration, credentials: credentials, logger: ScratchBucket.logger) { client in
                try await body(StrataContext(client: client, bucket: bucket.name, policies: nil, logger: ScratchBucket.logger,
                                             now: { Date() }), proxy)
            }
        }
    }

    /// Regression: the lock PUT reached the server but its answer was lost; the retry then met
    /// `If-None-Match` (412) and the sweep reported its own lock as held by another sweep. The
    /// lease reads the record back instead.
    @Test func aLeaseWhoseAnswerWasLostIsRecognisedAsOurs() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lock-lost-answer") { bucket in
            try await Self.throughProxy(bucket) { context, proxy in
                proxy.inject(.dropAnswer) { $0.method == .PUT && $0.uri.contains(".strata/lock") }
                let lease = try await SweepLease.acquire(context: context, runID: "run-lost-answer",
                                                         timing: SweepLease.Timing(ttl: 60, settle: .milliseconds(100)))
                #expect(proxy.injected == 1)
                #expect(lease.record.runID == "run-lost-answer")
                #expect(try await SweepLease.current(context: context)?.runID == "run-lost-answer")
                try await lease.check()
                await lease.release()
                #expect(try await SweepLease.current(context: context) == nil)
            }
        }
    }
}
