import Foundation
import Retention

/// A repository's cipher passphrase, read from where a policy's `cipher_pass` says. It prints as
/// `<redacted>` in every form (description, debug description, `dump`, string interpolation), so
/// no log line, error or plan can carry it by accident.
public struct CipherPassphrase: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The passphrase's bytes, as pgBackRest hands them to OpenSSL.
    let bytes: [UInt8]

    /// A passphrase from its bytes (tests; a sub-passphrase a decrypted document names).
    public init(_ bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }
    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// No children: `dump` and mirrors show nothing of the bytes.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// A passphrase file is a few dozen bytes; anything past this is not one.
    public static let maximumFileSize = 4_096

    /// Why a passphrase could not be read; names the place, never a byte of its contents.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        /// Where it was looked for.
        public var source: SecretSource
        /// What went wrong.
        public var problem: String
        /// `file /x: problem`.
        public var description: String { "\(source): \(problem)" }
    }

    /// Reads the passphrase from `source`: a file (at most 4 KiB; one trailing line break, as an
    /// editor or `kubectl create secret --from-file` leaves it, is not part of it) or an
    /// environment variable from `environment`.
    public static func load(_ source: SecretSource, environment: [String: String]) throws(Unavailable) -> CipherPassphrase {
        var bytes: [UInt8]
        switch source {
        case .environment(let name):
            guard let value = environment[name] else { throw Unavailable(source: source, problem: "not set") }
            bytes = Array(value.utf8)
        case .file(let path):
            bytes = try readFile(path, source: source)
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw Unavailable(source: source, problem: "empty") }
        return CipherPassphrase(bytes)
    }

    private static func readFile(_ path: String, source: SecretSource) throws(Unavailable) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Unavailable(source: source, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            throw Unavailable(source: source, problem: "cannot be read")
        }
        guard data.count <= maximumFileSize else {
            throw Unavailable(source: source, problem: "larger than \(maximumFileSize) bytes, which no passphrase is")
        }
        return Array(data)
    }
}
