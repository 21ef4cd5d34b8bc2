import AsyncHTTPClient
import Foundation
import SigV4

/// Picks the credential source the way the aws cli (botocore) does, so a command behaves the
/// same under cron, a Kubernetes CronJob with IRSA, ECS or EC2.
///
/// Order: explicit credentials; the environment (`AWS_ACCESS_KEY_ID`, unless a profile was
/// named explicitly); web identity from the environment (`AWS_WEB_IDENTITY_TOKEN_FILE` +
/// `AWS_ROLE_ARN`); the profile (`--profile`, `AWS_PROFILE`, else `default`) from the shared
/// files, with static keys or `role_arn` + `web_identity_token_file`; the container endpoint;
/// EC2 instance metadata. See <https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html>.
/// Temporary credentials are wrapped in a ``RefreshingCredentialProvider``.
public enum CredentialChain {
    /// The provider that applies, decided from configuration without network calls.
    /// - Parameters:
    ///   - explicitProfile: A profile named on the command line (wins over `AWS_PROFILE`).
    public static func resolve(
        explicit: Credentials? = nil,
        explicitProfile: String? = nil,
        environment: [String: String],
        region: String,
        httpClient: HTTPClient
    ) throws -> any CredentialProvider {
        if let explicit { return StaticCredentialProvider(explicit) }
        let environmentKeys = EnvironmentCredentialProvider(environment: environment)
        if explicitProfile == nil, environmentKeys.isConfigured { return environmentKeys }

        let stsEndpoint = environment["AWS_ENDPOINT_URL_STS"]
        if let tokenFile = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], !tokenFile.isEmpty,
           let role = environment["AWS_ROLE_ARN"], !role.isEmpty {
            return RefreshingCredentialProvider(WebIdentityCredentialProvider(
                roleARN: role, tokenFile: tokenFile, sessionName: environment["AWS_ROLE_SESSION_NAME"],
                region: region, endpoint: stsEndpoint, httpClient: httpClient))
        }

        let profileName = explicitProfile ?? environment["AWS_PROFILE"] ?? "default"
        let files = try SharedConfigFiles.load(environment: environment)
        if let settings = files.settings(profile: profileName) {
            if let provider = ProfileCredentialProvider(profile: profileName, files: files) { return provider }
            if let role = settings["role_arn"], let tokenFile = settings["web_identity_token_file"] {
                return RefreshingCredentialProvider(WebIdentityCredentialProvider(
                    roleARN: role, tokenFile: tokenFile, sessionName: settings["role_session_name"],
                    region: region, endpoint: stsEndpoint, httpClient: httpClient))
            }
            if settings["role_arn"] != nil || settings["sso_session"] != nil || settings["credential_process"] != nil {
                throw CredentialError(source: "profile \(profileName)",
                                      reason: "uses role_arn with source_profile, SSO or credential_process, which Strata does not support; export the credentials or use web identity")
            }
        } else if explicitProfile != nil || environment["AWS_PROFILE"] != nil {
            throw CredentialError(source: "profile \(profileName)", reason: "no such profile in the shared credentials or config file")
        }

        if let container = try ContainerCredentialProvider(environment: environment, httpClient: httpClient) {
            return RefreshingCredentialProvider(container)
        }
        if let instance = InstanceMetadataCredentialProvider(environment: environment, httpClient: httpClient) {
            return RefreshingCredentialProvider(instance)
        }
        throw CredentialError(source: "credential chain",
                              reason: "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE), or web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)")
    }
}
