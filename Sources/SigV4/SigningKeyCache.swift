import Crypto
import Foundation
import Synchronization

/// Signing keys already derived, keyed by (secret, date, region, service), so that signing many
/// requests in a day costs one HMAC instead of five.
///
/// A reference type on purpose: copies of a ``Signer`` share it.
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>.
public final class SigningKeyCache: Sendable {
    struct Key: Hashable {
        var secretAccessKey: String
        var day: String
        var region: String
        var service: String
    }

    private struct State {
        var keys: [Key: SigningKey] = [:]
        // Nearly every lookup asks for the same key as the previous one; comparing four strings
        // (usually sharing storage) is cheaper than hashing them.
        var last: (key: Key, value: SigningKey)?
    }

    // A handful of entries covers the normal case (one secret, today and perhaps yesterday);
    // beyond the bound the cache starts over rather than growing with rotated credentials.
    private static let capacity = 16
    private let state = Mutex(State())

    /// An empty cache.
    public init() {}

    /// How many derived keys are held (for tests and diagnostics).
    public var count: Int {
        state.withLock { $0.keys.count }
    }

    func signingKey(secretAccessKey: String, day: String, region: String, service: String) -> SigningKey {
        let key = Key(secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        let cached: SigningKey? = state.withLock { state in
            if let last = state.last, last.key == key { return last.value }
            guard let found = state.keys[key] else { return nil }
            state.last = (key, found)
            return found
        }
        if let cached { return cached }
        // Derived outside the lock: two threads may both derive the same key, which is harmless.
        let derived = SigningKey(secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        state.withLock { state in
            if state.keys.count >= Self.capacity { state.keys.removeAll(keepingCapacity: true) }
            state.keys[key] = derived
            state.last = (key, derived)
        }
        return derived
    }
}
