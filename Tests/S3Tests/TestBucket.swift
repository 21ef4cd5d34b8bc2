import AsyncHTTPClient
import Foundation
import Logging
import S3
import SigV4
import StrataTestSupport

/// A client on one of the local servers and a fresh bucket that is emptied and deleted after
/// the test body, whatever it did.
struct TestBucket {
    let client: S3Client
    let name: String

    typealias Server = TestServer

    static func configuration(_ server: Server, servers: TestServers, endpoint: String? = nil,
                              transfer: TransferConfiguration = TransferConfiguration(),
                              retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(20))) throws -> S3Configuration {
        let url = endpoint ?? servers.endpoint(server)
        return S3Configuration(region: servers.region, endpoint: try S3Endpoint(url: url), retry: retry,
                               transfer: transfer)
    }

    static func credentials(_ servers: TestServers, secret: String? = nil) -> StaticCredentialProvider {
        StaticCredentialProvider(Credentials(accessKeyID: servers.accessKey,
                                             secretAccessKey: secret ?? servers.secretKey))
    }

    /// Runs `body` with a new bucket on `server`; the bucket and all its versions are removed after.
    static func with<R: Sendable>(
        _ server: Server, purpose: String, objectLock: Bool = false,
        transfer: TransferConfiguration = TransferConfiguration(),
        _ body: (TestBucket) async throws -> R
    ) async throws -> R {
        let servers = try TestServers.require()
        let configuration = try configuration(server, servers: servers, transfer: transfer)
        var logger = Logger(label: "strata.tests")
        logger.logLevel = .warning
        return try await S3Client.withClient(configuration: configuration, credentials: credentials(servers),
                                             logger: logger) { client in
            let name = TestServers.uniqueBucketName(purpose)
            try await client.createBucket(name, objectLockEnabled: objectLock)
            let bucket = TestBucket(client: client, name: name)
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

    /// Deletes every version, delete marker and upload, then the bucket.
    func destroy() async throws {
        try await client.emptyAndDeleteBucket(name)
    }

    /// Every current key in the bucket, in order.
    func keys(prefix: String? = nil) async throws -> [String] {
        var keys: [String] = []
        for try await page in client.listObjects(bucket: name, prefix: prefix) {
            keys += page.objects.map(\.key)
        }
        return keys
    }
}
