import Foundation
import SigV4

/// Static keys from a profile of the shared files (`aws_access_key_id`,
/// `aws_secret_access_key`, `aws_session_token`).
public struct ProfileCredentialProvider: CredentialProvider {
    let profile: String
    let settings: [String: String]

    /// The provider for `profile`, or `nil` when the files have no such profile or it holds no keys.
    public init?(profile: String, files: SharedConfigFiles) {
        guard let settings = files.settings(profile: profile), settings["aws_access_key_id"] != nil else { return nil }
        self.profile = profile
        self.settings = settings
    }

    /// The profile's keys, or an error naming what the profile lacks.
    public func credentials() async throws -> Credentials {
        guard let id = settings["aws_access_key_id"], !id.isEmpty else {
            throw CredentialError(source: name, reason: "aws_access_key_id is empty")
        }
        guard let secret = settings["aws_secret_access_key"], !secret.isEmpty else {
            throw CredentialError(source: name, reason: "aws_secret_access_key is missing")
        }
        return Credentials(accessKeyID: id, secretAccessKey: secret,
                           sessionToken: settings["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// `profile NAME`.
    public var name: String { "profile \(profile)" }
}
