import AsyncHTTPClient
import Foundation
@testable import S3
import SigV4
import StrataTestSupport
import Synchronization
import Testing

/// The credential chain picks sources in the aws cli's order and never leaks a secret.
struct CredentialTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-creds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func sharedFilesParseProfilesAndPrefixes() {
        let config = SharedConfigFiles.parse("""
            [default]
            region = us-east-1
            [profile prod]
            role_arn = arn:aws:iam::1:role/r
            s3 =
              max_concurrent_requests = 20
            # comment
            """, profilePrefix: true)
        #expect(config["default"]?["region"] == "us-east-1")
        #expect(config["prod"]?["role_arn"] == "arn:aws:iam::1:role/r")
        #expect(config["prod"]?["max_concurrent_requests"] == nil)
    }

    @Test func chainOrder() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let credentialsFile = dir.appendingPathComponent("credentials")
        try "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = opssecret\n"
            .write(to: credentialsFile, atomically: true, encoding: .utf8)
        let base = ["HOME": dir.path, "AWS_SHARED_CREDENTIALS_FILE": credentialsFile.path,
                    "AWS_CONFIG_FILE": dir.appendingPathComponent("none").path, "AWS_EC2_METADATA_DISABLED": "true"]
        let http = HTTPClient.shared
        func resolve(_ env: [String: String], profile: String? = nil) async throws -> Credentials {
            try await CredentialChain.resolve(explicitProfile: profile, environment: base.merging(env) { $1 },
                                              region: "us-east-1", httpClient: http).credentials()
        }
        let envKeys = ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok"]
        #expect(try await resolve(envKeys).accessKeyID == "ENVKEY")
        #expect(try await resolve(envKeys).sessionToken == "tok")
        #expect(try await resolve([:]).accessKeyID == "FILEKEY")
        #expect(try await resolve(["AWS_PROFILE": "ops"]).accessKeyID == "OPSKEY")
        // A profile named explicitly wins over keys in the environment, as in the aws cli.
        #expect(try await resolve(envKeys, profile: "ops").accessKeyID == "OPSKEY")
        await #expect(throws: CredentialError.self) { _ = try await resolve(["AWS_PROFILE": "missing"]) }
        await #expect(throws: CredentialError.self) {
            _ = try await resolve(["AWS_ACCESS_KEY_ID": "ONLYID"])
        }
    }

    @Test func noSourceIsAClearError() throws {
        let http = HTTPClient.shared
        #expect(throws: CredentialError.self) {
            _ = try CredentialChain.resolve(environment: ["HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"],
                                            region: "us-east-1", httpClient: http)
        }
    }

    @Test func descriptionsNeverShowSecrets() {
        let credentials = Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG", sessionToken: "SESSIONTOKEN")
        for text in [credentials.description, String(reflecting: credentials), "\(credentials)"] {
            #expect(!text.contains("wJalrXUtnFEMI"))
            #expect(!text.contains("SESSIONTOKEN"))
        }
    }

    @Test func refreshingProviderRefreshesBeforeExpiryAndSharesOneFetch() async throws {
        let clock = Mutex<Date>(Date(timeIntervalSince1970: 1_000_000))
        let base = CountingProvider(lifetime: 3600, now: { clock.withLock { $0 } })
        let provider = RefreshingCredentialProvider(base, refreshMargin: 300, now: { clock.withLock { $0 } })
        async let a = provider.credentials()
        async let b = provider.credentials()
        _ = try await (a, b)
        #expect(base.fetches <= 2)
        let before = base.fetches
        _ = try await provider.credentials()
        #expect(base.fetches == before)
        clock.withLock { $0 = $0.addingTimeInterval(3600 - 299) }
        _ = try await provider.credentials()
        #expect(base.fetches == before + 1)
    }

    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func webIdentityAssumesARoleThroughSTS() async throws {
        let servers = try TestServers.require()
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokenFile = dir.appendingPathComponent("token")
        try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bWluZDpzdHJhdGEifQ.c2ln".write(to: tokenFile, atomically: true, encoding: .utf8)
        let http = HTTPClient.shared
        let provider = try CredentialChain.resolve(
            environment: ["HOME": dir.path, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile.path,
                          "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/strata",
                          "AWS_ENDPOINT_URL_STS": servers.motoEndpoint],
            region: "us-east-1", httpClient: http)
        let credentials = try await provider.credentials()
        #expect(!credentials.accessKeyID.isEmpty)
        #expect(credentials.sessionToken != nil)
        #expect(credentials.expiration != nil)
    }
}

/// A provider that counts fetches and hands out credentials expiring `lifetime` after now.
final class CountingProvider: CredentialProvider {
    let lifetime: TimeInterval
    let now: @Sendable () -> Date
    private let count = Mutex(0)
    init(lifetime: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.lifetime = lifetime
        self.now = now
    }
    var fetches: Int { count.withLock { $0 } }
    func credentials() async throws -> Credentials {
        let n = count.withLock { $0 += 1; return $0 }
        return Credentials(accessKeyID: "K\(n)", secretAccessKey: "s", sessionToken: "t", expiration: now().addingTimeInterval(lifetime))
    }
    var name: String { "counting" }
}
