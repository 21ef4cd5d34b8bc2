import AsyncHTTPClient
import Foundation
import NIOHTTP1
@testable import S3
import SigV4
import StrataTestSupport
import Synchronization
import Testing

/// Container (ECS task role, EKS Pod Identity) and EC2 instance metadata credentials, fetched
/// over real HTTP from moto's instance-metadata service, with a recording proxy in front to see
/// the headers the providers send.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct MetadataCredentialTests {
    /// What moto's metadata service hands out for its default role.
    static func expectMotoCredentials(_ credentials: Credentials) {
        #expect(credentials.accessKeyID == "test-key")
        #expect(credentials.secretAccessKey == "test-secret-key")
        #expect(credentials.sessionToken == "test-session-token")
        #expect(credentials.expiration.map { $0 > Date() } == true)
    }

    /// Runs `body` with a proxy to moto that records every request head it forwards.
    static func recording(_ body: (String, @Sendable () -> [HTTPRequestHead]) async throws -> Void) async throws {
        let servers = try TestServers.require()
        let seen = Mutex<[HTTPRequestHead]>([])
        try await FaultProxy.with(upstream: servers.motoEndpoint, chooser: { head in
            seen.withLock { $0.append(head) }
            return .forward
        }) { _, url in
            try await body(url, { seen.withLock { $0 } })
        }
    }

    /// An empty HOME, so no shared credentials file is found before the metadata sources.
    static func emptyHome() throws -> String {
        try CredentialTests.temporaryDirectory().path
    }

    @Test func instanceMetadataUsesAnIMDSv2Token() async throws {
        try await Self.recording { url, seen in
            let provider = try CredentialChain.resolve(
                environment: ["HOME": try Self.emptyHome(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": url + "/",
                              // The 2 s default is for a real instance; a loaded CI machine needs longer.
                              "AWS_METADATA_SERVICE_TIMEOUT": "30"],
                region: "us-east-1", httpClient: HTTPClient.shared)
            Self.expectMotoCredentials(try await provider.credentials())
            let heads = seen()
            // IMDSv2: a PUT for a session token first, then every GET carries that token.
            #expect(heads.first?.method == .PUT)
            #expect(heads.first?.uri == "/latest/api/token")
            #expect(heads.first?.headers["x-aws-ec2-metadata-token-ttl-seconds"].first == "21600")
            let gets = heads.filter { $0.method == .GET }
            #expect(gets.map(\.uri) == ["/latest/meta-data/iam/security-credentials/",
                                        "/latest/meta-data/iam/security-credentials/default-role"])
            #expect(gets.allSatisfy { $0.headers["x-aws-ec2-metadata-token"].first == "fake-imdsv2-token" })
        }
    }

    @Test func containerEndpointSendsItsAuthorizationToken() async throws {
        try await Self.recording { url, seen in
            let tokenFile = try Self.emptyHome() + "/token"
            try "pod-identity-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
            let provider = try CredentialChain.resolve(
                environment: ["HOME": try Self.emptyHome(),
                              "AWS_CONTAINER_CREDENTIALS_FULL_URI": url + "/latest/meta-data/iam/security-credentials/default-role",
                              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                              "AWS_METADATA_SERVICE_TIMEOUT": "30",
                              // The container source comes first in the chain: the instance one is never asked.
                              "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
                region: "us-east-1", httpClient: HTTPClient.shared)
            Self.expectMotoCredentials(try await provider.credentials())
            #expect(seen().map { $0.headers["authorization"].first } == ["pod-identity-token"])
        }
    }

    /// Plain http may only reach the link-local container hosts or loopback, as in the AWS SDKs:
    /// the authorization token must not travel in clear text anywhere else.
    @Test(arguments: [("http://metadata.example.com/creds", false), ("http://10.0.0.7/creds", false),
                      ("http://127.0.0.1:8080/creds", true), ("http://169.254.170.23/v1/credentials", true),
                      ("http://169.254.170.2/creds", true), ("https://metadata.example.com/creds", true),
                      ("http://[::1]:8080/creds", true), ("http://localhost/creds", true)])
    func containerFullURIMustBeLocalUnlessHTTPS(uri: String, allowed: Bool) throws {
        let environment = ["HOME": try Self.emptyHome(), "AWS_CONTAINER_CREDENTIALS_FULL_URI": uri]
        if allowed {
            _ = try CredentialChain.resolve(environment: environment, region: "us-east-1", httpClient: HTTPClient.shared)
        } else {
            let error = #expect(throws: CredentialError.self) {
                _ = try CredentialChain.resolve(environment: environment, region: "us-east-1", httpClient: HTTPClient.shared)
            }
            #expect("\(error.map { "\($0)" } ?? "")".contains(uri))
        }
    }

    @Test(arguments: [(nil, 2000), ("30", 30_000), ("0.5", 500), ("0", 2000), ("soon", 2000), ("-1", 2000)])
    func metadataTimeoutFollowsTheAwsCliVariable(value: String?, milliseconds: Int64) {
        let environment = value.map { ["AWS_METADATA_SERVICE_TIMEOUT": $0] } ?? [:]
        #expect(MetadataTimeout.from(environment, default: .seconds(2)) == .milliseconds(milliseconds))
    }

    @Test func anUnreachableMetadataServiceIsNamed() async throws {
        let provider = try CredentialChain.resolve(
            environment: ["HOME": try Self.emptyHome(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
            region: "us-east-1", httpClient: HTTPClient.shared)
        let error = await #expect(throws: CredentialError.self) { _ = try await provider.credentials() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("instance metadata at http://127.0.0.1:9"))
    }
}
