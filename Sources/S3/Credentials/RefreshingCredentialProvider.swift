import Foundation
import SigV4
import Synchronization

/// Caches another provider's temporary credentials and fetches new ones shortly before they
/// expire, so long transfers and sweeps never sign with expired keys. Concurrent callers
/// share one refresh.
public final class RefreshingCredentialProvider: CredentialProvider {
    private let base: any CredentialProvider
    private let refreshMargin: TimeInterval
    private let now: @Sendable () -> Date
    private let state = Mutex<State>(State())

    private struct State {
        var cached: Credentials?
        var refresh: Task<Credentials, any Error>?
    }

    /// Wraps `base`; credentials are refreshed `refreshMargin` seconds before their expiry.
    public init(_ base: any CredentialProvider, refreshMargin: TimeInterval = 300,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        self.refreshMargin = refreshMargin
        self.now = now
    }

    /// The cached credentials while fresh, else new ones from the wrapped provider.
    public func credentials() async throws -> Credentials {
        let moment = now()
        let task: Task<Credentials, any Error> = state.withLock { state in
            if let cached = state.cached, !Self.needsRefresh(cached, at: moment, margin: refreshMargin) {
                return Task { cached }
            }
            if let running = state.refresh { return running }
            let base = self.base
            // A refresh runs unstructured on purpose: it outlives the caller that started it and
            // is shared with every concurrent caller; it holds no resources beyond one request.
            let running = Task { try await base.credentials() }
            state.refresh = running
            return running
        }
        do {
            let fresh = try await task.value
            state.withLock { state in
                state.cached = fresh
                state.refresh = nil
            }
            return fresh
        } catch {
            state.withLock { $0.refresh = nil }
            throw error
        }
    }

    /// The wrapped provider's name.
    public var name: String { base.name }

    static func needsRefresh(_ credentials: Credentials, at date: Date, margin: TimeInterval) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.timeIntervalSince(date) <= margin
    }
}
