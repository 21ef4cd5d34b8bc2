import AsyncHTTPClient
import Foundation
import NIOHTTP1
@testable import S3
import SigV4
import StrataTestSupport
import Synchronization
import Testing

/// Container (ECS task role, EKS Pod Identity) and EC2 instance metadata credentials, fetched
/// over real HTTP from moto's instance-metadata service.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct MetadataCredentialTests {
    /// What moto's metadata service hands out for its default role.
    static func expectMotoCredentials(_ credentials: Credentials) {
        #expect(credentials.accessKeyID == "test-key")
        #expect(credentials.secretAccessKey == "test-secret-key")
        #expect(credentials.sessionToken == "test-session-token")
        #expect(credentials.expiration.map { $0 > Date() } == true)
    }

    /// An empty HOME, so no shared credentials file is found before the metadata sources.
    static func emptyHome() throws -> String {
        try CredentialTests.temporaryDirectory().path
    }

    // These talk to moto directly, not through the recording FaultProxy: the proxy runs on the
    // cooperative pool, which the suite's process-running tests can occupy for longer than any
    // sensible deadline on 2 cores (CI saw 30 s pass). The headers sent are checked in
    // MetadataRequestTests without a server.
    @Test func instanceMetadataCredentialsComeFromTheMetadataService() async throws {
        let servers = try TestServers.require()
        let provider = try CredentialChain.resolve(
            environment: ["HOME": try Self.emptyHome(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": servers.motoEndpoint + "/",
                          "AWS_METADATA_SERVICE_TIMEOUT": "30"],
            region: "us-east-1", httpClient: HTTPClient.shared)
        #expect(provider.name.contains("instance metadata"))
        Self.expectMotoCredentials(try await provider.credentials())
    }

    @Test func containerCredentialsComeFirstAndFromTheirEndpoint() async throws {
        let servers = try TestServers.require()
        let tokenFile = try Self.emptyHome() + "/token"
        try "pod-identity-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let provider = try CredentialChain.resolve(
            environment: ["HOME": try Self.emptyHome(),
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI": servers.motoEndpoint + "/latest/meta-data/iam/security-credentials/default-role",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                          "AWS_METADATA_SERVICE_TIMEOUT": "30",
                          // The container source comes first in the chain: the instance one is never asked.
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"],
            region: "us-east-1", httpClient: HTTPClient.shared)
        #expect(provider.name.contains("container endpoint"))
        Self.expectMotoCredentials(try await provider.credentials())
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

/// The requests the metadata providers send, checked without a server.
struct MetadataRequestTests {
    @Test func instanceMetadataUsesAnIMDSv2SessionToken() throws {
        let provider = try #require(InstanceMetadataCredentialProvider(
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1338/"], httpClient: HTTPClient.shared))
        let token = provider.tokenRequest()
        #expect(token.method == .PUT)
        #expect(token.url == "http://127.0.0.1:1338/latest/api/token")
        #expect(token.headers["x-aws-ec2-metadata-token-ttl-seconds"] == ["21600"])
        let role = provider.roleRequest(token: "T")
        #expect(role.method == .GET)
        #expect(role.url == "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/")
        #expect(role.headers["x-aws-ec2-metadata-token"] == ["T"])
        let document = provider.credentialsRequest(role: "strata", token: "T")
        #expect(document.url == "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/strata")
        #expect(document.headers["x-aws-ec2-metadata-token"] == ["T"])
        #expect(InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_DISABLED": "true"],
                                                   httpClient: HTTPClient.shared) == nil)
    }

    @Test func containerRequestCarriesTheTokenFromItsFileOrVariable() throws {
        let tokenFile = try CredentialTests.temporaryDirectory().path + "/token"
        try "pod-identity-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let fromFile = try #require(try ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile], httpClient: HTTPClient.shared))
        #expect(try fromFile.request().headers["authorization"] == ["pod-identity-token"])
        let relative = try #require(try ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "T"], httpClient: HTTPClient.shared))
        #expect(try relative.request().url == "http://169.254.170.2/v2/credentials/abc")
        #expect(try relative.request().headers["authorization"] == ["T"])
        #expect(try ContainerCredentialProvider(environment: [:], httpClient: HTTPClient.shared) == nil)
    }
}
