import Foundation
import Logging
import NIOHTTP1
@testable import S3
import StrataTestSupport
import Testing

/// Retries against real traffic: a fault-injecting proxy between the client and RGW.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct RetryTests {
    /// Runs `body` with a bucket on RGW and a client that talks to it through the proxy.
    /// `seed` runs first with a direct client (default timeouts), so setup cannot trip a short `readTimeout`.
    static func throughProxy(
        readTimeout: Duration = .seconds(60), maxAttempts: Int = 4,
        seed: (S3Client, String) async throws -> Void = { _, _ in },
        _ body: (S3Client, String, FaultProxy) async throws -> Void,
        readBack: (S3Client, String) async throws -> Void = { _, _ in }
    ) async throws {
        let servers = try TestServers.require()
        try await TestBucket.with(.rgw, purpose: "retry") { bucket in
            try await seed(bucket.client, bucket.name)
            try await FaultProxy.with(upstream: servers.rgwEndpoint) { proxy, url in
                var configuration = try TestBucket.configuration(
                    .rgw, servers: servers, endpoint: url,
                    retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(100)))
                configuration.readTimeout = readTimeout
                try await S3Client.withClient(configuration: configuration, credentials: TestBucket.credentials(servers),
                                              logger: Logger(label: "retry-test")) { client in
                    try await body(client, bucket.name, proxy)
                }
            }
            // What the server then holds, read directly with normal timeouts: a large read-back
            // through the short-timeout client can time out on a loaded machine (CI flake).
            try await readBack(bucket.client, bucket.name)
        }
    }

    @Test func slowDownIsRetriedUntilItSucceeds() async throws {
        try await Self.throughProxy { client, bucket, proxy in
            proxy.inject(.error(status: 503, code: "SlowDown"), times: 2) { $0.method == .PUT }
            try await client.putObject(bucket: bucket, key: "k", body: Array("v".utf8))
            #expect(client.statistics.retries == 2)
            #expect(proxy.injected == 2)
            #expect(try await client.getObject(bucket: bucket, key: "k").body == Array("v".utf8))
        }
    }

    @Test func persistentFailureSurfacesAfterMaxAttempts() async throws {
        try await Self.throughProxy(maxAttempts: 3) { client, bucket, proxy in
            proxy.inject(.error(status: 500, code: "InternalError"), times: 10) { $0.method == .GET }
            let error = await #expect(throws: S3Error.self) {
                _ = try await client.getObject(bucket: bucket, key: "missing")
            }
            #expect(error?.code == .internalError)
            #expect(proxy.injected == 3)
        }
    }

    @Test func connectionResetIsRetried() async throws {
        try await Self.throughProxy { client, bucket, proxy in
            try await client.putObject(bucket: bucket, key: "r", body: Array(repeating: 1, count: 1000))
            let retriesBefore = client.statistics.retries
            proxy.inject(.reset, times: 2) { $0.method == .GET }
            #expect(try await client.getObject(bucket: bucket, key: "r").body.count == 1000)
            #expect(client.statistics.retries - retriesBefore == 2)
        }
    }

    @Test func stallPastTheReadTimeoutIsRetried() async throws {
        // A loaded CI machine can make RGW itself slower than the short timeout (CI once saw four 3 s
        // timeouts on the setup PUT), so setup goes direct and the stalled HEAD gets spare attempts.
        try await Self.throughProxy(readTimeout: .seconds(3), maxAttempts: 8, seed: { client, bucket in
            try await client.putObject(bucket: bucket, key: "s", body: [1, 2, 3])
        }, { (client: S3Client, bucket: String, proxy: FaultProxy) async throws in
            proxy.inject(.delay(.seconds(6))) { $0.method == .HEAD }
            let retriesBefore = client.statistics.retries
            #expect(try await client.headObject(bucket: bucket, key: "s").contentLength == 3)
            // At least the stalled attempt was retried (more if the machine is slow to answer).
            #expect(client.statistics.retries - retriesBefore >= 1)
            #expect(proxy.injected == 1)
        })
    }

    /// Regression: a server that stops reading while a file body is streamed was waited for up
    /// to the request's overall deadline (316 s per attempt for a 16 MiB part; a full RGW does
    /// this), because the read timeout only starts once the body is sent. Now a send that makes
    /// no progress for the read timeout fails the attempt, and the part is sent again.
    @Test func aStalledPartSendIsRetriedAfterTheTimeout() async throws {
        // Parts larger than the loopback socket buffers on both sides, so the client's writes block.
        let (path, data) = try LostAnswerTests.file(32 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // No wall-clock bound: a loaded CI run can hold this test's tasks for a minute and more.
        // Without the watchdog there is no retry at all (the attempt waits out the stall); on a
        // loaded machine a slow attempt may be retried once more, hence the spare attempts. The
        // timeout is 5 s, not 2: under the whole suite on two cores (issue 18 added SeaweedFS's
        // tests beside it) eight 32 MiB sends through the proxy in a row once idled 2 s each.
        try await Self.throughProxy(readTimeout: .seconds(5), maxAttempts: 8, { client, bucket, proxy in
            proxy.inject(.stallBody(.seconds(60))) { $0.method == .PUT && $0.uri.contains("partNumber=1&") }
            let result = try await client.uploadFile(bucket: bucket, key: "stalled", path: path)
            #expect(result.parts == 2)
            #expect(client.statistics.retries >= 1)
            #expect(proxy.injected == 1)
        }, readBack: { (direct: S3Client, bucket: String) async throws in
            let held = try await direct.getObject(bucket: bucket, key: "stalled").body
            #expect(held == data)
        })
    }

    /// A file that shrinks while its parts go out with sendfile(2) fails the upload as a changed
    /// file, and the upload is aborted. A region already handed to the channel when the file
    /// shrank is not caught by the size check: NIO retries sendfile past the end (it sends
    /// nothing) until the watchdog ends the attempt after the read timeout, so this is slow
    /// (docs/failure-modes.md); the outcome is what is asserted.
    @Test func aFileThatShrinksWhileSentWithSendfileFailsAsChanged() async throws {
        let (path, _) = try LostAnswerTests.file(40 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await Self.throughProxy(readTimeout: .seconds(5)) { client, bucket, proxy in
            #expect(client.configuration.transfer.sendfile)
            // Part 1 is held at the proxy; the file is cut to 2 MiB while it waits.
            proxy.inject(.stallBody(.seconds(3))) { $0.method == .PUT && $0.uri.contains("partNumber=1&") }
            async let upload = client.uploadFile(bucket: bucket, key: "shrinking", path: path)
            while proxy.injected == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(truncate(path, 2 * 1024 * 1024) == 0)
            do {
                _ = try await upload
                Issue.record("the upload of a file that shrank succeeded")
            } catch let error as TransferError {
                #expect(error == .fileChanged(path))
            }
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        }
    }

    @Test func truncatedBodyAndTruncatedXMLAreRetried() async throws {
        try await Self.throughProxy { client, bucket, proxy in
            let body = (0..<100_000).map { UInt8($0 % 255) }
            try await client.putObject(bucket: bucket, key: "t", body: body)
            let retriesBefore = client.statistics.retries
            proxy.inject(.truncate) { $0.method == .GET && $0.uri.contains("/t") }
            #expect(try await client.getObject(bucket: bucket, key: "t").body == body)
            proxy.inject(.truncate) { $0.uri.contains("list-type=2") }
            #expect(try await client.listObjectsPage(bucket: bucket).objects.map(\.key) == ["t"])
            #expect(client.statistics.retries - retriesBefore == 2)
        }
    }

    @Test func multipartUploadSurvivesPartFailures() async throws {
        try await Self.throughProxy { client, bucket, proxy in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString)").path
            let data = (0..<(11 * 1024 * 1024)).map { UInt8($0 % 241) }
            try Data(data).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            var configured = client.configuration.transfer
            configured.partSize = 5 * 1024 * 1024
            configured.multipartThreshold = 5 * 1024 * 1024
            proxy.inject(.error(status: 503, code: "SlowDown"), times: 2) { $0.uri.contains("partNumber=2") }
            proxy.inject(.reset) { $0.uri.contains("partNumber=3") }
            let small = try S3Client(configuration: { var c = client.configuration; c.transfer = configured; return c }(),
                                     credentials: client.credentials, httpClient: client.httpClient, logger: client.logger)
            let result = try await small.uploadFile(bucket: bucket, key: "mp", path: path)
            #expect(result.parts == 3)
            #expect(small.statistics.retries == 3)
            #expect(try await client.getObject(bucket: bucket, key: "mp").body == data)
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        }
    }

    /// Regression: a range answer longer than asked was written whole before its length was
    /// checked, over the start of the next range; written after that range (here: held back 1 s),
    /// it corrupted the file while every range's own checksum still passed.
    @Test func aRangeAnswerLongerThanAskedNeverReachesTheNextRange() async throws {
        let (path, data) = try LostAnswerTests.file(10 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await Self.throughProxy(seed: { client, bucket in
            _ = try await LostAnswerTests.multipartClient(client).uploadFile(bucket: bucket, key: "two-parts", path: path)
        }) { client, bucket, proxy in
            proxy.inject(.lengthen(extra: 100, after: .seconds(1))) { head in
                head.method == .GET && head.headers.first(name: "range")?.hasPrefix("bytes=0-") == true
            }
            let target = path + ".down"
            defer { try? FileManager.default.removeItem(atPath: target) }
            let result = try await client.downloadFile(bucket: bucket, key: "two-parts", to: target)
            #expect(proxy.injected == 1)
            #expect(client.statistics.retries >= 1)
            #expect(result.verification == .strataCRC)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        }
    }

    @Test func clockSkewIsCorrectedFromTheServersDate() async throws {
        let servers = try TestServers.require()
        let configuration = try TestBucket.configuration(.rgw, servers: servers)
        try await S3Client.withClient(configuration: configuration, credentials: TestBucket.credentials(servers),
                                      logger: Logger(label: "skew")) { good in
            let bucket = TestServers.uniqueBucketName("skew")
            try await good.createBucket(bucket)
            defer { Task { try? await good.deleteBucket(bucket) } }
            let skewed = try S3Client(configuration: configuration, credentials: TestBucket.credentials(servers),
                                      httpClient: good.httpClient, logger: good.logger,
                                      now: { Date().addingTimeInterval(-3 * 3600) })
            #expect(try await skewed.listObjectsPage(bucket: bucket).objects.isEmpty)
            #expect(skewed.statistics.requests == 2)
            try await good.deleteBucket(bucket)
        }
    }
}
