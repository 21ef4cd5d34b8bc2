import Foundation
import Retention
import S3
import StrataKit
import StrataTestSupport
import Testing

/// Objects someone else wrote where Strata reads its own small documents (issue 16, row 4):
/// every read is capped (`ReadLimits`; lowered here so small objects try the refusals), and the
/// journal is ordered by the run time its run ids record, not by key order.
struct PlantedStrataObjectsTests {
    static let now = Date(timeIntervalSince1970: 1_795_601_104)  // 2026-11-25T10:05:04Z

    /// A journal entry of the run started at `startedAt`.
    static func entry(_ runID: String, _ startedAt: Date, status: SweepJournal.Status) -> SweepJournal.Entry {
        SweepJournal.Entry(runID: runID, strataVersion: "test", planTime: startedAt, startedAt: startedAt,
                           status: status, actions: [])
    }

    /// The real entries: an older finished run and a newer one that was killed while deleting.
    static func writeRealEntries(_ journal: SweepJournal) async throws -> (old: String, killed: String) {
        let old = SweepJournal.newRunID(now: now.addingTimeInterval(-2 * 86400))
        let killed = SweepJournal.newRunID(now: now.addingTimeInterval(-86400))
        try await journal.write(entry(old, now.addingTimeInterval(-2 * 86400), status: .completed))
        try await journal.write(entry(killed, now.addingTimeInterval(-86400), status: .deleting))
        return (old, killed)
    }

    /// What gets planted next to them: a name that sorts last, a run id a year ahead claiming to
    /// have finished, and the newest plausible run id holding something that is not an entry.
    static let plantedNames = ["zzzz", "zzzz.json", "20271125T000000Z-1.json", "20261125T090000Z-abc.json", "sub/20261125T093000Z-1.json"]

    static func plantedBody(_ name: String) throws -> Data {
        name.hasPrefix("2027")
            ? try JSONCoding.encoder.encode(entry("20271125T000000Z-1", now.addingTimeInterval(365 * 86400), status: .completed))
            : Data("not a journal".utf8)
    }

    @Test(arguments: ["zzzz.json", "20261125T100504Z-1", "20261125T100504Z-", "20261125T100504Z-xyz",
                      "20261131T000000Z-1", "20261125T250000Z-1", "2026-11-25T10:05:04Z-1", "20261125t100504z-1"])
    func namesThatAreNotRunIDsHaveNoRunTime(name: String) {
        #expect(SweepJournal.runTime(of: name) == (name == "20261125T100504Z-1" ? Self.now : nil))
    }

    @Test func aNewRunIDRecordsItsTime() throws {
        let runID = SweepJournal.newRunID(now: Self.now)
        #expect(SweepJournal.runTime(of: runID) == Self.now)
    }

    @Test func aLocalJournalIsOrderedByRunTimeNotByName() async throws {
        let directory = try makeScratchDirectory("journal")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await ScratchBucket.withoutServer { client in
            let context = StrataContext(client: client, bucket: "unused", policies: nil, logger: ScratchBucket.logger,
                                        now: { Self.now })
            let journal = SweepJournal(context: context, location: .directory(directory))
            let real = try await Self.writeRealEntries(journal)
            for name in Self.plantedNames where !name.contains("/") {
                try Self.plantedBody(name).write(to: URL(fileURLWithPath: directory + "/" + name))
            }
            let latest = try await journal.latest()
            #expect(latest?.runID == real.killed)
            #expect(latest?.isFinished == false, "the killed run is still seen as unfinished")
        }
    }

    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func aBucketJournalIsOrderedByRunTimeAndCapped() async throws {
        try await ScratchBucket.with(.rgw, purpose: "journal") { bucket in
            let context = StrataContext(client: bucket.client, bucket: bucket.name, policies: nil,
                                        logger: ScratchBucket.logger, now: { Self.now },
                                        readLimits: ReadLimits(journalEntry: 4096))
            let journal = SweepJournal(context: context, location: .bucket)
            let real = try await Self.writeRealEntries(journal)
            for name in Self.plantedNames {
                try await bucket.client.putObject(bucket: bucket.name, key: StrataPaths.journalPrefix + name,
                                                  body: Array(try Self.plantedBody(name)))
            }
            let latest = try await journal.latest()
            #expect(latest?.runID == real.killed)
            #expect(latest?.isFinished == false)

            // The newest plausible entry, larger than the cap: refused, naming it; not read.
            let big = StrataPaths.journalPrefix + "20261125T100000Z-1.json"
            try await bucket.client.putObject(bucket: bucket.name, key: big, body: Array(repeating: 0x20, count: 5000))
            let error = await #expect(throws: StrataError.self) { _ = try await journal.latest() }
            #expect(error?.kind == .failure)
            #expect(error?.message.contains("s3://\(bucket.name)/\(big): 5000 bytes, more than the 4096") == true,
                    "\(error?.message ?? "")")
        }
    }

    /// A lease object larger than its cap is not read: like any body that is not a record, it is
    /// a lease nobody holds, taken over by its ETag.
    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func anOversizedLeaseObjectIsTakenOverUnread() async throws {
        try await ScratchBucket.with(.rgw, purpose: "biglease") { bucket in
            let context = StrataContext(client: bucket.client, bucket: bucket.name, policies: nil,
                                        logger: ScratchBucket.logger, readLimits: ReadLimits(lease: 1024))
            let planted = try await bucket.client.putObject(bucket: bucket.name, key: StrataPaths.lockKey,
                                                            body: Array(repeating: 0x7B, count: 2048))
            let observed = try #require(try await SweepLease.read(context: context))
            #expect(observed.record == nil)
            #expect(observed.eTag == planted.eTag)
            let lease = try await SweepLease.acquire(context: context, runID: "run-after-big",
                                                     timing: SweepLease.Timing(ttl: 60, settle: .milliseconds(200)))
            #expect(lease.record.runID == "run-after-big")
            await lease.release()
        }
    }

    /// An inventory manifest larger than its cap is refused as a configuration error naming it.
    @Test func anOversizedInventoryManifestIsRefused() async throws {
        let directory = try makeScratchDirectory("bigmanifest")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/manifest.json"
        try Data(repeating: 0x20, count: 3000).write(to: URL(fileURLWithPath: path))
        try await ScratchBucket.withoutServer { client in
            let context = StrataContext(client: client, bucket: "unused", policies: nil, logger: ScratchBucket.logger,
                                        now: { Self.now }, readLimits: ReadLimits(inventoryManifest: 2048))
            let reader = InventoryReportReader(context: context, location: .file(path))
            let error = await #expect(throws: StrataError.self) { _ = try await reader.build(policies: []) }
            #expect(error?.kind == .configuration)
            #expect(error?.message == "\(path): larger than the 2048 bytes Strata reads for it")
        }
    }

    /// A `backup.info` larger than its cap neither blocks a retrieve nor is read: the whole
    /// chain before the set is fetched instead, and the report says why.
    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func anOversizedBackupInfoFallsBackToTheWholeChain() async throws {
        try await ScratchBucket.with(.rgw, purpose: "biginfo") { bucket in
            let base = "postgresql/backup/mind/"
            let full = "20261120-020000F", incremental = "20261120-020000F_20261124-020000I"
            for label in [full, incremental] {
                for file in ["backup.manifest", "pg_data/base/1/1259.gz"] {
                    try await bucket.client.putObject(bucket: bucket.name, key: base + label + "/" + file, body: Array(label.utf8))
                }
            }
            try await bucket.client.putObject(bucket: bucket.name, key: base + "backup.info", body: Array(repeating: 0x5B, count: 5000))
            let policy = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("policies/postgresql.yaml"), encoding: .utf8)
            var context = try bucket.context(policies: ["postgresql.yaml": policy], now: Self.now)
            context.readLimits = ReadLimits(pgBackRestDocument: 4096)
            let report = try await Retriever(context: context)
                .retrieve(component: "postgresql", selector: .id(incremental), destination: nil)
            #expect(report.members.map(\.key).contains(base + full + "/pg_data/base/1/1259.gz"), "the full backup it depends on")
            #expect(report.notes.contains { $0.contains("\(base)backup.info not read (5000 bytes, more than 4096)") }, "\(report.notes)")
        }
    }
}

extension ScratchBucket {
    /// Runs `body` with a client whose endpoint is never reached (for code that reads local files).
    static func withoutServer<R: Sendable>(_ body: (S3Client) async throws -> R) async throws -> R {
        let configuration = S3Configuration(region: "us-east-1", endpoint: try S3Endpoint(url: "http://127.0.0.1:9"))
        let credentials = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "unused", "AWS_SECRET_ACCESS_KEY": "unused"])
        return try await S3Client.withClient(configuration: configuration, credentials: credentials, logger: logger, body)
    }
}
