import Foundation
import Logging
import Retention
import S3

/// Reads the pgBackRest documents that planning and `retrieve` need (`backup.info`, manifests),
/// decrypting those of an encrypted repository with the passphrase the policy's `cipher_pass`
/// names.
///
/// What it hands on is pgBackRest's INI without its `[cipher]` section, so no sub-passphrase
/// travels further. A document it cannot decrypt because no passphrase is available is handed on
/// as it is (it still starts with `Salted__`): the planner then knows the repository is
/// encrypted, keeps every WAL segment and says so. A passphrase that does not decrypt
/// `backup.info` (nor its copy) is an error: the operator gave the wrong one.
struct PgBackRestDocuments: Sendable {
    let context: StrataContext

    /// What reading one document gave.
    enum Read {
        /// Its text: plain, decrypted, or (no passphrase) still encrypted.
        case text(String)
        /// Not read: missing or too large, as `note` says.
        case unread(note: String)
    }

    /// The documents read, and a note for each one that was not (or is still encrypted).
    struct Result: Sendable {
        /// Text by key: missing and oversized ones are left out, which plans as if missing: more
        /// is kept, never less.
        var documents: [String: String] = [:]
        /// What was not read or not decrypted, and why; each also logged as a warning.
        var notes: [String] = []
    }

    /// Reads `keys` (from `Planner.documentsNeeded`) of the pgBackRest repositories of `policies`.
    /// - Throws: `StrataError(.configuration)` when the passphrase decrypts neither `backup.info`
    ///   nor its copy; S3 errors other than 404.
    func fetch(_ keys: [String], policies: [Policy]) async throws -> Result {
        var result = Result()
        var subPassphrases: [String: CipherPassphrase] = [:]   // by policy prefix
        // backup.info first: it holds the passphrase of the manifests.
        for key in keys.sorted(by: { Self.isBackupInfo($0) && !Self.isBackupInfo($1) }) {
            guard let policy = policies.first(where: { key.hasPrefix($0.prefix) }) else { continue }
            let read: (key: String, Read)
            if Self.isBackupInfo(key) {
                read = try await backupInfo(key, policy: policy)
            } else {
                read = (key, try await document(key, passphrase: subPassphrases[policy.prefix]))
            }
            switch read.1 {
            case .text(let text) where PgBackRest.isEncrypted(text):
                result.documents[read.key] = text
                result.notes.append("\(read.key) is encrypted and Strata has no cipher passphrase for it")
            case .text(let text):
                if Self.isBackupInfo(key), let sub = PgBackRest.subPassphrase(in: text) {
                    subPassphrases[policy.prefix] = CipherPassphrase(Array(sub.utf8))
                }
                result.documents[read.key] = PgBackRest.removingCipherSection(text)
            case .unread(let note):
                result.notes.append(note)
            }
        }
        return result
    }

    static func isBackupInfo(_ key: String) -> Bool { key.hasSuffix("/backup.info") || key.hasSuffix("/backup.info.copy") }

    /// `backup.info` decrypted, or its copy when it does not decrypt; with the key that was read.
    private func backupInfo(_ key: String, policy: Policy) async throws -> (key: String, Read) {
        let passphrase = repositoryPassphrase(policy)
        do {
            return (key, try await document(key, passphrase: passphrase))
        } catch let first as PgBackRestCipherError {
            guard !key.hasSuffix(".copy") else { throw Self.error([first], policy: policy) }
            let copy = key + ".copy"
            context.logger.warning("backup.info does not decrypt; trying its copy", metadata: ["key": "\(key)", "detail": "\(first)"])
            do {
                let read = try await document(copy, passphrase: passphrase)
                guard case .text = read else { throw Self.error([first], policy: policy) }
                return (copy, read)
            } catch let second as PgBackRestCipherError {
                throw Self.error([first, second], policy: policy)
            }
        }
    }

    /// The repository passphrase, or nil with a warning naming why there is none.
    private func repositoryPassphrase(_ policy: Policy) -> CipherPassphrase? {
        guard let source = policy.cipherPass else { return nil }
        do {
            return try CipherPassphrase.load(source, environment: context.environment)
        } catch {
            context.logger.warning("no cipher passphrase: an encrypted repository's WAL is all kept",
                                   metadata: ["policy": "\(policy.sourcePath)", "detail": "\(error)"])
            return nil
        }
    }

    /// One document's text: decrypted with `passphrase` when encrypted; as read (still
    /// encrypted) when there is no passphrase.
    /// - Throws: `PgBackRestCipherError` when the passphrase does not decrypt it into a
    ///   pgBackRest document.
    private func document(_ key: String, passphrase: CipherPassphrase?) async throws -> Read {
        let body: [UInt8]
        do {
            body = try await context.client.getObject(bucket: context.bucket, key: key,
                                                      maxBytes: context.readLimits.pgBackRestDocument).body
        } catch let error as S3Error where error.status == 404 {
            context.logger.warning("document missing; planning conservatively", metadata: ["key": "\(key)"])
            return .unread(note: "\(key) is missing")
        } catch let error as ObjectTooLargeError {
            // Planned as if missing, which keeps more, never less; never read into memory.
            context.logger.warning("document too large to read; planning conservatively as if missing",
                                   metadata: ["key": "\(key)", "detail": "\(error.description)"])
            return .unread(note: "\(key) not read (\(error.size.map { "\($0) bytes" } ?? "too large"), more than \(error.limit))")
        }
        guard PgBackRestCipher.isEncrypted(body) else { return .text(String(decoding: body, as: UTF8.self)) }
        guard let passphrase else {
            context.logger.warning("document is encrypted and there is no cipher passphrase for it", metadata: ["key": "\(key)"])
            return .text(String(decoding: body, as: UTF8.self))
        }
        let plain = try PgBackRestCipher(passphrase: passphrase).decrypt(body, key: key)
        // A wrong passphrase passes the padding check about once in 256 tries; what it gives is
        // not pgBackRest's INI.
        guard plain.starts(with: Array("[backrest]".utf8)), let text = String(data: plain, encoding: .utf8) else {
            throw PgBackRestCipherError(.wrongPassphrase, key: key)
        }
        return .text(text)
    }

    /// The error for `failures`: exit 2 when the passphrase is wrong (configuration), else 1.
    static func error(_ failures: [PgBackRestCipherError], policy: Policy) -> StrataError {
        let wrong = failures.contains { $0.kind == .wrongPassphrase }
        let source = policy.cipherPass.map { " (\($0), named by cipher_pass in \(policy.sourcePath))" } ?? ""
        var message = failures.map(\.description).joined(separator: "; ")
        if wrong { message += ": the passphrase\(source) is not the repository's (pgBackRest's repo1-cipher-pass)" }
        return StrataError(wrong ? .configuration : .failure, message)
    }
}
