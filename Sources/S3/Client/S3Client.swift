import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SigV4
import Synchronization

/// An S3 client: signs each request with SigV4, sends it over one shared connection pool,
/// retries what may be retried, and turns answers into typed values or ``S3Error``s.
///
/// Operations live in extensions (`S3Client+Objects.swift`, `+List`, `+Multipart`, ...).
/// The `HTTPClient` belongs to the caller (one per process, shared); ``withClient(configuration:credentials:logger:_:)``
/// makes and shuts one down around a block.
public struct S3Client: Sendable {
    /// Endpoint, region and behaviour.
    public let configuration: S3Configuration
    let httpClient: HTTPClient
    let credentials: any CredentialProvider
    let logger: Logger
    /// Wall clock; tests pass a fixed or skewed one.
    let now: @Sendable () -> Date
    /// Offset added to `now()` after the server said our clock is off (`RequestTimeTooSkewed`).
    let clockCorrection: ClockCorrection
    /// Counts retries, for the soak tool and metrics.
    public let statistics: S3Statistics
    /// Derived SigV4 keys, reused for every request signed on the same day.
    let signingKeys: SigningKeyCache
    /// Uploads created by a retried `CreateMultipartUpload`, whose first attempt may land late.
    let lostCreates: LostCreateRegistry

    /// A client on an existing `HTTPClient`.
    public init(
        configuration: S3Configuration,
        credentials: any CredentialProvider,
        httpClient: HTTPClient,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws(S3ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.credentials = credentials
        self.httpClient = httpClient
        self.logger = logger
        self.now = now
        self.clockCorrection = ClockCorrection()
        self.statistics = S3Statistics()
        self.signingKeys = SigningKeyCache()
        self.lostCreates = LostCreateRegistry()
    }

    /// An `HTTPClient` set up for S3 under `configuration`: no redirects followed (S3's 301 is
    /// an error to report), pool sized for the transfer concurrency, timeouts applied.
    public static func makeHTTPClient(configuration: S3Configuration) -> HTTPClient {
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            // The write timeout bounds a body whose producer stops (a stuck file read); a server
            // that stops taking the body is the SendWatchdog's to notice.
            timeout: .init(connect: TimeAmount(configuration.connectTimeout),
                           read: TimeAmount(configuration.readTimeout),
                           write: TimeAmount(configuration.readTimeout)),
            connectionPool: .init(idleTimeout: .seconds(30),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnectionsPerHost),
            decompression: .disabled)
        http.httpVersion = .http1Only
        if configuration.insecureSkipTLSVerify {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            http.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: http)
    }

    /// Runs `body` with a client that owns its own `HTTPClient`, shut down afterwards.
    public static func withClient<Result: Sendable>(
        configuration: S3Configuration,
        credentials: any CredentialProvider,
        logger: Logger,
        _ body: (S3Client) async throws -> Result
    ) async throws -> Result {
        let http = makeHTTPClient(configuration: configuration)
        let result: Result
        do {
            let client = try S3Client(configuration: configuration, credentials: credentials,
                                      httpClient: http, logger: logger)
            result = try await body(client)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        return result
    }
}

/// A clock offset learned from the server, shared by copies of one client.
final class ClockCorrection: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var seconds: TimeInterval { offset.withLock { $0 } }
    func set(_ value: TimeInterval) { offset.withLock { $0 = value } }
}

/// Counters of one client's traffic (shared by its copies).
public final class S3Statistics: Sendable {
    private let state = Mutex<(requests: Int, retries: Int, byOperation: [String: Int])>((0, 0, [:]))
    /// Attempts sent, retries included.
    public var requests: Int { state.withLock { $0.requests } }
    /// Attempts that were retries.
    public var retries: Int { state.withLock { $0.retries } }
    /// Attempts sent per S3 API name (`GetObjectTagging`), retries included: what a command
    /// costs in requests, for benchmarks and for tests that pin how many requests a sweep makes.
    public var requestsByOperation: [String: Int] { state.withLock { $0.byOperation } }
    func countAttempt(operation: String, isRetry: Bool) {
        state.withLock {
            $0.requests += 1
            $0.byOperation[operation, default: 0] += 1
            if isRetry { $0.retries += 1 }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
