import Foundation
import StrataTestSupport
import Testing

/// tools/backup/nats against a real nats-server with JetStream: a stream snapshot (through the
/// server's snapshot API; no nats CLI is packaged) goes up with `strata upload`, comes back with
/// `strata retrieve`, restores into the server with every message identical, and the 3-day policy
/// sweeps old snapshots.
@Suite(.enabled(if: OpsTools.available("nats-server", "python3"), "needs nats-server (tools/setup installs it)"), .blocking)
struct NATSRoundTripTests {
    /// A nats-server with JetStream in its own directory on a free loopback port, token auth.
    final class NATS {
        let dir: TempDir
        let port: Int
        let token = "tok-\(UUID().uuidString.prefix(12))"
        let tokenFile: String
        let server: ServerProcess

        init() throws {
            dir = try TempDir("nats")
            port = try freePort()
            let config = try dir.write("nats.conf", """
                listen: 127.0.0.1:\(port)
                jetstream { store_dir: "\(dir.file("js"))" }
                authorization { token: "\(token)" }
                """)
            tokenFile = try dir.write("token", token + "\n")
            server = try ServerProcess([try OpsTools.require("nats-server"), "-c", config], log: dir.file("nats.log"))
            try waitUntil(15, "nats-server on port \(port)") { self.server.logText.contains("Server is ready") }
        }

        var environment: [String: String] {
            ["NATS_URL": "nats://127.0.0.1:\(port)", "NATS_TOKEN_FILE": tokenFile]
        }

        /// Runs Tests/Fixtures/ops/nats_fixture.py against this server.
        @discardableResult
        func fixture(_ arguments: [String]) throws -> String {
            let script = OpsHarness.opsFixtures.appendingPathComponent("nats_fixture.py").path
            let output = try ProcessRunner(environment: ["NATS_URL": "nats://127.0.0.1:\(port)", "NATS_TOKEN": token])
                .run(["python3", script] + arguments)
            guard output.status == 0 else { throw OpsError("nats_fixture \(arguments): \(output.stderr)") }
            return output.stdoutText
        }

        func stop() {
            server.stop()
            dir.remove()
        }
    }

    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func snapshotRetrieveAndRestoreGiveBackEveryMessage() throws {
        let nats = try NATS()
        defer { nats.stop() }
        try nats.fixture(["create", "MIND_EVENTS", "mind.events.>"])
        try nats.fixture(["publish", "mind.events.created", "700"])
        let before = try nats.fixture(["dump", "MIND_EVENTS"])
        #expect(before.split(separator: "\n").count == 700)

        try OpsHarness.withBucket("nats") { ops in
            let run = try ops.script("nats", extra: nats.environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("MIND_EVENTS: 700 messages"))
            let keys = try ops.keys()
            #expect(keys.count == 1)
            #expect(keys.first?.hasPrefix("nats/MIND_EVENTS/") == true && keys.first?.hasSuffix(".tar.gz") == true, "\(keys)")

            let restore = try TempDir("nats-restore")
            defer { restore.remove() }
            let retrieved = try ops.strata(["retrieve", "--component", "nats", "--series", "MIND_EVENTS", "--at", "2100-01-01",
                                            "--to", restore.path, "--wait", "--poll-interval", "1"])
            #expect(retrieved.status == 0, "\(retrieved.stderr)")
            let files = filesBelow(restore.path)
            #expect(files.count == 1 && files[0].hasPrefix("MIND_EVENTS/"), "\(files)")
            let archive = restore.file(files[0])
            let checked = try ops.script("nats", ["check", restore.path])
            #expect(checked.status == 0, "\(checked.stderr)")

            // The stream is lost; restore it from the retrieved archive.
            try nats.fixture(["delete", "MIND_EVENTS"])
            let restored = try ops.script("nats", ["restore", archive], extra: nats.environment)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(restored.stdoutText.contains("restored stream MIND_EVENTS: 700 messages"))
            #expect(try nats.fixture(["dump", "MIND_EVENTS"]) == before, "every message, sequence and subject is back")
            #expect(try nats.fixture(["consumers", "MIND_EVENTS"]).contains("audit"), "the durable consumer is back too")

            // A stream that exists is not overwritten.
            let again = try ops.script("nats", ["restore", archive], extra: nats.environment)
            #expect(again.status == 1)
            #expect(again.stderr.contains("already in use"))
        }
    }

    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func snapshotsAreSweptByTheThreeDayPolicy() throws {
        let nats = try NATS()
        defer { nats.stop() }
        try nats.fixture(["create", "MIND_EVENTS", "mind.events.>"])
        try nats.fixture(["publish", "mind.events.created", "50"])

        try OpsHarness.withBucket("nats-sweep") { ops in
            #expect(try ops.script("nats", ["MIND_EVENTS"], extra: nats.environment).status == 0)
            let newest = try #require(try ops.keys().first)
            let stamp = String(newest.dropFirst("nats/MIND_EVENTS/".count).prefix(15))  // YYYYMMDD_HHMMSS
            let time = try #require(Self.parse(stamp))

            // The same archive as hourly runs of the days before: 1 to 6 days older.
            let restore = try TempDir("nats-sweep")
            defer { restore.remove() }
            #expect(try ops.strata(["retrieve", "--component", "nats", "--series", "MIND_EVENTS", "--at", "2100-01-01",
                                    "--to", restore.path, "--wait", "--poll-interval", "1"]).status == 0)
            let archive = restore.file(filesBelow(restore.path)[0])
            for days in 1...6 {
                let upload = try ops.strata(["upload", "--component", "nats", "--series", "MIND_EVENTS",
                                             "--time", Self.iso(time.addingTimeInterval(-Double(days) * 86400)), archive])
                #expect(upload.status == 0, "\(upload.stderr)")
            }
            #expect(try ops.keys().count == 7)

            // keep_within 3d (from the newest set, boundary kept) and keep_last 3: days 0-3 stay.
            let now = Self.iso(time.addingTimeInterval(3600))
            let sweep = try ops.strata(["sweep", "--component", "nats", "--apply", "--now", now])
            #expect(sweep.status == 0, "\(sweep.stderr)\n\(sweep.stdoutText)")
            let expected = (0...3).map { "nats/MIND_EVENTS/\(Self.stamp(time.addingTimeInterval(-Double($0) * 86400))).tar.gz" }
            #expect(try ops.keys() == expected.sorted())

            // What is left still restores.
            let again = try ops.strata(["sweep", "--component", "nats", "--now", now, "--json"])
            #expect(again.status == 0)
            #expect(!again.stdoutText.contains("\"expire\""), "nothing more to expire")
        }
    }

    @Test(arguments: [
        ("wrong token", ["NATS_TOKEN": "not-it", "NATS_TOKEN_FILE": ""], [], "Authorization Violation"),
        ("unknown stream", [:], ["NO_SUCH_STREAM"], "stream not found"),
        ("nothing listening", ["NATS_URL": "nats://127.0.0.1:1"], [], "cannot connect to NATS"),
        ("bad stream name", [:], ["a/b"], "is not a stream name"),
    ])
    func failuresExitOneWithAMessageAndUploadNothing(_ name: String, _ override: [String: String], _ arguments: [String],
                                                     _ message: String) throws {
        let nats = try NATS()
        defer { nats.stop() }
        try nats.fixture(["create", "MIND_EVENTS", "mind.events.>"])
        try StubStrata.with { stub in
            let run = try stub.script("nats", arguments, extra: nats.environment.merging(override) { $1 })
            #expect(run.status == 1, "\(name): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
            #expect(!run.stderr.contains(nats.token))
            #expect(stub.calls.isEmpty, "\(name): nothing may be uploaded")
        }
    }

    static func parse(_ stamp: String) -> Date? { formatter("yyyyMMdd_HHmmss").date(from: stamp) }
    static func stamp(_ date: Date) -> String { formatter("yyyyMMdd_HHmmss").string(from: date) }
    static func iso(_ date: Date) -> String { formatter("yyyy-MM-dd'T'HH:mm:ss'Z'").string(from: date) }

    static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }
}
