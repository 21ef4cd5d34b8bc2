import AsyncHTTPClient
import Foundation
import NIOCore
import SigV4

/// Temporary credentials from a container credentials endpoint: ECS task roles
/// (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`) or a full URI with an authorization token
/// (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`; EKS Pod Identity).
///
/// See <https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html>.
public struct ContainerCredentialProvider: CredentialProvider {
    let url: String
    let authorization: Authorization?
    let httpClient: HTTPClient
    /// Per request: `AWS_METADATA_SERVICE_TIMEOUT` seconds (as the aws cli reads it), else 5 s.
    let timeout: TimeAmount

    enum Authorization: Sendable {
        case token(String)
        case file(String)
    }

    /// The provider the environment configures, or `nil` when it configures none. A full URI over
    /// plain http must point at loopback or the ECS/EKS link-local hosts, as in the AWS SDKs, so the
    /// authorization token never crosses a network in clear text.
    public init?(environment: [String: String], httpClient: HTTPClient) throws {
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = "http://169.254.170.2" + relative
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            guard Self.mayFetch(from: full) else {
                throw CredentialError(source: "container endpoint",
                                      reason: "AWS_CONTAINER_CREDENTIALS_FULL_URI \(full) must use https, or http to loopback, 169.254.170.2 or 169.254.170.23")
            }
            url = full
        } else {
            return nil
        }
        if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !file.isEmpty {
            authorization = .file(file)
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            authorization = .token(token)
        } else {
            authorization = nil
        }
        self.httpClient = httpClient
        self.timeout = MetadataTimeout.from(environment, default: .seconds(5))
    }

    /// Fetches the credentials document.
    public func credentials() async throws -> Credentials {
        try await CredentialDocument.fetch(try request(), httpClient: httpClient, source: name, timeout: timeout)
    }

    /// The GET of the credentials document, with the authorization token when one is configured
    /// (read from its file on every fetch: EKS rotates it).
    func request() throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        switch authorization {
        case .token(let token): request.headers.add(name: "authorization", value: token)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CredentialError(source: name, reason: "cannot read the authorization token file \(path)")
            }
            request.headers.add(name: "authorization",
                                value: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        case nil: break
        }
        return request
    }

    /// Hosts plain http may reach: loopback and the ECS (169.254.170.2) and EKS Pod Identity
    /// (169.254.170.23, fd00:ec2::23) agents.
    static func mayFetch(from uri: String) -> Bool {
        guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), var host = url.host?.lowercased() else {
            return false
        }
        if scheme == "https" { return true }
        guard scheme == "http" else { return false }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if ["localhost", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23"].contains(host) { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        return octets.count == 4 && octets[0] == 127
    }

    /// `container endpoint`.
    public var name: String { "container endpoint" }
}

/// The JSON credentials document served by container and instance metadata endpoints:
/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
enum CredentialDocument {
    struct Body: Decodable {
        var AccessKeyId: String
        var SecretAccessKey: String
        var Token: String?
        var Expiration: String?
    }

    static func fetch(_ request: HTTPClientRequest, httpClient: HTTPClient, source: String,
                      timeout: TimeAmount) async throws -> Credentials {
        let response: HTTPClientResponse
        let body: Data
        do {
            response = try await httpClient.execute(request, timeout: timeout)
            body = Data(try await response.body.collect(upTo: 1024 * 1024).readableBytesView)
        } catch {
            throw CredentialError(source: source, reason: "no answer from the credentials endpoint: \(error)")
        }
        guard response.status.code == 200 else {
            throw CredentialError(source: source, reason: "credentials endpoint answered HTTP \(response.status.code)")
        }
        guard let document = try? JSONDecoder().decode(Body.self, from: body) else {
            throw CredentialError(source: source, reason: "credentials endpoint sent no credentials document")
        }
        return Credentials(accessKeyID: document.AccessKeyId, secretAccessKey: document.SecretAccessKey,
                           sessionToken: document.Token,
                           expiration: document.Expiration.flatMap(HTTPDate.parseISO8601))
    }
}
