import Foundation
import StrataTestSupport
import Testing

/// The HTTP stand-in for Qdrant's, Vault's and a Temporal exporter's snapshot APIs
/// (Tests/Fixtures/snapshot_standin.py), on a free loopback port.
final class SnapshotStandin {
    let dir: TempDir
    let port: Int
    let server: ServerProcess
    let vaultToken = "hvs.\(UUID().uuidString.prefix(16))"
    let qdrantKey = "qk-\(UUID().uuidString.prefix(16))"
    let temporalToken = "tt-\(UUID().uuidString.prefix(16))"
    let vaultTokenFile: String
    let qdrantKeyFile: String
    let temporalTokenFile: String

    init(faults: [String] = [], collections: String = "mind_memories,mind-patterns", namespaces: String = "mind,default") throws {
        dir = try TempDir("standin")
        vaultTokenFile = try dir.write("vault-token", vaultToken + "\n")
        qdrantKeyFile = try dir.write("qdrant-key", qdrantKey)
        temporalTokenFile = try dir.write("temporal-token", temporalToken + "\n")
        let portFile = dir.file("port")
        let script = RepositoryPaths.fixtures.appendingPathComponent("snapshot_standin.py").path
        server = try ServerProcess(
            ["python3", script, "--port-file", portFile, "--log", dir.file("requests.jsonl"),
             "--qdrant-collections", collections, "--qdrant-api-key-file", qdrantKeyFile,
             "--vault-token-file", vaultTokenFile, "--temporal-token-file", temporalTokenFile,
             "--temporal-namespaces", namespaces, "--size", "300000"] + faults.flatMap { ["--fault", $0] },
            log: dir.file("standin.log"))
        try waitUntil(10, "the snapshot stand-in") { FileManager.default.fileExists(atPath: portFile) }
        port = Int(try String(contentsOfFile: portFile, encoding: .utf8)) ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The environment each script needs to reach the stand-in with the right credentials.
    var environment: [String: String] {
        ["QDRANT_URL": url, "QDRANT_API_KEY_FILE": qdrantKeyFile,
         "VAULT_ADDR": url, "VAULT_TOKEN_FILE": vaultTokenFile,
         "TEMPORAL_EXPORT_URL": url, "TEMPORAL_TOKEN_FILE": temporalTokenFile]
    }

    struct Request: Decodable {
        var method: String
        var path: String
        var status: Int
        var sha256: String
        var size: Int
        var body: String?
    }

    /// Every request served so far.
    func requests() throws -> [Request] {
        let text = (try? String(contentsOfFile: dir.file("requests.jsonl"), encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// The SHA-256 of every snapshot body served with status 200 on a path matching `suffix`.
    func servedHashes(_ suffix: String) throws -> Set<String> {
        Set(try requests().filter { $0.method == "GET" && $0.status == 200 && $0.path.hasSuffix(suffix) }.map(\.sha256))
    }

    func stop() {
        server.stop()
        dir.remove()
    }
}

/// tools/backup's HTTP-snapshot scripts (qdrant, vault, temporal), test-restore and
/// verify-backups, exercised against the stand-in and the local RGW; plus the conventions every
/// script keeps (usage, exit codes, no secret in any argument).
@Suite(.blocking) struct BackupScriptTests {
    static let scripts = ["falkordb", "nats", "qdrant", "temporal", "vault", "test-restore", "verify-backups"]

    // MARK: conventions (no servers)

    @Test(arguments: BackupScriptTests.scripts)
    func helpPrintsUsageAndBadArgumentsExitTwo(_ name: String) throws {
        let path = OpsHarness.backupDir.appendingPathComponent(name).path
        let help = try ProcessRunner().run([path, "--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.hasPrefix("usage: tools/backup/\(name)"), "\(help.stdoutText)")
        #expect(help.stdoutText.contains("Exit status") || help.stdoutText.contains("Exit codes"))
        let bad = try ProcessRunner().run([path, "--no-such-option"])
        #expect(bad.status == 2, "\(name): \(bad.stderr)")
        #expect(bad.stderr.contains("\(name): error:"), "\(bad.stderr)")
        #expect(bad.stderr.contains("usage: tools/backup/\(name)"))
    }

    @Test(arguments: ["falkordb", "nats", "qdrant", "temporal", "vault", "verify-backups"])
    func withoutABucketTheScriptStopsBeforeDoingAnything(_ name: String) throws {
        let dir = try TempDir("nobucket")
        defer { dir.remove() }
        // STRATA_BIN names a file that exists, so the missing bucket is what stops it.
        let output = try ProcessRunner(environment: ["STRATA_BUCKET": "", "STRATA_BIN": "/bin/true",
                                                     "VAULT_TOKEN": "x", "TMPDIR": dir.path])
            .run(["bash", "-c", "cd \(dir.path) && exec \(OpsHarness.backupDir.appendingPathComponent(name).path)"])
        #expect(output.status == 1, "\(name): \(output.stderr)")
        #expect(output.stderr.contains("\(name): error: no bucket: set STRATA_BUCKET"), "\(output.stderr)")
        #expect(filesBelow(dir.path).isEmpty, "the work directory is removed on exit")
    }

    @Test func libIsSourcedNotRun() throws {
        let output = try ProcessRunner().run([OpsHarness.backupDir.appendingPathComponent("lib.sh").path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("sourced"))
    }

    // MARK: Qdrant, Vault, Temporal against the stand-in

    @Test(.enabled(if: OpsTools.withServers("python3", "curl"), "needs the local S3 servers (tools/test)"))
    func qdrantSnapshotsEveryCollectionAndDeletesItFromTheServer() throws {
        let standin = try SnapshotStandin()
        defer { standin.stop() }
        try OpsHarness.withBucket("qdrant") { ops in
            let run = try ops.script("qdrant", extra: standin.environment)
            #expect(run.status == 0, "\(run.stderr)")
            let keys = try ops.keys()
            #expect(keys.count == 2)
            #expect(keys.contains { $0.hasPrefix("qdrant/mind_memories-") && $0.hasSuffix(".snapshot") }, "\(keys)")
            #expect(keys.contains { $0.hasPrefix("qdrant/mind-patterns-") && $0.hasSuffix(".snapshot") }, "\(keys)")
            // Qdrant's own creation time names the set: the key's time is in the snapshot's name.
            let requests = try standin.requests()
            for key in keys {
                let time = key.dropFirst("qdrant/".count).suffix(28).dropLast(".snapshot".count)  // YYYY-MM-DD-HH-MM-SS
                #expect(requests.contains { $0.method == "GET" && $0.path.hasSuffix("\(time).snapshot") }, "\(key)")
            }
            // Deleted from the server once uploaded.
            #expect(requests.filter { $0.method == "DELETE" && $0.status == 200 }.count == 2)

            let restore = try TempDir("qdrant-restore")
            defer { restore.remove() }
            for series in ["mind_memories", "mind-patterns"] {
                let retrieved = try ops.strata(["retrieve", "--component", "qdrant", "--series", series, "--at", "2100-01-01",
                                                "--to", restore.path, "--wait", "--poll-interval", "1"])
                #expect(retrieved.status == 0, "\(retrieved.stderr)")
            }
            let files = filesBelow(restore.path)
            #expect(files.count == 2)
            // Byte-identical to what the API served.
            #expect(Set(try files.map { try sha256(restore.file($0)) }) == (try standin.servedHashes(".snapshot")))
        }
    }

    @Test(.enabled(if: OpsTools.withServers("python3", "curl"), "needs the local S3 servers (tools/test)"))
    func vaultAndTemporalSnapshotsGoUpAndComeBackByteIdentical() throws {
        let standin = try SnapshotStandin()
        defer { standin.stop() }
        try OpsHarness.withBucket("vault-temporal") { ops in
            let vault = try ops.script("vault", extra: standin.environment)
            #expect(vault.status == 0, "\(vault.stderr)")
            let temporal = try ops.script("temporal", extra: standin.environment)
            #expect(temporal.status == 0, "\(temporal.stderr)")
            let keys = try ops.keys()
            #expect(keys.filter { $0.hasPrefix("vault/") && $0.hasSuffix(".snap") }.count == 1, "\(keys)")
            // temporal-system is left out of the namespace list.
            #expect(keys.filter { $0.hasPrefix("temporal/") }.map { $0.split(separator: "/")[1] }.sorted() == ["default", "mind"])

            let restore = try TempDir("vt-restore")
            defer { restore.remove() }
            #expect(try ops.strata(["retrieve", "--component", "vault", "--at", "2100-01-01", "--to", restore.file("vault"),
                                    "--wait", "--poll-interval", "1"]).status == 0)
            let snaps = filesBelow(restore.file("vault"))
            #expect(snaps.count == 1)
            #expect(Set(try snaps.map { try sha256(restore.file("vault/\($0)")) }) == (try standin.servedHashes("/raft/snapshot")))
            #expect(try ops.script("vault", ["check", restore.file("vault")]).status == 0)

            for namespace in ["mind", "default"] {
                #expect(try ops.strata(["retrieve", "--component", "temporal", "--series", namespace, "--at", "2100-01-01",
                                        "--to", restore.file("temporal"), "--wait", "--poll-interval", "1"]).status == 0)
            }
            let exports = filesBelow(restore.file("temporal"))
            #expect(exports.count == 2)
            #expect(Set(try exports.map { try sha256(restore.file("temporal/\($0)")) }) == (try standin.servedHashes("/export")))
        }
    }

    @Test(.enabled(if: OpsTools.available("python3", "curl"), "needs python3 and curl"),
          arguments: [
            ("vault", "wrong token", [], ["VAULT_TOKEN": "hvs.not-it"], "HTTP 403: {\"errors\": [\"permission denied\"]}"),
            ("vault", "no token", [], ["VAULT_TOKEN_FILE": ""], "VAULT_TOKEN is not set"),
            ("vault", "snapshot fails its SHA256SUMS", ["vault-bad-sums"], [:], "do not match its SHA256SUMS"),
            ("qdrant", "wrong API key", [], ["QDRANT_API_KEY": "nope"], "HTTP 401"),
            ("qdrant", "checksum mismatch", ["qdrant-bad-checksum"], [:], "does not match the sha256 Qdrant reported"),
            ("qdrant", "snapshot creation fails", ["qdrant-500"], [:], "HTTP 500"),
            ("qdrant", "unknown collection", [], ["QDRANT_COLLECTIONS": "nope"], "HTTP 404"),
            ("qdrant", "server down", [], ["QDRANT_URL": "http://127.0.0.1:1"], "request failed"),
            ("temporal", "truncated export", ["temporal-truncated"], [:], "truncated or corrupt gzip stream"),
            ("temporal", "wrong token", [], ["TEMPORAL_TOKEN": "nope"], "HTTP 401"),
            ("temporal", "unknown namespace", [], ["TEMPORAL_NAMESPACES": "nope"], "HTTP 404"),
          ] as [(String, String, [String], [String: String], String)])
    func failuresExitOneWithAMessageAndUploadNothing(_ script: String, _ name: String, _ faults: [String],
                                                     _ override: [String: String], _ message: String) throws {
        let standin = try SnapshotStandin(faults: faults)
        defer { standin.stop() }
        try StubStrata.with { stub in
            let run = try stub.script(script, extra: standin.environment.merging(override) { $1 })
            #expect(run.status == 1, "\(script) \(name): \(run.stderr)")
            #expect(run.stderr.contains("\(script): error:"), "\(script) \(name): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(script) \(name): \(run.stderr)")
            for secret in [standin.vaultToken, standin.qdrantKey, standin.temporalToken] {
                #expect(!run.stderr.contains(secret) && !run.stdoutText.contains(secret))
            }
            #expect(stub.calls.isEmpty, "\(script) \(name): nothing may be uploaded")
        }
    }

    /// Every program the scripts start (curl, python3, redis-cli, strata) is wrapped by a shim that
    /// records its arguments: no token, key or password appears in any of them.
    @Test(.enabled(if: OpsTools.withServers("python3", "curl"), "needs the local S3 servers (tools/test)"))
    func noSecretAppearsInAnyProgramsArguments() throws {
        let standin = try SnapshotStandin()
        defer { standin.stop() }
        let shims = try TempDir("shims")
        defer { shims.remove() }
        let log = shims.file("argv.log")
        for tool in ["curl", "python3", "redis-cli", "sha256sum", "tar"] {
            let real = try OpsTools.require(tool)
            _ = try shims.write(tool, "#!/bin/bash\nprintf '%s\\n' \"\(tool) $*\" >> '\(log)'\nexec '\(real)' \"$@\"\n", mode: 0o755)
        }
        let strataShim = try shims.write("strata", "#!/bin/bash\nprintf '%s\\n' \"strata $*\" >> '\(log)'\nexec '\(OpsHarness.strataBinary)' \"$@\"\n", mode: 0o755)
        try OpsHarness.withBucket("secrets") { ops in
            let path = "\(shims.path):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"
            for script in ["qdrant", "vault", "temporal"] {
                let run = try ops.script(script, extra: standin.environment.merging(["PATH": path, "STRATA_BIN": strataShim]) { $1 })
                #expect(run.status == 0, "\(script): \(run.stderr)")
            }
            let argv = try String(contentsOfFile: log, encoding: .utf8)
            #expect(argv.contains("curl "), "the shims saw curl")
            #expect(argv.contains("strata upload --component vault"), "the shims saw strata")
            for secret in [standin.vaultToken, standin.qdrantKey, standin.temporalToken, ops.servers.secretKey] {
                #expect(!argv.contains(secret), "a secret appeared in a command line:\n\(argv)")
            }
        }
    }

    /// (strata is a stub that succeeds: what matters here is what the script reports.)
    @Test(.enabled(if: OpsTools.available("python3", "curl"), "needs python3 and curl"))
    func scriptsReportTheirOutcomeAsTextfileMetricsOrToAPushgateway() throws {
        let standin = try SnapshotStandin()
        defer { standin.stop() }
        let metrics = try TempDir("metrics")
        defer { metrics.remove() }
        try StubStrata.with(status: 0) { ops in
            let ok = try ops.script("vault", extra: standin.environment.merging(["STRATA_METRICS_DIR": metrics.path]) { $1 })
            #expect(ok.status == 0, "\(ok.stderr)")
            let text = try String(contentsOfFile: metrics.file("strata-task-backup-vault.prom"), encoding: .utf8)
            #expect(text.contains("strata_task_success{task=\"backup\",component=\"vault\"} 1"))
            #expect(text.contains("# TYPE strata_task_last_run_timestamp_seconds gauge"))

            let failed = try ops.script("vault", extra: standin.environment.merging(
                ["STRATA_METRICS_DIR": metrics.path, "VAULT_TOKEN": "wrong"]) { $1 })
            #expect(failed.status == 1)
            let after = try String(contentsOfFile: metrics.file("strata-task-backup-vault.prom"), encoding: .utf8)
            #expect(after.contains("strata_task_success{task=\"backup\",component=\"vault\"} 0"))
            #expect(filesBelow(metrics.path) == ["strata-task-backup-vault.prom"], "written atomically: no temporary left")
            #expect(ops.calls.filter { $0.hasPrefix("strata upload --component vault --time ") }.count == 1)

            // A metrics directory that cannot be written turns success into a failure.
            let unwritable = try ops.script("vault", extra: standin.environment.merging(
                ["STRATA_METRICS_DIR": "/nonexistent/metrics"]) { $1 })
            #expect(unwritable.status == 1)
            #expect(unwritable.stderr.contains("cannot write metrics to /nonexistent/metrics"))

            // To a Pushgateway, grouped by task and component.
            let pushed = try ops.script("vault", extra: standin.environment.merging(["STRATA_PUSHGATEWAY_URL": standin.url]) { $1 })
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let push = try standin.requests().last { $0.path.hasPrefix("/metrics/") }
            #expect(push?.method == "PUT")
            #expect(push?.path == "/metrics/job/strata/task/backup/component/vault")
            #expect(push?.body?.contains("strata_task_success{task=\"backup\",component=\"vault\"} 1") == true, "\(String(describing: push))")
            let unreachable = try ops.script("vault", extra: standin.environment.merging(["STRATA_PUSHGATEWAY_URL": "http://127.0.0.1:1"]) { $1 })
            #expect(unreachable.status == 1, "a backup whose outcome cannot be reported fails")
            #expect(unreachable.stderr.contains("cannot push metrics to http://127.0.0.1:1/metrics/job/strata/task/backup/component/vault"))

            if OpsTools.has("promtool") {
                let lint = try ProcessRunner().run(["promtool", "check", "metrics"], stdin: Data(after.utf8))
                #expect(lint.status == 0, "\(lint.stderr)\(lint.stdoutText)")
            }
        }
    }

    // MARK: test-restore and verify-backups

    @Test(.enabled(if: OpsTools.withServers("python3", "curl"), "needs the local S3 servers (tools/test)"))
    func testRestoreRetrievesAndChecksEverySeriesAndReportsEachComponent() throws {
        let standin = try SnapshotStandin()
        defer { standin.stop() }
        let metrics = try TempDir("restore-metrics")
        defer { metrics.remove() }
        try OpsHarness.withBucket("test-restore") { ops in
            for script in ["qdrant", "vault", "temporal"] {
                #expect(try ops.script(script, extra: standin.environment).status == 0)
            }
            let components = ["--component", "qdrant", "--component", "vault", "--component", "temporal"]
            let restored = try TempDir("restored")
            defer { restored.remove() }
            let run = try ops.script("test-restore", components + ["--to", restored.path, "--keep", "--poll-interval", "1"],
                                     extra: ["STRATA_METRICS_DIR": metrics.path])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("restore test passed: qdrant vault temporal"))
            // Every series of every component came back (two collections, two namespaces, one vault).
            let files = filesBelow(restored.path)
            #expect(files.filter { $0.hasPrefix("qdrant/") }.count == 2, "\(files)")
            #expect(files.filter { $0.hasPrefix("temporal/") }.count == 2, "\(files)")
            #expect(files.filter { $0.hasPrefix("vault/") }.count == 1, "\(files)")
            let text = try String(contentsOfFile: metrics.file("strata-task-test-restore.prom"), encoding: .utf8)
            for component in ["qdrant", "vault", "temporal"] {
                #expect(text.contains("strata_task_success{task=\"test-restore\",component=\"\(component)\"} 1"), "\(text)")
            }

            let verified = try ops.script("verify-backups")
            #expect(verified.status == 0, "\(verified.stderr)")

            // Damage the vault snapshot, keeping its recorded checksum: retrieve refuses it.
            let vaultKey = try #require(try ops.keys().first { $0.hasPrefix("vault/") })
            try ops.corrupt(vaultKey, keepMetadata: true)
            let broken = try ops.script("test-restore", components, extra: ["STRATA_METRICS_DIR": metrics.path])
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("test-restore: vault: strata retrieve failed"), "\(broken.stderr)")
            #expect(broken.stderr.contains("restore test failed for: vault"))
            let after = try String(contentsOfFile: metrics.file("strata-task-test-restore.prom"), encoding: .utf8)
            #expect(after.contains("strata_task_success{task=\"test-restore\",component=\"vault\"} 0"))
            #expect(after.contains("strata_task_success{task=\"test-restore\",component=\"qdrant\"} 1"))

            let corrupt = try ops.script("verify-backups", ["--component", "vault"])
            #expect(corrupt.status == 1)
            #expect(corrupt.stdoutText.contains("CORRUPT"), "\(corrupt.stdoutText)")
            #expect(corrupt.stderr.contains("verify-backups: error: strata verify found problems"))
        }
    }

    @Test(.enabled(if: OpsTools.withServers("python3", "curl"), "needs the local S3 servers (tools/test)"))
    func testRestoreCatchesASnapshotThatPassesTheChecksumButIsNotASnapshot() throws {
        let standin = try SnapshotStandin()
        defer { standin.stop() }
        try OpsHarness.withBucket("test-restore-check") { ops in
            #expect(try ops.script("vault", extra: standin.environment).status == 0)
            // Replaced without Strata's checksum: retrieve can only check the MD5 ETag, which matches
            // the new body; the component's own check is what catches it.
            let key = try #require(try ops.keys().first)
            try ops.corrupt(key, keepMetadata: false)
            let run = try ops.script("test-restore", ["--component", "vault", "--poll-interval", "1"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("vault: the restored files did not pass the check"), "\(run.stderr)")

            let empty = try ops.script("test-restore", ["--component", "qdrant", "--poll-interval", "1"])
            #expect(empty.status == 1)
            #expect(empty.stderr.contains("qdrant: no kept backup set at or before"), "\(empty.stderr)")
        }
    }
}
