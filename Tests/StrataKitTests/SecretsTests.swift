import Foundation
import StrataTestSupport
import Testing
@testable import StrataKit
import Retention

/// No command prints, logs or writes a secret: every command at trace level, with the right
/// secret, with a session token, and with a wrong secret, checked across stdout, stderr, the
/// journal (local and in the bucket), the plan JSON, the metrics file and downloaded files.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct SecretsTests {
    static let now = "2026-11-25T12:00:00Z"
    static let token = "FQoGZXIvYXdzEXAMPLE-SESSION-TOKEN-DO-NOT-PRINT-7d1c0a"
    static let wrongSecret = "WRONG/SECRET+DO-NOT-PRINT-abcdefghijklmnopqrs"

    /// Scratch files one run of the matrix writes, checked afterwards.
    struct Scratch {
        let root: URL
        var journal: String { root.appendingPathComponent("journal").path }
        var metrics: String { root.appendingPathComponent("sweep.prom").path }
        var metricsCommand: String { root.appendingPathComponent("metrics.prom").path }
        var retrieved: String { root.appendingPathComponent("retrieved").path }
        var upload: String { root.appendingPathComponent("dump.rdb").path }
        var downloaded: String { root.appendingPathComponent("downloaded.bin").path }

        /// Every regular file under the scratch directory with its contents.
        func files() throws -> [(path: String, text: String)] {
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
            return try walker.compactMap { entry -> (String, String)? in
                let path = root.appendingPathComponent("\(entry)").path
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                return (path, String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// Every command an operator runs, at its most verbose log level.
    static func commands(bucket: String, scratch: Scratch) -> [[String]] {
        let trace = ["--log-level", "trace"]
        return [
            ["lint"] + trace,
            ["sweep", "--now", now, "--all", "--force"] + trace,
            ["sweep", "--json", "--force", "--now", now, "--log-format", "json"] + trace,
            ["sweep", "--apply", "--force", "--now", now, "--journal", scratch.journal,
             "--metrics-textfile", scratch.metrics] + trace,
            ["sweep", "--apply", "--force", "--now", now, "--log-format", "json"] + trace,
            ["audit", "--now", now, "--format", "json"] + trace,
            ["audit", "--now", now, "--format", "csv"] + trace,
            ["upload", "--component", "falkordb", "--time", "2026-11-25T11:17:43Z", scratch.upload] + trace,
            ["verify", "--deep"] + trace,
            ["retrieve", "--component", "vault", "--at", now, "--to", scratch.retrieved, "--wait",
             "--timeout", "60"] + trace,
            ["lifecycle", "render"],
            ["lifecycle", "apply"] + trace,
            ["metrics", "--textfile", scratch.metricsCommand] + trace,
            ["cp", scratch.upload, "s3://\(bucket)/misc/copy.bin"] + trace,
            ["cp", "s3://\(bucket)/misc/copy.bin", scratch.downloaded] + trace,
            ["ls", "--recursive", "s3://\(bucket)/"] + trace,
            ["presign", "s3://\(bucket)/misc/copy.bin", "--expires", "5m"] + trace,
        ]
    }

    /// The three credential situations: right secret, right secret plus a session token, wrong secret plus a token.
    enum Situation: String, CaseIterable {
        case rightSecret, withSessionToken, wrongSecret

        func environment(_ servers: TestServers) -> [String: String] {
            switch self {
            case .rightSecret: [:]
            case .withSessionToken: ["AWS_SESSION_TOKEN": SecretsTests.token]
            case .wrongSecret: ["AWS_SECRET_ACCESS_KEY": SecretsTests.wrongSecret, "AWS_SESSION_TOKEN": SecretsTests.token]
            }
        }
    }

    @Test(arguments: Situation.allCases)
    func noCommandRevealsASecret(situation: Situation) throws {
        let servers = try TestServers.require()
        let harness = CLIHarness(servers: servers, bucket: TestServers.uniqueBucketName("secrets"))
        defer { harness.destroy() }
        try harness.seed(now: Self.now, years: 0.05)
        let scratch = Scratch(root: URL(fileURLWithPath: try makeScratchDirectory("secrets")))
        defer { try? FileManager.default.removeItem(at: scratch.root) }
        try Data("REDIS0011 snapshot".utf8).write(to: URL(fileURLWithPath: scratch.upload))

        let forbidden = [servers.secretKey, Self.wrongSecret, Self.token]
        var failures = 0
        for arguments in Self.commands(bucket: harness.bucket, scratch: scratch) {
            let output = try harness.strata(arguments, extra: situation.environment(servers))
            var stdout = output.stdoutText
            if arguments.first == "presign", situation != .rightSecret {
                // A presigned URL made with temporary credentials must carry the token: that is
                // what it is for. It may appear there and nowhere else.
                let encoded = Self.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? Self.token
                #expect(stdout.contains("X-Amz-Security-Token=\(encoded)"), "presign without the token: \(stdout)")
                stdout = stdout.replacingOccurrences(of: "X-Amz-Security-Token=\(encoded)", with: "")
            }
            for secret in forbidden {
                #expect(!stdout.contains(secret), "\(situation): stdout of \(arguments) holds a secret")
                #expect(!output.stderr.contains(secret), "\(situation): stderr of \(arguments) holds a secret")
            }
            switch situation {
            case .rightSecret:
                #expect(output.status == 0, "\(arguments) failed: \(output.stderr.split(separator: "\n").last ?? "")")
            case .wrongSecret where arguments.first != "lint" && arguments.first != "presign" && arguments != ["lifecycle", "render"]:
                #expect(output.status != 0, "\(arguments) succeeded with a wrong secret")
                if output.status != 0 { failures += 1 }
            default:
                break
            }
        }
        if situation == .wrongSecret { #expect(failures >= 10) }

        let files = try scratch.files()
        if situation == .rightSecret {
            #expect(files.contains { $0.path.hasPrefix(scratch.journal) }, "no local journal written")
            #expect(files.contains { $0.path == scratch.metrics }, "no sweep metrics written")
            #expect(files.contains { $0.path.hasPrefix(scratch.retrieved) }, "nothing retrieved")
        }
        for file in files {
            for secret in forbidden {
                #expect(!file.text.contains(secret), "\(situation): \(file.path) holds a secret")
            }
        }
        let objects = try Self.strataObjects(harness)
        if situation == .rightSecret {
            #expect(objects.contains { $0.0.hasPrefix(".strata/journal/") }, "no journal in the bucket")
        }
        for (key, text) in objects {
            for secret in forbidden {
                #expect(!text.contains(secret), "\(situation): s3://\(harness.bucket)/\(key) holds a secret")
            }
        }
    }

    /// Issue 17: an encrypted pgBackRest repository's passphrase (from a file or the environment,
    /// as `cipher_pass` names it) and the sub-passphrases its decrypted documents hold appear in
    /// no output, file or object of any command that reads the repository, at trace level; nor
    /// does a wrong passphrase.
    @Test(arguments: ["file", "env", "wrong"])
    func noCommandRevealsACipherPassphrase(source: String) throws {
        let servers = try TestServers.require()
        let wrong = "wrong-cipher-passphrase-DO-NOT-PRINT"
        let repo = try EncryptedRepository(harness: CLIHarness(servers: servers, bucket: TestServers.uniqueBucketName("secrets-cipher")),
                                           passphrase: source == "file" ? EncryptedRepository.passphrase : source == "wrong" ? wrong : nil)
        defer { repo.destroy() }
        var extra: [String: String] = [:]
        if source == "env" {
            let policy = repo.policies + "/postgresql.yaml"
            let text = try String(contentsOfFile: policy, encoding: .utf8)
                .replacingOccurrences(of: "file: \(repo.passphraseFile)", with: "env: STRATA_TEST_CIPHER_PASS")
            try text.write(toFile: policy, atomically: true, encoding: .utf8)
            extra["STRATA_TEST_CIPHER_PASS"] = EncryptedRepository.passphrase
        }
        // backup.info's (manifests), archive.info's (WAL) and a manifest's (its files) passphrases.
        let fixtures = RepositoryPaths.fixtures.appendingPathComponent("pgbackrest/encrypted")
        let info = try Data(contentsOf: fixtures.appendingPathComponent("backup.info"))
        let cipher = PgBackRestCipher(passphrase: CipherPassphrase(Array(EncryptedRepository.passphrase.utf8)))
        let infoText = String(decoding: try cipher.decrypt(Array(info), key: "backup.info"), as: UTF8.self)
        let archiveText = String(decoding: try cipher.decrypt(Array(try Data(contentsOf: fixtures.appendingPathComponent("archive.info"))), key: "archive.info"), as: UTF8.self)
        let sub = try #require(PgBackRest.subPassphrase(in: infoText))
        let forbidden = [EncryptedRepository.passphrase, wrong, sub, try #require(PgBackRest.subPassphrase(in: archiveText))]

        let scratch = Scratch(root: URL(fileURLWithPath: repo.scratch + "/out"))
        try FileManager.default.createDirectory(at: scratch.root, withIntermediateDirectories: true)
        let now = EncryptedRepository.now
        let trace = ["--log-level", "trace"]
        let commands: [[String]] = [
            ["lint", "--list-bucket", "--now", now] + trace,
            ["sweep", "--now", now, "--all"] + trace,
            ["sweep", "--json", "--now", now, "--log-format", "json"] + trace,
            ["sweep", "--apply", "--now", now, "--journal", scratch.journal, "--metrics-textfile", scratch.metrics] + trace,
            ["audit", "--now", now, "--format", "json"] + trace,
            ["audit", "--now", now, "--format", "csv"] + trace,
            ["metrics", "--textfile", scratch.metricsCommand] + trace,
            ["retrieve", "--component", "postgresql", "--set", EncryptedRepository.incr, "--to", scratch.retrieved, "--wait"] + trace,
            ["verify"] + trace,
        ]
        for arguments in commands {
            let output = try repo.strata(arguments, extra: extra)
            if source != "wrong" || arguments.first == "retrieve" {
                #expect(output.status == 0, "\(source): \(arguments) failed: \(output.stderr.split(separator: "\n").last ?? "")")
            }
            for secret in forbidden {
                #expect(!output.stdoutText.contains(secret), "\(source): stdout of \(arguments) holds a passphrase")
                #expect(!output.stderr.contains(secret), "\(source): stderr of \(arguments) holds a passphrase")
            }
        }
        let files = try scratch.files()
        if source != "wrong" { #expect(files.contains { $0.path == scratch.metrics }, "no sweep metrics written") }
        for file in files where !file.path.hasPrefix(scratch.retrieved) {
            for secret in forbidden { #expect(!file.text.contains(secret), "\(source): \(file.path) holds a passphrase") }
        }
        for (key, text) in try Self.strataObjects(repo.harness) {
            for secret in forbidden { #expect(!text.contains(secret), "\(source): s3://\(repo.harness.bucket)/\(key) holds a passphrase") }
        }
    }

    /// Credentials have no command-line options, so they can never land in `ps` or shell history.
    @Test func credentialsAreNotAcceptedAsArguments() throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: "unused")
        for subcommand in ["sweep", "audit", "retrieve", "upload", "verify", "lint", "metrics", "cp", "ls", "presign", "lifecycle apply"] {
            let words = subcommand.split(separator: " ").map(String.init)
            let help = try harness.strata(words + ["--help"])
            #expect(help.status == 0)
            #expect(!help.stdoutText.lowercased().contains("secret"), "\(subcommand) --help offers a secret option")
            #expect(!help.stdoutText.lowercased().contains("session-token"), "\(subcommand) --help offers a token option")
            let refused = try harness.strata(words + ["--secret-access-key", "x", "--aws-secret-access-key", "y"])
            #expect(refused.status == 2, "\(subcommand) accepted a secret argument")
        }
    }

    /// The journal and lock objects Strata keeps in the bucket, via boto3 (independent of Strata).
    static func strataObjects(_ harness: CLIHarness) throws -> [(String, String)] {
        let code = """
        import boto3, json, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2], Prefix=".strata/"):
            for o in page.get("Contents", []):
                out[o["Key"]] = s3.get_object(Bucket=sys.argv[2], Key=o["Key"])["Body"].read().decode("utf-8", "replace")
        print(json.dumps(out))
        """
        let output = try ProcessRunner(environment: harness.environment).run(["python3", "-c", code, harness.servers.rgwEndpoint, harness.bucket])
        guard output.status == 0 else { throw HarnessError(message: "reading .strata/ failed: \(output.stderr.split(separator: "\n").last ?? "")") }
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(output.stdoutText.utf8))
        return decoded.sorted { $0.key < $1.key }
    }
}
