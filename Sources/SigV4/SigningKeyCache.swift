import Crypto
import Foundation

/// The derived SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>.
struct SigningKey: @unchecked Sendable {
    // @unchecked: swift-crypto does not mark HMAC Sendable, but it is a copy-on-write value (its
    // digest contexts are copied before a mutation when shared), and this one is never mutated:
    // each signature works on its own copy.
    /// HMAC-SHA256 already keyed with the signing key. Keying costs two SHA-256 blocks and
    /// several allocations; copying this prepared state is far cheaper, and every signature
    /// and chunk signature starts from it.
    let mac: HMAC<SHA256>
    /// The credential scope the key belongs to, `day/region/service/aws4_request`.
    let scope: String

    init(secretAccessKey: String, day: String, region: String, service: String) {
        let secret = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        let dateKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(day.utf8), using: secret))
        let regionKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(region.utf8), using: dateKey))
        let serviceKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(service.utf8), using: regionKey))
        let signingKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array("aws4_request".utf8), using: serviceKey))
        mac = HMAC<SHA256>(key: signingKey)
        scope = "\(day)/\(region)/\(service)/aws4_request"
    }

    /// `HexEncode(HMAC-SHA256(signingKey, text))`: the signature of a string to sign.
    func signature(of text: String) -> String {
        var mac = self.mac
        var text = text
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return Hex.encode(mac.finalize())
    }
}

/// Signing keys already derived, keyed by (secret, date, region, service), so that signing many
/// requests in a day costs one HMAC instead of five.
///
/// A reference type on purpose: copies of a ``Signer`` share it.
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>.
public final class SigningKeyCache: @unchecked Sendable {
    struct Key: Hashable {
        var secretAccessKey: String
        var day: String
        var region: String
        var service: String
    }

    // @unchecked: every access to `keys` holds `lock`.
    // A handful of entries covers the normal case (one secret, today and perhaps yesterday);
    // beyond the bound the cache starts over rather than growing with rotated credentials.
    private static let capacity = 16
    private let lock = NSLock()
    private var keys: [Key: SigningKey] = [:]
    // Nearly every lookup asks for the same key as the previous one; comparing four strings
    // (usually sharing storage) is cheaper than hashing them.
    private var last: (key: Key, value: SigningKey)?

    /// An empty cache.
    public init() {}

    /// How many derived keys are held (for tests and diagnostics).
    public var count: Int {
        lock.withLock { keys.count }
    }

    func signingKey(secretAccessKey: String, day: String, region: String, service: String) -> SigningKey {
        let key = Key(secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        let cached: SigningKey? = lock.withLock {
            if let last, last.key == key { return last.value }
            guard let found = keys[key] else { return nil }
            last = (key, found)
            return found
        }
        if let cached { return cached }
        // Derived outside the lock: two threads may both derive the same key, which is harmless.
        let derived = SigningKey(secretAccessKey: secretAccessKey, day: day, region: region, service: service)
        lock.withLock {
            if keys.count >= Self.capacity { keys.removeAll(keepingCapacity: true) }
            keys[key] = derived
            last = (key, derived)
        }
        return derived
    }
}
