import AsyncHTTPClient
import Foundation
import NIOCore
import SigV4

/// Temporary credentials for a role, from STS `AssumeRoleWithWebIdentity` with the token in
/// `AWS_WEB_IDENTITY_TOKEN_FILE`: how pods authenticate under Kubernetes IRSA.
///
/// See <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html>.
/// The call is not signed (the token is the proof). The token file is re-read on every
/// refresh because the kubelet rotates it.
public struct WebIdentityCredentialProvider: CredentialProvider {
    /// The role to assume, e.g. `arn:aws:iam::123456789012:role/strata`.
    public var roleARN: String
    /// Path of the projected service-account token.
    public var tokenFile: String
    /// Session name recorded in CloudTrail.
    public var sessionName: String
    /// STS endpoint (`AWS_ENDPOINT_URL_STS`, else the regional one).
    public var endpoint: String
    let httpClient: HTTPClient

    /// A provider; `endpoint` defaults to `https://sts.<region>.amazonaws.com`.
    public init(roleARN: String, tokenFile: String, sessionName: String? = nil, region: String,
                endpoint: String? = nil, httpClient: HTTPClient) {
        self.roleARN = roleARN
        self.tokenFile = tokenFile
        self.sessionName = sessionName ?? "strata-\(Int(Date().timeIntervalSince1970))"
        self.endpoint = endpoint ?? "https://sts.\(region).amazonaws.com"
        self.httpClient = httpClient
    }

    /// Assumes the role; errors name the role and STS's code, never the token.
    public func credentials() async throws -> Credentials {
        guard let tokenData = FileManager.default.contents(atPath: tokenFile) else {
            throw CredentialError(source: name, reason: "cannot read the token file \(tokenFile)")
        }
        let token = String(decoding: tokenData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let form = URIEncoding.query([
            ("Action", "AssumeRoleWithWebIdentity"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName), ("Version", "2011-06-15"), ("WebIdentityToken", token),
        ])
        var request = HTTPClientRequest(url: endpoint.hasSuffix("/") ? endpoint : endpoint + "/")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: form))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: .seconds(30))
            body = try await response.body.collect(upTo: 1024 * 1024)
        } catch {
            throw CredentialError(source: name, reason: "STS at \(endpoint) did not answer: \(error)")
        }
        let xml = try? XMLNode.parse(Data(body.readableBytesView))
        guard response.status.code == 200 else {
            let code = xml?.child("Error")?.string("Code") ?? "HTTP \(response.status.code)"
            let message = xml?.child("Error")?.string("Message") ?? ""
            throw CredentialError(source: name, reason: "AssumeRoleWithWebIdentity for \(roleARN) failed: \(code) \(message)")
        }
        guard let credentials = xml?.child("AssumeRoleWithWebIdentityResult")?.child("Credentials"),
              let id = credentials.string("AccessKeyId"), let secret = credentials.string("SecretAccessKey"),
              let session = credentials.string("SessionToken"),
              let expiration = credentials.string("Expiration").flatMap(HTTPDate.parseISO8601)
        else {
            throw CredentialError(source: name, reason: "STS answer for \(roleARN) lacks credentials")
        }
        return Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: session, expiration: expiration)
    }

    /// `web identity (role ARN)`.
    public var name: String { "web identity \(roleARN)" }
}
