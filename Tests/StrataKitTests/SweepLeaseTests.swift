import Foundation
import NIOHTTP1
import Retention
import S3
import StrataKit
import StrataTestSupport
import Synchronization
import Testing

/// The sweep lease against the real RGW: a server that ignores conditional writes, contenders
/// racing for an expired lease, renewals of a long sweep, fencing and a killed sweep's lease.
/// Outcomes are asserted (who holds it, what was written or deleted), never durations.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized)
struct SweepLeaseTests {
    static let timing = SweepLease.Timing(ttl: 60, settle: .milliseconds(200))

    /// A context on `bucket` with the real clock.
    static func context(_ bucket: ScratchBucket, policies: PolicySet? = nil) -> StrataContext {
        StrataContext(client: bucket.client, bucket: bucket.name, policies: policies, logger: ScratchBucket.logger)
    }

    /// The lease, or `nil` when acquiring it failed with `lockHeld` (any other error fails the test).
    static func tryAcquire(_ context: StrataContext, _ runID: String, _ timing: SweepLease.Timing = timing) async throws -> SweepLease? {
        do {
            return try await SweepLease.acquire(context: context, runID: runID, timing: timing)
        } catch let error as StrataError where error.kind == .lockHeld {
            return nil
        }
    }

    /// Of `leases`, those whose fence still passes.
    static func passingFence(_ leases: [SweepLease]) async -> [SweepLease] {
        var passing: [SweepLease] = []
        for lease in leases where (try? await lease.check()) != nil { passing.append(lease) }
        return passing
    }

    /// Writes a lease record as another (dead or live) sweep left it.
    static func plant(_ context: StrataContext, runID: String, expiresIn seconds: TimeInterval) async throws {
        let now = Date()
        let record = SweepLease.Record(holder: "gone-host:4242", runID: runID, acquiredAt: now.addingTimeInterval(-3600),
                                       expiresAt: now.addingTimeInterval(seconds))
        try await context.client.putObject(bucket: context.bucket, key: StrataPaths.lockKey,
                                           body: Array(try JSONCoding.encoder.encode(record)))
    }

    static func isLeaseWrite(_ head: HTTPRequestHead) -> Bool { head.method == .PUT && head.uri.contains(".strata/lock") }

    @Test func aServerIgnoringIfNoneMatchDoesNotLetASecondSweepOverwriteALiveLease() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-ignored") { bucket in
            try await SweepFaultTests.throughProxy(bucket) { context, proxy in
                // The fault works: through it a conditional create overwrites an existing key. (A
                // conditional PUT is not retried after a timeout, so on a loaded machine the probe
                // tries again itself; overwriting twice proves the same.)
                try await bucket.client.putObject(bucket: bucket.name, key: "probe", body: Array("1".utf8))
                proxy.inject(.ignoreConditions(), times: 3) { $0.method == .PUT && $0.uri.contains("probe") }
                for attempt in 1...3 {
                    do {
                        try await context.client.putObject(bucket: bucket.name, key: "probe", body: Array("2".utf8),
                                                           options: PutOptions(ifNoneMatch: true))
                        break
                    } catch is S3TransportError where attempt < 3 {}
                }
                #expect(try await bucket.client.getObject(bucket: bucket.name, key: "probe").body == Array("2".utf8))
                let probes = proxy.injected

                proxy.inject(.ignoreConditions(), times: 10, when: Self.isLeaseWrite)
                let first = try await SweepLease.acquire(context: context, runID: "run-first", timing: Self.timing)
                let before = try await SweepLease.read(context: context)
                let error = await #expect(throws: StrataError.self) {
                    try await SweepLease.acquire(context: context, runID: "run-second", timing: Self.timing)
                }
                #expect(error?.kind == .lockHeld)
                #expect(error?.message.contains("run run-first") == true, "names the holder: \(error?.message ?? "")")
                #expect(proxy.injected == probes + 1, "the second acquirer wrote nothing")
                #expect(try await SweepLease.read(context: context) == before)
                try await first.check()
                await first.release()
            }
        }
    }

    @Test func twoAcquirersRacingThroughAServerIgnoringConditionsEndWithOneHolder() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-ignored-race") { bucket in
            try await SweepFaultTests.throughProxy(bucket) { context, proxy in
                var raced = 0
                for round in 1...3 {
                    // Both writes are held back, so both acquirers read "no lease" before either lands.
                    let writesBefore = proxy.injected
                    proxy.inject(.ignoreConditions(after: .milliseconds(500)), times: 2, when: Self.isLeaseWrite)
                    async let a = Self.tryAcquire(context, "run-a\(round)")
                    async let b = Self.tryAcquire(context, "run-b\(round)")
                    let acquired = try await [a, b].compactMap { $0 }
                    let passing = await Self.passingFence(acquired)
                    #expect(passing.count == 1, "round \(round): \(acquired.count) acquired, \(passing.count) passed the fence")
                    if proxy.injected - writesBefore == 2 { raced += 1 }
                    #expect(try await SweepLease.current(context: context)?.runID == passing.first?.runID)
                    for lease in acquired { await lease.release() }
                    #expect(try await SweepLease.current(context: context) == nil)
                }
                #expect(raced >= 1, "in some round both acquirers wrote")
            }
        }
    }

    @Test func twoContendersTakingOverAnExpiredLeaseLeaveExactlyOneWinner() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-takeover-race") { bucket in
            try await SweepFaultTests.throughProxy(bucket) { context, proxy in
                var raced = 0
                for round in 1...5 {
                    try await Self.plant(context, runID: "run-dead\(round)", expiresIn: -1)
                    let writesBefore = proxy.injected
                    // Both read the expired lease before either takeover lands: If-Match decides.
                    proxy.inject(.delay(.milliseconds(400)), times: 2, when: Self.isLeaseWrite)
                    async let a = Self.tryAcquire(context, "run-a\(round)")
                    async let b = Self.tryAcquire(context, "run-b\(round)")
                    let winners = try await [a, b].compactMap { $0 }
                    #expect(winners.count == 1, "round \(round): \(winners.map(\.runID))")
                    if proxy.injected - writesBefore == 2 { raced += 1 }
                    #expect(try await SweepLease.current(context: context)?.runID == winners.first?.runID)
                    #expect(await Self.passingFence(winners).count == winners.count)
                    for lease in winners { await lease.release() }
                }
                #expect(raced >= 1, "in some round both contenders sent their takeover")
            }
        }
    }

    @Test func renewalsKeepALeaseHeldWhileItsHolderOutlivesSeveralLifetimes() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-renewal") { bucket in
            let context = Self.context(bucket)
            let timing = SweepLease.Timing(ttl: 3, settle: .milliseconds(100))
            let first = try await SweepLease.withLease(context: context, runID: "run-long", timing: timing) { lease in
                let taken = lease.record
                // Five renewals, one a second: the first lifetime is long over without them.
                let deadline = ContinuousClock.now + .seconds(120)
                while lease.renewals < 5, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                #expect(lease.renewals >= 5)
                #expect(try await Self.tryAcquire(context, "run-second", timing) == nil, "the renewed lease is still live")
                try await lease.check()
                #expect(lease.loss == nil)
                #expect(try await SweepLease.current(context: context)?.runID == "run-long")
                #expect(lease.record.expiresAt > taken.expiresAt.addingTimeInterval(timing.ttl))
                return lease
            }
            #expect(first.renewals >= 5)
            #expect(try await SweepLease.current(context: context) == nil, "released at the end of the scope")
        }
    }

    @Test func renewalsThatFailForAMomentAreTriedAgainAtTheNextTick() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-renewal-faults") { bucket in
            try await SweepFaultTests.throughProxy(bucket) { context, proxy in
                let timing = SweepLease.Timing(ttl: 6, settle: .milliseconds(100))
                try await SweepLease.withLease(context: context, runID: "run-flaky", timing: timing) { lease in
                    // The next two renewals lose their connection (a conditional PUT is not resent).
                    proxy.inject(.reset, times: 2, when: Self.isLeaseWrite)
                    let deadline = ContinuousClock.now + .seconds(120)
                    while proxy.injected < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    let afterFaults = lease.renewals
                    while lease.renewals < afterFaults + 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    #expect(proxy.injected == 2)
                    #expect(lease.renewals >= afterFaults + 2, "renewals go on after the failed ones")
                    #expect(lease.loss == nil)
                    try await lease.check()
                    #expect(try await SweepLease.current(context: context)?.runID == "run-flaky")
                }
            }
        }
    }

    @Test func aKilledSweepsLeaseIsTakenOverOnceExpiredButNotBefore() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-killed") { bucket in
            let context = Self.context(bucket)
            try await Self.plant(context, runID: "run-killed", expiresIn: 120)
            let error = await #expect(throws: StrataError.self) {
                try await SweepLease.acquire(context: context, runID: "run-retry", timing: Self.timing)
            }
            #expect(error?.kind == .lockHeld)
            #expect(error?.message.contains("gone-host:4242, run run-killed") == true, "\(error?.message ?? "")")

            try await Self.plant(context, runID: "run-killed", expiresIn: -1)
            let lease = try await SweepLease.acquire(context: context, runID: "run-retry", timing: Self.timing)
            #expect(try await SweepLease.current(context: context)?.runID == "run-retry")
            await lease.release()

            // Something that is not a lease record at all is taken over too.
            try await context.client.putObject(bucket: bucket.name, key: StrataPaths.lockKey, body: Array("garbage".utf8))
            let again = try await SweepLease.acquire(context: context, runID: "run-after-garbage", timing: Self.timing)
            #expect(try await SweepLease.current(context: context)?.runID == "run-after-garbage")
            await again.release()
        }
    }

    /// Regression: Ceph RGW 16 ignores `If-None-Match` and refuses every `If-Match` PUT in a
    /// versioned bucket. Renewals then never landed (the lease expired under a long sweep), and
    /// an expired lease could never be taken over ("changed hands 6 times").
    @Test func inAVersionedBucketRenewalsLandAndAnExpiredLeaseIsTakenOver() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-versioned") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            let context = Self.context(bucket)
            let timing = SweepLease.Timing(ttl: 3, settle: .milliseconds(100))
            try await SweepLease.withLease(context: context, runID: "run-versioned", timing: timing) { lease in
                let deadline = ContinuousClock.now + .seconds(120)
                while lease.renewals < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                #expect(lease.renewals >= 2)
                #expect(try await Self.tryAcquire(context, "run-second", timing) == nil, "the renewed lease is still live")
                try await lease.check()
            }
            try await Self.plant(context, runID: "run-killed", expiresIn: -1)
            let taken = try await SweepLease.acquire(context: context, runID: "run-retry", timing: Self.timing)
            #expect(try await SweepLease.current(context: context)?.runID == "run-retry")
            await taken.release()
        }
    }

    /// Who takes the lease away from a running sweep.
    enum Interloper: String, Sendable, CaseIterable {
        /// An operator runs `strata unlock`.
        case unlock
        /// Another run's record replaces ours (a server that ignored our conditions).
        case overwrite
    }

    static let vaultPolicy = """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
        retention:
          keep_last: 1
        guards:
          max_delete_fraction: 1.0
        """

    /// Both ways a sweep applies: in memory, and `streamed` (``Sweep/streamedApply(spoolDirectory:)``).
    @Test(arguments: Interloper.allCases, [false, true])
    func aSweepThatLostItsLeaseStopsBeforeItsNextDeleteBatch(_ interloper: Interloper, streamed: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "lease-fence-\(interloper.rawValue)") { bucket in
            let now = ISO8601DateFormatter().date(from: "2026-12-30T00:00:00Z")!
            let policies = try bucket.context(policies: ["vault.yaml": Self.vaultPolicy], now: now).policies
            let context = Self.context(bucket, policies: policies)
            for day in 1...8 {
                try await bucket.client.putObject(bucket: bucket.name, key: "vault/202612\(String(format: "%02d", day))_020000.snap",
                                                  body: Array("set \(day)".utf8))
            }
            let journal = try makeScratchDirectory("lease-fence")
            defer { try? FileManager.default.removeItem(atPath: journal) }
            var sweep = Sweep(context: context, options: PlanOptions(force: true), now: now, journal: .directory(journal), lockTTL: 60)
            sweep.leaseSettle = .milliseconds(100)
            sweep.executor.deleteBatchSize = 2
            let batches = BatchCounter()
            sweep.executor.afterStep = { step in
                guard step == .deleteBatch, batches.increment() == 1 else { return }
                switch interloper {
                case .unlock: _ = try? await SweepLease.remove(context: context)
                case .overwrite: try? await Self.plant(context, runID: "run-interloper", expiresIn: 60)
                }
            }
            let error = await #expect(throws: StrataError.self) {
                if streamed { _ = try await sweep.streamedApply(spoolDirectory: journal) } else { _ = try await sweep.run(apply: true) }
            }
            #expect(error?.kind == .lockHeld)
            #expect(error?.message.contains("stopped before deleting") == true, "\(error?.message ?? "")")
            #expect(batches.count == 1, "no delete batch after the lease was lost")
            #expect(try await bucket.keys(prefix: "vault/").count == 6, "one batch of two deleted, then stopped")
            let entry = try await SweepJournal(context: context, location: .directory(journal)).latest()
            #expect(entry?.status == .failed)
            #expect(entry?.failures.contains { $0.contains("lost the sweep lease") } == true)
            let left = try await SweepLease.current(context: context)
            #expect(left?.runID == (interloper == .overwrite ? "run-interloper" : nil), "the winner's lease is left alone")
        }
    }
}

/// Delete batches a sweep reported, shared with its `afterStep` hook.
final class BatchCounter: Sendable {
    private let value = Mutex(0)
    /// Counts one more and returns the count.
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    /// The count.
    var count: Int { value.withLock { $0 } }
}

/// `strata unlock` as an operator runs it.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct SweepLeaseCommandTests {
    @Test func unlockNamesTheHolderRemovesTheLeaseAndIsQuietWithoutOne() throws {
        try SweepEndToEndTests.withSeededBucket(years: 0.02) { harness in
            let none = try harness.strata(["unlock"])
            #expect(none.status == 0, "\(none.stderr)")
            #expect(none.stdoutText.contains("no sweep lease is held on s3://\(harness.bucket)/.strata/lock"))

            let put = try ProcessRunner(environment: harness.environment).run(["python3", "-c", """
                import boto3, sys
                body = '{"acquiredAt":"2026-11-25T10:00:00Z","expiresAt":"2026-11-25T10:03:00Z","holder":"sweeper-7:99","runID":"20261125T100000Z-abc"}'
                boto3.client("s3", endpoint_url=sys.argv[1]).put_object(Bucket=sys.argv[2], Key=".strata/lock", Body=body)
                """, harness.servers.rgwEndpoint, harness.bucket])
            try #require(put.status == 0, "\(put.stderr)")
            let unlock = try harness.strata(["unlock"])
            #expect(unlock.status == 0, "\(unlock.stderr)")
            #expect(unlock.stdoutText.contains("sweeper-7:99, run 20261125T100000Z-abc, since 2026-11-25T10:00:00Z, expires 2026-11-25T10:03:00Z (expired"),
                    "\(unlock.stdoutText)")
            #expect(try harness.strata(["unlock"]).stdoutText.contains("no sweep lease is held"))
            struct Report: Decodable { var removed: Bool }
            let json = try harness.strata(["unlock", "--json"])
            #expect(json.status == 0)
            #expect(try JSONDecoder().decode(Report.self, from: json.stdout).removed == false)
        }
    }
}
