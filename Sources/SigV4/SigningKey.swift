import Crypto

/// The derived SigV4 signing key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
/// held ready to sign: every signature and chunk signature is an HMAC-SHA256 with it.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>.
struct SigningKey: @unchecked Sendable {
    // @unchecked: swift-crypto does not mark SHA256 Sendable, but it is a copy-on-write value
    // (its context is copied before a mutation when shared), and these are never mutated: each
    // signature works on its own copies.

    /// HMAC-SHA256 (RFC 2104) as two SHA-256 states, the inner one having absorbed the key
    /// XOR `0x36` and the outer one the key XOR `0x5c`: `HMAC(k, m) = SHA256(outer || SHA256(inner || m))`.
    /// Keying costs two SHA-256 blocks; copying these prepared states is far cheaper. (Feeding
    /// the hashers directly also avoids swift-crypto's generic `HMAC.update(data:)`, which costs
    /// more than the hashing itself for a string to sign.)
    private let inner: SHA256
    private let outer: SHA256
    /// The credential scope the key belongs to, `day/region/service/aws4_request`.
    let scope: String

    init(secretAccessKey: String, day: String, region: String, service: String) {
        let secret = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        let dateKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(day.utf8), using: secret))
        let regionKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(region.utf8), using: dateKey))
        let serviceKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(service.utf8), using: regionKey))
        let signingKey = HMAC<SHA256>.authenticationCode(for: Array("aws4_request".utf8), using: serviceKey)
        // The 32-byte key, zero-padded to SHA-256's 64-byte block.
        var block = [UInt8](repeating: 0, count: SHA256.blockByteCount)
        signingKey.withUnsafeBytes { key in
            for index in key.indices { block[index] = key[index] }
        }
        var inner = SHA256()
        inner.update(data: block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(data: block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
        scope = "\(day)/\(region)/\(service)/aws4_request"
    }

    /// `HMAC-SHA256(signingKey, message)`, where `message` feeds the message (in as many parts as
    /// it likes) to the hasher it is given.
    func authenticationCode(_ message: (inout SHA256) -> Void) -> SHA256.Digest {
        var innerHash = inner
        message(&innerHash)
        var outerHash = outer
        innerHash.finalize().withUnsafeBytes { outerHash.update(bufferPointer: $0) }
        return outerHash.finalize()
    }

    /// `HexEncode(HMAC-SHA256(signingKey, stringToSign))`: the signature of a string to sign.
    func signature(of stringToSign: UnsafeRawBufferPointer) -> String {
        Hex.encode(authenticationCode { $0.update(bufferPointer: stringToSign) })
    }

    /// The signature of a string to sign given as text.
    func signature(of stringToSign: String) -> String {
        stringToSign.withUTF8Bytes { signature(of: UnsafeRawBufferPointer($0)) }
    }
}
