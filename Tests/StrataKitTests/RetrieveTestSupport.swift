import Foundation
import Logging
import Retention
import S3
import StrataKit
import StrataTestSupport

/// A client on one of the local servers and a fresh bucket, emptied and deleted after the test
/// body whatever it did (the idea of Tests/S3Tests/TestBucket.swift, for StrataKit's tests).
struct ScratchBucket {
    let client: S3Client
    let name: String

    typealias Server = TestServer

    /// Runs `body` with a new bucket on `server`.
    static func with<R: Sendable>(_ server: Server, purpose: String,
                                  transfer: TransferConfiguration = TransferConfiguration(),
                                  _ body: (ScratchBucket) async throws -> R) async throws -> R {
        let servers = try TestServers.require()
        let url = servers.endpoint(server)
        let configuration = S3Configuration(region: servers.region, endpoint: try S3Endpoint(url: url),
                                            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(20)),
                                            transfer: transfer)
        let credentials = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey])
        return try await S3Client.withClient(configuration: configuration, credentials: credentials,
                                             logger: Self.logger) { client in
            let name = TestServers.uniqueBucketName(purpose)
            try await client.createBucket(name)
            let bucket = ScratchBucket(client: client, name: name)
            do {
                let result = try await body(bucket)
                try await bucket.destroy()
                return result
            } catch {
                try? await bucket.destroy()
                throw error
            }
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "strata.tests")
        logger.logLevel = .warning
        return logger
    }

    /// A context on this bucket with `policies` (YAML texts by file name) and a fixed clock.
    func context(policies: [String: String], now: Date) throws -> StrataContext {
        let set = try PolicySet.load(files: policies.map { PolicySource(path: $0.key, contents: $0.value) })
        return StrataContext(client: client, bucket: name, policies: set, logger: Self.logger, now: { now })
    }

    /// Every current key under `prefix`.
    func keys(prefix: String? = nil) async throws -> [String] {
        var keys: [String] = []
        for try await page in client.listObjects(bucket: name, prefix: prefix) { keys += page.objects.map(\.key) }
        return keys
    }

    /// Deletes every version and upload, then the bucket.
    func destroy() async throws {
        try await client.emptyAndDeleteBucket(name)
    }
}

/// Deterministic pseudo-random bytes (different per seed), so tests can compare content.
func testBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// A fresh empty directory under the system's temporary directory.
func makeScratchDirectory(_ purpose: String) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("strata-\(purpose)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
