import AsyncHTTPClient
import Foundation
import Logging
import Retention
import S3
import SigV4

/// Everything one command needs to work on a bucket: the client, the bucket, the policies,
/// a logger and the clock. Made by ``with(settings:environment:logger:loadPolicies:_:)``, which
/// owns the HTTP client's lifetime.
public struct StrataContext: Sendable {
    /// The S3 client.
    public let client: S3Client
    /// The bucket.
    public let bucket: String
    /// The policies in force (empty when the command does not need them).
    public let policies: PolicySet?
    /// The logger.
    public let logger: Logger
    /// The clock.
    public let now: @Sendable () -> Date
    /// How much of each document kind is read into memory.
    public var readLimits: ReadLimits
    /// The process environment, where a policy's `cipher_pass: {env: NAME}` is looked up.
    public var environment: [String: String]

    /// Creates a context from parts (tests, embedding).
    public init(client: S3Client, bucket: String, policies: PolicySet?, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }, readLimits: ReadLimits = ReadLimits(),
                environment: [String: String] = [:]) {
        self.client = client
        self.bucket = bucket
        self.policies = policies
        self.logger = logger
        self.now = now
        self.readLimits = readLimits
        self.environment = environment
    }

    /// The policies, or a configuration error when the command was set up without them.
    public func requirePolicies() throws -> PolicySet {
        guard let policies else { throw StrataError(.configuration, "no policies loaded") }
        return policies
    }

    /// Resolves credentials and the endpoint, makes a client, runs `body`, shuts the client down.
    public static func with<Result: Sendable>(
        settings: StrataSettings, environment: [String: String], logger: Logger, loadPolicies: Bool = true,
        transfer: TransferConfiguration = TransferConfiguration(),
        _ body: (StrataContext) async throws -> Result
    ) async throws -> Result {
        let bucket = try settings.requireBucket()
        let policies = loadPolicies ? try PolicyDirectory.load(settings.policiesDirectory) : nil
        let endpoint: S3Endpoint?
        do {
            endpoint = try settings.endpointURL.map { url throws(S3ConfigurationError) in try S3Endpoint(url: url) }
        } catch {
            throw StrataError(.configuration, error.description)
        }
        let configuration = S3Configuration(region: settings.region, endpoint: endpoint,
                                            allowInsecureHTTP: settings.allowInsecureHTTP, transfer: transfer,
                                            insecureSkipTLSVerify: settings.insecureSkipTLSVerify)
        do { try configuration.validate() } catch {
            throw StrataError(.configuration, error.description)
        }
        let http = S3Client.makeHTTPClient(configuration: configuration)
        // Skipping verification is for the S3 endpoint the operator named; STS and the metadata
        // endpoints that hand out credentials keep verifying, on a client of their own.
        var verifying = configuration
        verifying.insecureSkipTLSVerify = false
        let credentialHTTP = configuration.insecureSkipTLSVerify ? S3Client.makeHTTPClient(configuration: verifying) : http
        func shutdown() async throws {
            try await http.shutdown()
            if credentialHTTP !== http { try await credentialHTTP.shutdown() }
        }
        do {
            let credentials: any CredentialProvider
            do {
                credentials = try CredentialChain.resolve(explicitProfile: settings.profile, environment: environment,
                                                          region: settings.region, httpClient: credentialHTTP)
            } catch let error as CredentialError {
                throw StrataError(.configuration, error.description)
            }
            let client = try S3Client(configuration: configuration, credentials: credentials, httpClient: http, logger: logger)
            let context = StrataContext(client: client, bucket: bucket, policies: policies, logger: logger,
                                        environment: environment)
            let result = try await body(context)
            try await shutdown()
            return result
        } catch {
            try? await shutdown()
            throw error
        }
    }
}
