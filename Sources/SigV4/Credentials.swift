import Foundation

/// AWS credentials used to sign requests: an access key pair, optionally with a session token
/// from STS and the time the temporary credentials stop working.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html>.
public struct Credentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key ID, e.g. `AKIAIOSFODNN7EXAMPLE`. Not secret: it appears in every request.
    public var accessKeyID: String
    /// The secret access key. Never sent, never printed.
    public var secretAccessKey: String
    /// The session token of temporary credentials, sent as `X-Amz-Security-Token`.
    public var sessionToken: String?
    /// When temporary credentials expire, if known.
    public var expiration: Date?

    /// Creates credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Whether the credentials have expired at `date` (never, when no expiration is known).
    public func isExpired(at date: Date) -> Bool {
        guard let expiration else { return false }
        return expiration <= date
    }

    /// The session token to send, treating an empty one (which some credential sources write
    /// for long-term keys) as none.
    var effectiveSessionToken: String? {
        guard let sessionToken, !sessionToken.isEmpty else { return nil }
        return sessionToken
    }

    /// The access key ID and whether a secret and token are present; the secret and token
    /// themselves are redacted so credentials can be logged safely.
    public var description: String {
        var text = "Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>"
        if sessionToken != nil { text += ", sessionToken: <redacted>" }
        if let expiration { text += ", expiration: \(expiration)" }
        return text + ")"
    }

    /// Same as ``description``: debug output must not leak the secret either.
    public var debugDescription: String { description }
}
