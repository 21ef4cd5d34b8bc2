import Foundation
import SigV4

/// A source of AWS credentials. Providers for temporary credentials refresh them before they
/// expire (see ``RefreshingCredentialProvider``). Secrets never appear in errors or logs.
public protocol CredentialProvider: Sendable {
    /// Credentials valid now, or a ``CredentialError``.
    func credentials() async throws -> Credentials
    /// A name for messages, e.g. `environment` or `profile default`.
    var name: String { get }
}

/// Fixed credentials given explicitly (by a test, or by code that got them elsewhere).
public struct StaticCredentialProvider: CredentialProvider {
    let value: Credentials
    /// Wraps `credentials`.
    public init(_ credentials: Credentials) { self.value = credentials }
    /// The wrapped credentials.
    public func credentials() async throws -> Credentials { value }
    /// `static`.
    public var name: String { "static" }
}

/// Why no credentials could be had: which source, and what it lacked. Never holds a secret.
public struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The provider that failed, e.g. `profile prod` or `web identity`.
    public var source: String
    /// What went wrong, e.g. `AWS_SECRET_ACCESS_KEY is not set`.
    public var reason: String
    /// Creates an error.
    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }
    /// `credentials (source): reason`.
    public var description: String { "credentials (\(source)): \(reason)" }
}

/// The access key pair (and session token) from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
/// and `AWS_SESSION_TOKEN`, as the aws cli reads them.
/// See <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html>.
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]
    /// Reads from `environment` (pass `ProcessInfo.processInfo.environment`).
    public init(environment: [String: String]) { self.environment = environment }

    /// Whether the environment names an access key at all (so the chain should use it).
    public var isConfigured: Bool { !(environment["AWS_ACCESS_KEY_ID"] ?? "").isEmpty }

    /// The credentials, or an error naming the missing variable.
    public func credentials() async throws -> Credentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty else {
            throw CredentialError(source: name, reason: "AWS_ACCESS_KEY_ID is not set")
        }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw CredentialError(source: name, reason: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    /// `environment`.
    public var name: String { "environment" }
}
