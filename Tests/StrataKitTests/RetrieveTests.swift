import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Synchronization
import Testing

/// `Retriever` against moto, which has AWS's Glacier semantics: GET of a GLACIER object fails
/// with `InvalidObjectState` until RestoreObject, and moto finishes a restore at once.
@Suite(.enabled(if: TestServers.shouldRun, "needs tools/s3-server (moto)"))
struct RetrieveTests {
    static let policy = """
        component: falkordb
        prefix: falkordb/
        layout: "falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb"
        retention:
          keep_last: 3
          keep_within: 7d
        """
    static let now = Date(timeIntervalSince1970: 1_795_593_600)  // 2026-11-25T08:00:00Z
    /// Set stamps and their content seeds: three kept sets, one day apart.
    static let sets: [(stamp: String, seed: UInt64)] = [
        ("20261123_020000", 1), ("20261124_020000", 2), ("20261125_020000", 3)]

    static func key(_ stamp: String) -> String { "falkordb/\(stamp)/dump.rdb" }

    /// Seeds the sets in GLACIER and returns a context planning at `now`.
    static func seed(_ bucket: ScratchBucket) async throws -> StrataContext {
        _ = try TestServers.require()
        for (stamp, seed) in sets {
            try await bucket.client.putObject(bucket: bucket.name, key: key(stamp),
                                              body: testBytes(count: 150_000, seed: seed),
                                              options: PutOptions(storageClass: "GLACIER"))
        }
        return try bucket.context(policies: ["falkordb.yaml": policy], now: now)
    }

    @Test func withoutWaitRequestsRestoreOnlyForTheChosenSetAndDownloadsNothing() async throws {
        try await ScratchBucket.with(.moto, purpose: "retrieve-nowait") { bucket in
            let context = try await Self.seed(bucket)
            // The premise: an archived object cannot be read before a restore.
            await #expect { _ = try await bucket.client.getObject(bucket: bucket.name, key: Self.key("20261124_020000")) }
                throws: { ($0 as? S3Error)?.code == .invalidObjectState }
            let at = try #require(ISO8601DateFormatter().date(from: "2026-11-24T12:00:00Z"))
            let report = try await Retriever(context: context)
                .retrieve(component: "falkordb", selector: .at(at), destination: nil)
            #expect(report.setID == "2026-11-24T02:00:00Z")
            #expect(report.members.map(\.key) == [Self.key("20261124_020000")])
            #expect(report.members.map(\.state) == [.requested])
            #expect(report.written.isEmpty)
            // The server holds a restore for the chosen set's object and for no other.
            for (stamp, _) in Self.sets {
                let head = try await bucket.client.headObject(bucket: bucket.name, key: Self.key(stamp))
                #expect((head.restore != nil) == (stamp == "20261124_020000"), "\(stamp): \(String(describing: head.restore))")
            }
            // A second call finds the restore (done at once on moto) and requests nothing.
            let again = try await Retriever(context: context)
                .retrieve(component: "falkordb", selector: .id("2026-11-24T02:00:00Z"), destination: nil)
            #expect(again.members.map(\.state) == [.restored])
        }
    }

    @Test func waitPollsThenDownloadsByteIdenticalFiles() async throws {
        try await ScratchBucket.with(.moto, purpose: "retrieve-wait") { bucket in
            let context = try await Self.seed(bucket)
            let directory = try makeScratchDirectory("retrieve")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let slept = Mutex<[Duration]>([])
            let events = Mutex<[Retriever.Event]>([])
            var retriever = Retriever(context: context)
            retriever.tier = .bulk
            retriever.backoff = .init(initial: .seconds(30), maximum: .seconds(600))
            retriever.sleep = { duration in slept.withLock { $0.append(duration) } }
            retriever.progress = { event in events.withLock { $0.append(event) } }
            let report = try await retriever.retrieve(component: "falkordb", selector: .at(Self.now), destination: directory)
            #expect(report.setID == "2026-11-25T02:00:00Z")
            #expect(report.members.map(\.state) == [.restored])
            // One poll after requesting (moto restores at once), with the configured first delay.
            #expect(slept.withLock { $0 } == [.seconds(30)])
            #expect(events.withLock { $0 }.contains(.waiting(ready: 0, total: 1, next: .seconds(30))))
            #expect(events.withLock { $0 }.contains(.downloading(objects: 1, bytes: 150_000)))
            let path = directory + "/20261125_020000/dump.rdb"
            #expect(report.written.map(\.path) == [path])
            #expect(report.written.first?.size == 150_000)
            #expect(report.written.first?.verification == "md5-etag")
            let bytes = try #require(FileManager.default.contents(atPath: path))
            #expect(Array(bytes) == testBytes(count: 150_000, seed: 3))
            // Nothing but the file: no partial leftovers.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/20261125_020000") == ["dump.rdb"])
        }
    }

    /// Issue 18: a server with no archive tier refuses RestoreObject (SeaweedFS 405, RGW 501)
    /// for an object labelled GLACIER that it serves as it is. `retrieve` reads one byte to
    /// find that out, says "the server has no archive tier", and downloads the set.
    @Test(arguments: TestServer.allCases.filter { $0.lacks(.noArchiveTier) })
    func aServerWithoutAnArchiveTierServesTheSetAsItIs(server: TestServer) async throws {
        try await ScratchBucket.with(server, purpose: "retrieve-no-tier") { bucket in
            let context = try await Self.seed(bucket)
            let report = try await Retriever(context: context).retrieve(component: "falkordb", selector: .at(Self.now),
                                                                        destination: nil)
            #expect(report.members.map(\.state) == [.noArchiveTier])
            #expect(report.members.map(\.storageClass) == ["GLACIER"])
            #expect(report.notes.contains("the server has no archive tier: it refused RestoreObject, and the 1 object(s) labelled GLACIER or DEEP_ARCHIVE read as they are"))
            let directory = try makeScratchDirectory("retrieve-no-tier")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var retriever = Retriever(context: context)
            retriever.sleep = { _ in Issue.record("nothing to wait for") }
            let written = try await retriever.retrieve(component: "falkordb", selector: .at(Self.now), destination: directory)
            #expect(written.written.map(\.size) == [150_000])
            let bytes = try #require(FileManager.default.contents(atPath: directory + "/20261125_020000/dump.rdb"))
            #expect(Array(bytes) == testBytes(count: 150_000, seed: 3))
        }
    }

    @Test func unknownComponentAndMissingSetsAreClearErrors() async throws {
        try await ScratchBucket.with(.moto, purpose: "retrieve-errors") { bucket in
            let context = try await Self.seed(bucket)
            let retriever = Retriever(context: context)
            let early = try #require(ISO8601DateFormatter().date(from: "2026-11-01T00:00:00Z"))
            await #expect { _ = try await retriever.retrieve(component: "nope", selector: .at(Self.now), destination: nil) }
                throws: { error in
                    guard let error = error as? StrataError else { return false }
                    return error.kind == .configuration && error.message.contains("unknown component 'nope'")
                        && error.message.contains("falkordb")
                }
            await #expect { _ = try await retriever.retrieve(component: "falkordb", selector: .at(early), destination: nil) }
                throws: { error in
                    guard let error = error as? StrataError else { return false }
                    return error.kind == .failure && error.message.contains("no kept set at or before 2026-11-01T00:00:00Z")
                        && error.message.contains("2026-11-23T02:00:00Z")
                }
            await #expect { _ = try await retriever.retrieve(component: "falkordb", selector: .id("2026-11-22T02:00:00Z"), destination: nil) }
                throws: { ($0 as? StrataError)?.kind == .failure }
            // None of the failed calls requested a restore.
            for (stamp, _) in Self.sets {
                #expect(try await bucket.client.headObject(bucket: bucket.name, key: Self.key(stamp)).restore == nil)
            }
            // Waiting gives up when the next poll would pass the timeout, having written nothing.
            let directory = try makeScratchDirectory("retrieve-timeout")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var impatient = Retriever(context: context)
            impatient.backoff = .init(initial: .seconds(30), timeout: .seconds(10))
            impatient.sleep = { _ in Issue.record("slept past the timeout") }
            await #expect { _ = try await impatient.retrieve(component: "falkordb", selector: .at(Self.now), destination: directory) }
                throws: { error in
                    guard let error = error as? StrataError else { return false }
                    return error.kind == .failure && error.message.contains("1 of 1 objects of set 2026-11-25T02:00:00Z still not restored")
                }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: Self.key("20261125_020000")).restore != nil)
        }
    }
}

/// `Retriever` when the server's answers are absurd (a fault proxy in front of RGW).
@Suite(.enabled(if: TestServers.shouldRun, "needs tools/s3-server (RGW)"))
struct RetrieveFaultTests {
    /// A HEAD's Content-Length is the server's word: two members each claiming 2^63-1 bytes fail
    /// the retrieval with a clear error; adding their sizes up for the progress report trapped.
    @Test func absurdContentLengthsFailClearlyNeverTrap() async throws {
        try await ScratchBucket.with(.rgw, purpose: "retrieve-absurd-length") { bucket in
            for name in ["dump.rdb", "extra.rdb"] {
                try await bucket.client.putObject(bucket: bucket.name, key: "falkordb/20261124_020000/\(name)", body: testBytes(count: 1_000, seed: 3))
            }
            let policies = try PolicySet.load(files: [PolicySource(path: "falkordb.yaml", contents: """
                component: falkordb
                prefix: falkordb/
                layout: "falkordb/{time:%Y%m%d_%H%M%S}/{file}"
                retention:
                  keep_last: 3
                """)])
            let target = try makeScratchDirectory("retrieve-absurd-length")
            defer { try? FileManager.default.removeItem(atPath: target) }
            try await SweepFaultTests.throughProxy(bucket) { context, proxy in
                let context = StrataContext(client: context.client, bucket: bucket.name, policies: policies, logger: ScratchBucket.logger,
                                            now: { RetrieveTests.now })
                proxy.inject(.addAnswerHeaders(["content-length": String(Int64.max)]), times: 1_000) { $0.method == .HEAD }
                var retriever = Retriever(context: context)
                retriever.sleep = { _ in }
                // As `strata retrieve --wait` sets it: the sizes are added up for it.
                retriever.progress = { _ in }
                let error = await #expect(throws: StrataError.self) {
                    _ = try await retriever.retrieve(component: "falkordb", selector: .id("2026-11-24T02:00:00Z"), destination: target)
                }
                #expect(error?.description.contains("is outside S3's 0 to 5497558138880 bytes") == true, "\(String(describing: error))")
                #expect(proxy.injected >= 2)
            }
        }
    }
}

/// The parts of `Retriever` that need no server.
@Suite struct RetrieveUnitTests {
    @Test func backoffGrowsAndIsCapped() {
        let backoff = Retriever.Backoff(initial: .seconds(1), maximum: .seconds(5), multiplier: 2)
        #expect((0..<5).map(backoff.delay(attempt:)) == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        let fast = Retriever.Backoff(initial: .milliseconds(10), maximum: .milliseconds(25))
        #expect(fast.delay(attempt: 1) == .milliseconds(20))
        #expect(fast.delay(attempt: 2) == .milliseconds(25))
    }

    /// What retrieve reads from backup.info: the planner's parser and segment positions.
    @Test func backupInfoEntryAndWALPositions() {
        let info = """
            [backup:current]
            20251101-020000F={"backup-archive-start":"000000010000000000000004","backup-archive-stop":"000000010000000000000005"}
            20251102-020000F_20251102-120000I={"backup-prior":"20251101-020000F","backup-reference":["20251101-020000F"]}

            [db]
            db-id=1
            """
        let entries = PgBackRest.parseBackupInfo(info)
        #expect(entries["20251101-020000F"]?.archiveStop == "000000010000000000000005")
        #expect(entries["20251102-020000F_20251102-120000I"]?.prior == "20251101-020000F")
        #expect(entries["20251103-020000F"] == nil)
        #expect(PgBackRest.segmentPosition("0000000200000001000000A0") == (1 << 32 | 0xA0))
        #expect(PgBackRest.segmentPosition("00000001000000000000000") == nil)
    }
}
