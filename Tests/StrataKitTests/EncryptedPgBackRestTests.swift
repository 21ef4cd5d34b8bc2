import Foundation
import StrataTestSupport
import Testing

/// Issue 17: an encrypted pgBackRest repository (the runbook's) in the local RGW, swept, linted
/// and retrieved by the `strata` binary. With the passphrase its WAL is judged as a plain
/// repository's; without it all WAL is kept and every output says how much; a wrong passphrase
/// stops before anything changes; a planted backup.info gives way to its copy.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct EncryptedPgBackRestTests {
    typealias Repo = EncryptedRepository

    static func repository(_ purpose: String, passphrase: String?) throws -> EncryptedRepository {
        let servers = try TestServers.require()
        return try EncryptedRepository(harness: CLIHarness(servers: servers, bucket: TestServers.uniqueBucketName(purpose)),
                                       passphrase: passphrase)
    }

    static func sweep(_ repo: EncryptedRepository, apply: Bool = true) throws -> (ProcessRunner.Output, metrics: String) {
        let metrics = repo.scratch + "/sweep-\(UUID().uuidString).prom"
        let output = try repo.strata(["sweep", "--component", "postgresql", "--now", Repo.now, "--metrics-textfile", metrics]
                                     + (apply ? ["--apply", "--journal", repo.scratch + "/journal"] : []))
        return (output, (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "")
    }

    /// The value of the unchecked-WAL gauge `name` for postgresql in `metrics`.
    static func gauge(_ name: String, _ metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix("\(name){component=\"postgresql\"}") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    static let everyKey: Set<String> = {
        var keys = Set(Repo.wal.values).union(Repo.backupFiles)
        keys.formUnion([Repo.base + "backup.info", Repo.base + "backup.info.copy", "postgresql/archive/mind/archive.info"])
        for label in [Repo.full, Repo.diff, Repo.incr] {
            for file in ["backup.manifest", "backup.manifest.copy", "pg_data/base/1/1259.gz", "pg_data/global/pg_control.gz"] {
                keys.insert(Repo.base + label + "/" + file)
            }
        }
        return keys
    }()

    @Test func withThePassphraseOnlyWALBeforeTheOldestSetGoes() throws {
        let repo = try Self.repository("enc-pass", passphrase: Repo.passphrase)
        defer { repo.destroy() }
        let (output, metrics) = try Self.sweep(repo)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(try repo.harness.keys() == Self.everyKey.subtracting([Repo.wal[1]!]), "segment 1 precedes the full's start (2); all else is needed")
        #expect(Self.gauge("strata_pgbackrest_wal_unchecked_objects", metrics) == 0)
        #expect(Self.gauge("strata_pgbackrest_wal_unchecked_bytes", metrics) == 0)
        #expect(!output.stdoutText.contains("all WAL kept") && !output.stderr.contains("all WAL kept"))
    }

    @Test func withoutThePassphraseAllWALIsKeptAndEveryOutputSaysHowMuch() throws {
        let repo = try Self.repository("enc-none", passphrase: nil)
        defer { repo.destroy() }
        let (output, metrics) = try Self.sweep(repo)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(try repo.harness.keys() == Self.everyKey, "nothing under archive/ may go")
        let said = "all WAL kept: the repository is encrypted and no cipher passphrase decrypts \(Repo.base)backup.info"
        #expect(output.stdoutText.contains(said), "\(output.stdoutText)")
        #expect(output.stdoutText.contains("9 WAL objects, 36.0 KiB, $0.00 a month, are kept unchecked"), "\(output.stdoutText)")
        #expect(output.stderr.contains("file \(repo.passphraseFile): does not exist"), "the log names where the passphrase was looked for")
        #expect(Self.gauge("strata_pgbackrest_wal_unchecked_objects", metrics) == 9)
        #expect(Self.gauge("strata_pgbackrest_wal_unchecked_bytes", metrics) == Double(9 * 4096))

        let plan = try repo.strata(["sweep", "--component", "postgresql", "--now", Repo.now, "--json"])
        let root = try #require(try JSONSerialization.jsonObject(with: plan.stdout) as? [String: Any])
        let component = try #require((root["components"] as? [[String: Any]])?.first)
        let unchecked = try #require(component["uncheckedWAL"] as? [String: Any])
        #expect(unchecked["objects"] as? Int == 9)
        #expect(unchecked["bytes"] as? Int == 9 * 4096)

        let lint = try repo.strata(["lint", "--list-bucket", "--now", Repo.now])
        #expect(lint.status == 0, "\(lint.stderr)")
        #expect(lint.stdoutText.contains("warning") && lint.stdoutText.contains(said), "\(lint.stdoutText)")
        let offline = try repo.strata(["lint"])
        #expect(!offline.stdoutText.contains("all WAL kept"), "lint without the bucket reads nothing from it")
    }

    @Test func aWrongPassphraseStopsBeforeAnythingChangesNamingTheFiles() throws {
        let repo = try Self.repository("enc-wrong", passphrase: "not-the-repository-passphrase")
        defer { repo.destroy() }
        let (output, _) = try Self.sweep(repo)
        #expect(output.status == 2)
        #expect(output.stderr.contains("the cipher passphrase does not decrypt \(Repo.base)backup.info"), "\(output.stderr)")
        #expect(output.stderr.contains("\(Repo.base)backup.info.copy"))
        #expect(output.stderr.contains("file \(repo.passphraseFile), named by cipher_pass in \(repo.policies)/postgresql.yaml"))
        #expect(!output.stderr.contains("not-the-repository-passphrase"))
        #expect(try repo.harness.keys() == Self.everyKey)
    }

    /// Someone overwrote backup.info with something that looks encrypted: pgBackRest reads the
    /// copy then, and so does Strata.
    @Test func aPlantedBackupInfoGivesWayToItsCopy() throws {
        let repo = try Self.repository("enc-planted", passphrase: Repo.passphrase)
        defer { repo.destroy() }
        var planted = Data("Salted__".utf8)
        planted.append(contentsOf: (0..<40).map { _ in UInt8.random(in: 0...255) })
        try repo.upload([Repo.base + "backup.info": planted], createBucket: false)
        let (output, _) = try Self.sweep(repo)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("backup.info does not decrypt; trying its copy"))
        #expect(try repo.harness.keys() == Self.everyKey.subtracting([Repo.wal[1]!]))
    }

    /// retrieve never stops for backup.info: with the passphrase it takes the incr's references
    /// and WAL range from it; without one, or with a wrong one, the whole chain and a note.
    @Test(arguments: ["right", "none", "wrong"])
    func retrieveOfAnIncrTakesItsChain(passphrase: String) throws {
        let withPassphrase = passphrase == "right"
        let repo = try Self.repository("enc-retrieve", passphrase: ["right": Repo.passphrase, "wrong": "not-it"][passphrase])
        defer { repo.destroy() }
        let output = try repo.strata(["retrieve", "--component", "postgresql", "--set", Repo.incr, "--to", repo.scratch + "/restore", "--wait"])
        #expect(output.status == 0, "\(output.stderr)")
        // Files land under --to by their key without the component's prefix.
        let restored = Set(((FileManager.default.enumerator(atPath: repo.scratch + "/restore")?.allObjects as? [String]) ?? [])
            .map { "postgresql/" + $0 })
        for label in [Repo.full, Repo.diff, Repo.incr] {
            #expect(restored.contains(Repo.base + label + "/pg_data/base/1/1259.gz"), "\(label) of the chain")
        }
        let walRestored = Repo.wal.filter { restored.contains($0.value) }.keys.sorted()
        if withPassphrase {
            #expect(walRestored == [5, 6], "the incr's archive range, from the decrypted backup.info")
        } else {
            #expect(walRestored.isEmpty)
            let note = passphrase == "none" ? "\(Repo.base)backup.info is encrypted and Strata has no cipher passphrase for it"
                : "the cipher passphrase does not decrypt \(Repo.base)backup.info"
            #expect(output.stdoutText.contains(note), "\(output.stdoutText)")
        }
    }
}
