import Foundation
import StrataTestSupport

/// A pgBackRest repository in a test bucket whose `backup.info` is a real encrypted one (pgBackRest
/// 2.45, Tests/Fixtures/pgbackrest/encrypted): three sets (full, diff, incr) and the WAL they were
/// taken with, segments 1 to 6, of which segment 1 precedes the oldest set. Set files hold
/// stand-in bytes: Strata reads only backup.info. Also a copy of the policies whose postgresql
/// policy takes its passphrase from `passphraseFile`.
struct EncryptedRepository {
    static let passphrase = "fixture-passphrase-not-secret"
    static let full = "20261206-213805F"
    static let diff = "20261206-213805F_20261206-213809D"
    static let incr = "20261206-213805F_20261206-213812I"
    /// Planned a week after the sets: all three are within keep_within (30d).
    static let now = "2026-12-13T12:00:00Z"
    static let base = "postgresql/backup/mind/"
    static let archive = "postgresql/archive/mind/15-1/0000000100000000/"

    /// WAL keys by segment number.
    static let wal: [Int: String] = Dictionary(uniqueKeysWithValues: (1...6).map { segment in
        (segment, archive + String(format: "0000000100000000%08X", segment) + "-0123456789abcdef0123456789abcdef01234567.gz")
    })
    /// The `.backup` files PostgreSQL archives at each set's start.
    static let backupFiles = [2, 3, 5].map { archive + String(format: "0000000100000000%08X", $0) + ".00000028.backup" }

    let harness: CLIHarness
    let scratch: String
    var passphraseFile: String { scratch + "/cipher-pass" }
    var policies: String { scratch + "/policies" }

    /// Fills a new bucket and writes the policies; `passphrase` goes to the passphrase file (none: no file).
    init(harness: CLIHarness, passphrase: String?) throws {
        self.harness = harness
        scratch = try makeScratchDirectory("encrypted-pgbr")
        try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
        let shipped = RepositoryPaths.root.appendingPathComponent("policies")
        for name in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where name.hasSuffix(".yaml") {
            var text = try String(contentsOf: shipped.appendingPathComponent(name), encoding: .utf8)
            text = text.replacingOccurrences(of: "/etc/pgbackrest/cipher-pass", with: passphraseFile)
            try text.write(toFile: policies + "/" + name, atomically: true, encoding: .utf8)
        }
        if let passphrase { try setPassphrase(passphrase) }
        let fixtures = RepositoryPaths.fixtures.appendingPathComponent("pgbackrest/encrypted")
        let info = try Data(contentsOf: fixtures.appendingPathComponent("backup.info"))
        var objects: [String: Data] = [Self.base + "backup.info": info, Self.base + "backup.info.copy": info,
                                       "postgresql/archive/mind/archive.info": try Data(contentsOf: fixtures.appendingPathComponent("archive.info"))]
        for label in [Self.full, Self.diff, Self.incr] {
            for file in ["backup.manifest", "backup.manifest.copy", "pg_data/base/1/1259.gz", "pg_data/global/pg_control.gz"] {
                objects[Self.base + label + "/" + file] = Data("\(label)/\(file)".utf8)
            }
        }
        for key in Array(Self.wal.values) + Self.backupFiles { objects[key] = Data(repeating: 0x57, count: 4096) }
        try upload(objects)
    }

    /// Writes `passphrase` (with a trailing line break, as `kubectl create secret --from-file` of an
    /// editor's file leaves it) to the passphrase file, readable by the owner only.
    func setPassphrase(_ passphrase: String) throws {
        try Data((passphrase + "\n").utf8).write(to: URL(fileURLWithPath: passphraseFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passphraseFile)
    }

    /// Puts `objects` with boto3 (independent of Strata's client), creating the bucket.
    func upload(_ objects: [String: Data], createBucket: Bool = true) throws {
        let staging = scratch + "/upload-\(UUID().uuidString)"
        var listing: [String] = []
        for (i, (key, data)) in objects.enumerated() {
            try data.write(to: URL(fileURLWithPath: "\(staging)-\(i)"))
            listing.append("\(staging)-\(i)\t\(key)")
        }
        let code = """
        import boto3, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        if sys.argv[3] == "1":
            s3.create_bucket(Bucket=sys.argv[2])
        for line in sys.stdin.read().splitlines():
            path, key = line.split("\\t", 1)
            s3.upload_file(path, sys.argv[2], key)
        """
        let output = try ProcessRunner(environment: harness.environment).run(
            ["python3", "-c", code, harness.servers.rgwEndpoint, harness.bucket, createBucket ? "1" : "0"],
            stdin: Data(listing.joined(separator: "\n").utf8))
        guard output.status == 0 else { throw HarnessError(message: "upload failed: \(output.stderr)") }
    }

    /// `strata` with these policies.
    func strata(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessRunner.Output {
        try harness.strata(arguments + ["--policies", policies], extra: extra)
    }

    func destroy() {
        harness.destroy()
        try? FileManager.default.removeItem(atPath: scratch)
    }
}
