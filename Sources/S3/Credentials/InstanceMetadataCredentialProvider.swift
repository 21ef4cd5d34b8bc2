import AsyncHTTPClient
import Foundation
import NIOCore
import SigV4

/// Temporary credentials of an EC2 instance's role from the instance metadata service, with
/// IMDSv2 session tokens. See <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html>.
///
/// Disabled by `AWS_EC2_METADATA_DISABLED=true`; `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    let endpoint: String
    let httpClient: HTTPClient
    /// Per request: `AWS_METADATA_SERVICE_TIMEOUT` seconds (as the aws cli reads it), else 2 s.
    let timeout: TimeAmount

    /// The provider, or `nil` when the environment disables instance metadata.
    public init?(environment: [String: String], httpClient: HTTPClient) {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        var endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.timeout = MetadataTimeout.from(environment, default: .seconds(2))
    }

    /// Token, role name, then the role's credentials document.
    public func credentials() async throws -> Credentials {
        let token = try await text(tokenRequest())
        guard let role = try await text(roleRequest(token: token)).split(whereSeparator: \.isNewline).first.map(String.init) else {
            throw CredentialError(source: name, reason: "the instance has no IAM role")
        }
        return try await CredentialDocument.fetch(credentialsRequest(role: role, token: token), httpClient: httpClient,
                                                  source: name, timeout: timeout)
    }

    /// IMDSv2: `PUT /latest/api/token` for a session token (6 hours).
    func tokenRequest() -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint + "/latest/api/token")
        request.method = .PUT
        request.headers.add(name: "x-aws-ec2-metadata-token-ttl-seconds", value: "21600")
        return request
    }

    /// The instance's role name, with the session token.
    func roleRequest(token: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint + "/latest/meta-data/iam/security-credentials/")
        request.headers.add(name: "x-aws-ec2-metadata-token", value: token)
        return request
    }

    /// The role's credentials document, with the session token.
    func credentialsRequest(role: String, token: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint + "/latest/meta-data/iam/security-credentials/" + role)
        request.headers.add(name: "x-aws-ec2-metadata-token", value: token)
        return request
    }

    private func text(_ request: HTTPClientRequest) async throws -> String {
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 * 1024)
            guard response.status.code == 200 else {
                throw CredentialError(source: name, reason: "instance metadata answered HTTP \(response.status.code)")
            }
            return String(buffer: body)
        } catch let error as CredentialError {
            throw error
        } catch {
            throw CredentialError(source: name, reason: "instance metadata at \(endpoint) did not answer: \(error)")
        }
    }

    /// `instance metadata`.
    public var name: String { "instance metadata" }
}
