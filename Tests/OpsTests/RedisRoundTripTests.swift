import Foundation
import StrataTestSupport
import Testing

/// tools/backup/falkordb against a real Redis (FalkorDB is a Redis module and writes the same RDB
/// through BGSAVE): the snapshot goes up with `strata upload`, comes back with `strata retrieve`
/// byte for byte, passes redis-check-rdb, and loads into a fresh server with every key.
@Suite(.enabled(if: OpsTools.available("redis-server", "redis-cli", "redis-check-rdb"),
                "needs redis-server, redis-cli, redis-check-rdb (tools/setup installs them)"), .blocking)
struct RedisRoundTripTests {
    /// A redis-server in its own directory on a free loopback port, with a password from its
    /// config file and no automatic saves; stopped by `stop()`.
    final class Redis {
        let dir: TempDir
        let port: Int
        let password = "pw-\(UUID().uuidString.prefix(12))"
        let server: ServerProcess
        let passwordFile: String

        /// `preload`: an RDB file the server starts from.
        init(_ name: String, preload: String? = nil) throws {
            dir = try TempDir("redis-\(name)")
            port = try freePort()
            let config = try dir.write("redis.conf", """
                bind 127.0.0.1
                port \(port)
                dir \(dir.path)
                dbfilename dump.rdb
                save ""
                appendonly no
                requirepass \(password)
                enable-debug-command local
                """)
            passwordFile = try dir.write("password", password + "\n")
            if let preload { try FileManager.default.copyItem(atPath: preload, toPath: dir.file("dump.rdb")) }
            server = try ServerProcess([try OpsTools.require("redis-server"), config], log: dir.file("redis.log"))
            try waitUntil(10, "redis-server on port \(port)") { (try? self.cli(["PING"]))?.hasPrefix("PONG") == true }
        }

        /// One redis-cli command; the password goes through REDISCLI_AUTH, as in the script.
        @discardableResult
        func cli(_ arguments: [String], stdin: String? = nil) throws -> String {
            let output = try ProcessRunner(environment: ["REDISCLI_AUTH": password])
                .run(["redis-cli", "-p", String(port), "--no-auth-warning"] + arguments, stdin: stdin.map { Data($0.utf8) })
            guard output.status == 0 else { throw OpsError("redis-cli \(arguments): \(output.stderr)") }
            return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Writes `count` string keys plus a hash, a list and a sorted set.
        func populate(from start: Int, count: Int) throws {
            var commands = ""
            for i in start..<(start + count) { commands += "SET key:\(i) value-\(i)-\(String(repeating: "x", count: i % 97))\n" }
            commands += "HSET graph:node:\(start) name n\(start) weight \(start)\nRPUSH edges:\(start) a b c\nZADD rank:\(start) 1 one 2 two\n"
            try cli([], stdin: commands)
        }

        var environment: [String: String] {
            ["FALKORDB_HOST": "127.0.0.1", "FALKORDB_PORT": String(port), "FALKORDB_PASSWORD_FILE": passwordFile]
        }

        func stop() {
            server.stop()
            dir.remove()
        }
    }

    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func backupUploadsTheNewSnapshotAndRetrieveGivesItBackByteIdentical() throws {
        let redis = try Redis("roundtrip")
        defer { redis.stop() }
        // An older dump.rdb with 10 keys is on disk; the backup must not upload it.
        try redis.populate(from: 0, count: 10)
        #expect(try redis.cli(["SAVE"]) == "OK")
        try redis.populate(from: 10, count: 3000)
        let keyCount = try redis.cli(["DBSIZE"])
        // Slow the background save down (1 ms per key, about 3 s): a fixed sleep, or uploading as
        // soon as BGSAVE answers, would send the old 10-key file.
        try redis.cli(["CONFIG", "SET", "rdb-key-save-delay", "1000"])

        try OpsHarness.withBucket("falkordb") { ops in
            let started = Date()
            let run = try ops.script("falkordb", extra: redis.environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(Date().timeIntervalSince(started) >= 2.5, "the save takes about 3 s; the script must have waited for it")
            let lastsave = try redis.cli(["LASTSAVE"])
            #expect(try redis.cli(["INFO", "persistence"]).contains("rdb_last_bgsave_status:ok"))

            // One set, named by the save's own time (LASTSAVE).
            let keys = try ops.keys()
            #expect(keys.count == 1)
            let stamp = Self.keyStamp(epoch: TimeInterval(lastsave) ?? 0)
            #expect(keys == ["falkordb/\(stamp)/dump.rdb"], "LASTSAVE \(lastsave)")

            let restore = try TempDir("falkordb-restore")
            defer { restore.remove() }
            let retrieved = try ops.strata(["retrieve", "--component", "falkordb", "--at", "2100-01-01",
                                            "--to", restore.path, "--wait", "--poll-interval", "1"])
            #expect(retrieved.status == 0, "\(retrieved.stderr)")
            #expect(filesBelow(restore.path) == ["\(stamp)/dump.rdb"])
            let file = restore.file("\(stamp)/dump.rdb")
            // Byte-identical to what the server wrote.
            let original = try Data(contentsOf: redis.dir.url.appendingPathComponent("dump.rdb"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original)

            // redis-check-rdb accepts it, directly and through the script's check.
            let checked = try ProcessRunner().run(["redis-check-rdb", file])
            #expect(checked.status == 0, "\(checked.stdoutText)")
            #expect(checked.stdoutText.contains("RDB looks OK"))
            let scriptCheck = try ops.script("falkordb", ["check", restore.path])
            #expect(scriptCheck.status == 0, "\(scriptCheck.stderr)")

            // And a fresh server loads every key from it.
            let fresh = try Self.loadInFreshServer(file)
            defer { fresh.stop() }
            #expect(try fresh.cli(["DBSIZE"]) == keyCount)
            #expect(try fresh.cli(["GET", "key:2999"]).hasPrefix("value-2999-"))
            #expect(try fresh.cli(["HGET", "graph:node:10", "name"]) == "n10")
        }
    }

    @Test func aSaveThatDoesNotFinishInTimeUploadsNothing() throws {
        let redis = try Redis("timeout")
        defer { redis.stop() }
        try redis.populate(from: 0, count: 3000)
        try redis.cli(["CONFIG", "SET", "rdb-key-save-delay", "2000"])  // about 6 s
        try StubStrata.with { stub in
            let run = try stub.script("falkordb", extra: redis.environment.merging(["FALKORDB_SAVE_TIMEOUT": "1"]) { $1 })
            #expect(run.status == 1)
            #expect(run.stderr.contains("falkordb: error: LASTSAVE did not change within 1s"), "\(run.stderr)")
            #expect(stub.calls.isEmpty, "nothing may be uploaded")
        }
        // Let the server finish its save before it is stopped.
        try redis.cli(["CONFIG", "SET", "rdb-key-save-delay", "0"])
    }

    @Test(arguments: [
        ("wrong password", ["FALKORDB_PASSWORD": "not-the-password", "FALKORDB_PASSWORD_FILE": ""], "WRONGPASS"),
        ("no password", ["FALKORDB_PASSWORD_FILE": ""], "NOAUTH"),
        ("unreadable password file", ["FALKORDB_PASSWORD_FILE": "/nonexistent/password"], "FALKORDB_PASSWORD_FILE names '/nonexistent/password'"),
        ("nothing listening", ["FALKORDB_PORT": "1"], "Connection refused"),
        ("RDB not where it is said to be", ["FALKORDB_RDB": "/nonexistent/dump.rdb"], "/nonexistent/dump.rdb cannot be read"),
    ])
    func failuresExitOneWithAMessageAndUploadNothing(_ name: String, _ override: [String: String], _ message: String) throws {
        let redis = try Redis("fail")
        defer { redis.stop() }
        try redis.populate(from: 0, count: 5)
        try StubStrata.with { stub in
            let run = try stub.script("falkordb", extra: redis.environment.merging(override) { $1 })
            #expect(run.status == 1, "\(name)")
            #expect(run.stderr.contains("falkordb: error:"), "\(name): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
            #expect(!run.stderr.contains(redis.password), "the password must not appear in messages")
            #expect(stub.calls.isEmpty, "\(name): nothing may be uploaded")
        }
    }

    @Test func checkRejectsAFileThatIsNotAnRDB() throws {
        let dir = try TempDir("falkordb-check")
        defer { dir.remove() }
        _ = try dir.write("dump.rdb", "REDIS0011 but truncated")
        let output = try ProcessRunner().run([OpsHarness.backupDir.appendingPathComponent("falkordb").path, "check", dir.path])
        #expect(output.status == 1)
        #expect(output.stderr.contains("redis-check-rdb rejects"))
    }

    /// `falkordb/YYYYMMDD_HHMMSS` for an instant.
    static func keyStamp(epoch: TimeInterval) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter.string(from: Date(timeIntervalSince1970: epoch))
    }

    /// A second redis-server started on a copy of `rdb`.
    static func loadInFreshServer(_ rdb: String) throws -> Redis {
        try Redis("load", preload: rdb)
    }
}
