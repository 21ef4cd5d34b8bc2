import Crypto
import _CryptoExtras
import Foundation

/// Decrypts what pgBackRest encrypts with `repo1-cipher-type=aes-256-cbc`.
///
/// pgBackRest writes OpenSSL `enc`'s salted format (pgBackRest `src/common/crypto/cipherBlock.c`):
/// 1. the magic `Salted__` and an 8-byte random salt;
/// 2. key (32 bytes) and IV (16 bytes) from `EVP_BytesToKey` with SHA-1 and one round over the
///    passphrase and the salt;
/// 3. AES-256-CBC with PKCS#7 padding.
///
/// `backup.info` and `archive.info` are encrypted with the repository passphrase; each names, in its
/// `[cipher]` section, the passphrase of the files that depend on it: `backup.info`'s encrypts the
/// manifests, `archive.info`'s the WAL. See https://pgbackrest.org/user-guide.html#quickstart/configure-encryption
/// and https://docs.openssl.org/3.0/man3/EVP_BytesToKey/.
public struct PgBackRestCipher: Sendable {
    /// The passphrase this cipher decrypts with.
    let passphrase: CipherPassphrase

    /// Creates a cipher for `passphrase`.
    public init(passphrase: CipherPassphrase) { self.passphrase = passphrase }

    static let magic = Array("Salted__".utf8)
    static let saltSize = 8
    static let headerSize = magic.count + saltSize
    static let blockSize = 16

    /// Whether `body` starts with the salted header, as every file pgBackRest encrypts does.
    public static func isEncrypted(_ body: some Sequence<UInt8>) -> Bool { body.starts(with: magic) }

    /// The plaintext of `body`, the object at `key` (named in errors).
    /// - Throws: `PgBackRestCipherError` when `body` is not a whole encrypted file, or when the
    ///   passphrase does not decrypt it (the padding or the document that comes out is wrong).
    public func decrypt(_ body: [UInt8], key: String) throws(PgBackRestCipherError) -> Data {
        // Step 1: the header.
        guard Self.isEncrypted(body) else { throw PgBackRestCipherError(.notEncrypted, key: key) }
        let ciphertext = body.dropFirst(Self.headerSize)
        guard !ciphertext.isEmpty, ciphertext.count % Self.blockSize == 0 else {
            throw PgBackRestCipherError(.truncated, key: key)
        }
        let salt = body.dropFirst(Self.magic.count).prefix(Self.saltSize)
        // Step 2: key and IV.
        let (symmetricKey, iv) = Self.bytesToKey(passphrase: passphrase.bytes, salt: Array(salt))
        // Step 3: AES-256-CBC. A wrong passphrase almost always leaves a padding that is not PKCS#7.
        do {
            return try AES._CBC.decrypt(ciphertext, using: symmetricKey, iv: iv)
        } catch {
            throw PgBackRestCipherError(.wrongPassphrase, key: key)
        }
    }

    /// OpenSSL's `EVP_BytesToKey(EVP_aes_256_cbc(), EVP_sha1(), salt, pass, 1)`: D1 = SHA1(pass ‖
    /// salt), Di = SHA1(Di-1 ‖ pass ‖ salt), concatenated; the first 32 bytes are the key, the
    /// next 16 the IV.
    static func bytesToKey(passphrase: [UInt8], salt: [UInt8]) -> (SymmetricKey, AES._CBC.IV) {
        var derived: [UInt8] = []
        var previous: [UInt8] = []
        while derived.count < 48 {
            var hash = Insecure.SHA1()
            hash.update(data: previous)
            hash.update(data: passphrase)
            hash.update(data: salt)
            previous = Array(hash.finalize())
            derived += previous
        }
        // 16 bytes always make an IV.
        let iv = try! AES._CBC.IV(ivBytes: derived[32..<48])
        return (SymmetricKey(data: derived[0..<32]), iv)
    }
}

/// Why an encrypted pgBackRest file could not be decrypted, naming its key.
public struct PgBackRestCipherError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// The body does not start with `Salted__`.
        case notEncrypted
        /// The body ends inside a cipher block, or has none.
        case truncated
        /// The passphrase does not decrypt it.
        case wrongPassphrase
    }

    /// What went wrong.
    public let kind: Kind
    /// The object that did not decrypt.
    public let key: String

    /// Creates an error.
    public init(_ kind: Kind, key: String) {
        self.kind = kind
        self.key = key
    }

    /// One line naming the key.
    public var description: String {
        switch kind {
        case .notEncrypted: "\(key) is not encrypted (it does not start with Salted__)"
        case .truncated: "\(key) is not a whole encrypted file (its length is not a header and whole 16-byte blocks)"
        case .wrongPassphrase: "the cipher passphrase does not decrypt \(key)"
        }
    }
}
