import Foundation
import Retention
@testable import StrataKit
import StrataTestSupport
import Testing

/// One set as `pgbackrest info --output=json` describes it.
struct PgBackRestInfoSet: Equatable {
    var start: String?
    var stop: String?
    var prior: String?
    var references: [String]
    var databaseID: Int?
}

/// pgBackRest's encryption, read by Strata: the fixtures are a real pgBackRest 2.45 repository
/// (`repo1-cipher-type=aes-256-cbc`, passphrase `fixture-passphrase-not-secret`: a full, a diff
/// and an incr), and `info.json` is what `pgbackrest info --output=json` said about it.
@Suite struct PgBackRestCipherTests {
    static let directory = RepositoryPaths.fixtures.appendingPathComponent("pgbackrest/encrypted")
    static let passphrase = CipherPassphrase(Array("fixture-passphrase-not-secret".utf8))
    static let diff = "20261206-213805F_20261206-213809D"

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The facts pgBackRest itself reports, by label.
    static func pgbackrestInfo() throws -> [String: PgBackRestInfoSet] {
        let data = try Data(contentsOf: directory.appendingPathComponent("info.json"))
        let stanzas = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let backups = try #require(stanzas.first?["backup"] as? [[String: Any]])
        var sets: [String: PgBackRestInfoSet] = [:]
        for backup in backups {
            let archive = backup["archive"] as? [String: String]
            sets[backup["label"] as? String ?? ""] = PgBackRestInfoSet(
                start: archive?["start"], stop: archive?["stop"], prior: backup["prior"] as? String,
                references: backup["reference"] as? [String] ?? [], databaseID: (backup["database"] as? [String: Any])?["id"] as? Int)
        }
        return sets
    }

    static func facts(_ info: PgBackRest.SetInfo) -> PgBackRestInfoSet {
        PgBackRestInfoSet(start: info.archiveStart, stop: info.archiveStop, prior: info.prior, references: info.references, databaseID: info.databaseID)
    }

    @Test func theRepositoryPassphraseDecryptsBackupInfoIntoWhatPgBackRestReports() throws {
        let plain = try PgBackRestCipher(passphrase: Self.passphrase).decrypt(try Self.fixture("backup.info"), key: "backup.info")
        let text = try #require(String(data: plain, encoding: .utf8))
        #expect(text.hasPrefix("[backrest]"))
        let parsed = PgBackRest.parseBackupInfo(text).mapValues(Self.facts)
        let expected = try Self.pgbackrestInfo()
        #expect(expected.count == 3)
        #expect(parsed == expected)
    }

    /// A manifest is encrypted with the passphrase backup.info names, not the repository's; it
    /// gives the same facts about its set as backup.info.
    @Test func backupInfosSubPassphraseDecryptsTheManifest() throws {
        let info = String(decoding: try PgBackRestCipher(passphrase: Self.passphrase).decrypt(try Self.fixture("backup.info"), key: "backup.info"), as: UTF8.self)
        let sub = try #require(PgBackRest.subPassphrase(in: info))
        let manifest = try Self.fixture("\(Self.diff).backup.manifest")
        #expect(throws: PgBackRestCipherError(.wrongPassphrase, key: "m")) {
            _ = try PgBackRestCipher(passphrase: Self.passphrase).decrypt(manifest, key: "m")
        }
        let text = String(decoding: try PgBackRestCipher(passphrase: CipherPassphrase(Array(sub.utf8))).decrypt(manifest, key: "m"), as: UTF8.self)
        #expect(Self.facts(PgBackRest.parseManifest(text)) == (try Self.pgbackrestInfo())[Self.diff])
    }

    @Test func archiveInfoDecryptsAndNamesTheWALPassphrase() throws {
        let text = String(decoding: try PgBackRestCipher(passphrase: Self.passphrase).decrypt(try Self.fixture("archive.info"), key: "a"), as: UTF8.self)
        #expect(text.contains("[db]"))
        #expect(PgBackRest.subPassphrase(in: text)?.count == 64)
    }

    /// What is handed on has no `[cipher]` section: no sub-passphrase travels further.
    @Test func theCipherSectionIsRemovedAndTheRestKept() throws {
        let text = String(decoding: try PgBackRestCipher(passphrase: Self.passphrase).decrypt(try Self.fixture("backup.info"), key: "b"), as: UTF8.self)
        let sub = try #require(PgBackRest.subPassphrase(in: text))
        let stripped = PgBackRest.removingCipherSection(text)
        #expect(!stripped.contains(sub))
        #expect(!stripped.contains("[cipher]"))
        #expect(PgBackRest.parseBackupInfo(stripped) == PgBackRest.parseBackupInfo(text))
        #expect(stripped.contains("[db:history]"))
    }

    enum Damage: String, CaseIterable {
        case wrongPassphrase, truncatedBlock, headerOnly, notEncrypted
    }

    @Test(arguments: Damage.allCases)
    func aDamagedFileOrWrongPassphraseIsATypedErrorNamingTheKey(damage: Damage) throws {
        var body = try Self.fixture("backup.info")
        var passphrase = Self.passphrase
        let expected: PgBackRestCipherError.Kind
        switch damage {
        case .wrongPassphrase: passphrase = CipherPassphrase(Array("fixture-passphrase-not-secreT".utf8)); expected = .wrongPassphrase
        case .truncatedBlock: body.removeLast(5); expected = .truncated
        case .headerOnly: body = Array(body.prefix(16)); expected = .truncated
        case .notEncrypted: body = Array("[backrest]\nbackrest-format=5\n".utf8); expected = .notEncrypted
        }
        let error = #expect(throws: PgBackRestCipherError.self) {
            _ = try PgBackRestCipher(passphrase: passphrase).decrypt(body, key: "postgresql/backup/mind/backup.info")
        }
        #expect(error?.kind == expected)
        #expect(error?.description.contains("postgresql/backup/mind/backup.info") == true)
    }

    /// OpenSSL's own `enc` (the format pgBackRest writes) and Strata agree on every length,
    /// including the empty file and whole blocks (which get a whole block of padding).
    @Test(arguments: [0, 1, 15, 16, 17, 1000, 65_536])
    func whatOpenSSLEncryptsStrataDecrypts(length: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let plain = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = "pass-\(UInt64.random(in: 0...UInt64.max, using: &generator))"
        let output = try ProcessRunner(environment: ["STRATA_TEST_PASS": secret]).run(
            ["openssl", "enc", "-aes-256-cbc", "-md", "sha1", "-salt", "-pass", "env:STRATA_TEST_PASS"], stdin: Data(plain))
        try #require(output.status == 0, "openssl enc: \(output.stderr)")
        let decrypted = try PgBackRestCipher(passphrase: CipherPassphrase(Array(secret.utf8))).decrypt(Array(output.stdout), key: "k")
        #expect(Array(decrypted) == plain)
    }

    @Test func aPassphrasePrintsAsRedactedInEveryForm() {
        let passphrase = CipherPassphrase(Array("hunter2-hunter2".utf8))
        var dumped = ""
        dump(passphrase, to: &dumped)
        for text in ["\(passphrase)", String(describing: passphrase), String(reflecting: passphrase), dumped, "\([passphrase])"] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
    }

    @Test func aPassphraseIsReadFromAFileOrTheEnvironment() throws {
        let directory = try makeScratchDirectory("cipherpass")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func file(_ name: String, _ bytes: [UInt8]) throws -> SecretSource {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
            return .file(directory + "/" + name)
        }
        #expect(try CipherPassphrase.load(try file("lf", Array("abc\n".utf8)), environment: [:]).bytes == Array("abc".utf8))
        #expect(try CipherPassphrase.load(try file("crlf", Array("abc\r\n".utf8)), environment: [:]).bytes == Array("abc".utf8))
        #expect(try CipherPassphrase.load(try file("space", Array("abc \n\n".utf8)), environment: [:]).bytes == Array("abc \n".utf8))
        #expect(try CipherPassphrase.load(.environment("P"), environment: ["P": "xyz"]).bytes == Array("xyz".utf8))
        let cases: [(SecretSource, [String: String], String)] = [
            (.environment("P"), [:], "environment variable P: not set"),
            (.environment("P"), ["P": ""], "environment variable P: empty"),
            (try file("empty", Array("\n".utf8)), [:], "empty"),
            (.file(directory + "/none"), [:], "does not exist"),
            (.file(directory), [:], "cannot be read"),
            (try file("big", Array(repeating: 0x41, count: 5000)), [:], "larger than 4096 bytes"),
        ]
        for (source, environment, problem) in cases {
            let error = #expect(throws: CipherPassphrase.Unavailable.self) { _ = try CipherPassphrase.load(source, environment: environment) }
            #expect(error?.description.contains(problem) == true, "\(source): \(String(describing: error))")
            #expect(error?.description.contains("AAAA") == false)
        }
    }
}
