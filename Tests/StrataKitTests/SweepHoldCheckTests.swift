import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// Holds (`strata-hold`, Object Lock) and what checking them costs, on the real RGW: a sweep
/// checks each object it deletes once, as late as it can, and asks per object only where a hold
/// can matter; the deletions go out in concurrent batches. Unversioned buckets are checked both
/// ways a sweep applies (`streamed`: ``Sweep/streamedApply(spoolDirectory:)``, in bounded memory).
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized)
struct SweepHoldCheckTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T...

    static func policy(keepTagged: Bool? = nil, keepLast: Int = 2) -> String {
        """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
        retention:
          keep_last: \(keepLast)
        \(keepTagged.map { "  keep_tagged: \($0)" } ?? "")
        guards:
          max_delete_fraction: 1.0
        """
    }

    /// Six daily sets, oldest first.
    static let keys = (1...6).map { "vault/2026111\($0)_020000.snap" }

    static func seed(_ bucket: ScratchBucket) async throws {
        for key in keys { try await bucket.client.putObject(bucket: bucket.name, key: key, body: Array(key.utf8)) }
    }

    /// Requests `body` made, by operation.
    static func requests(_ client: S3Client, _ body: () async throws -> Void) async throws -> [String: Int] {
        let before = client.statistics.requestsByOperation
        try await body()
        return client.statistics.requestsByOperation.reduce(into: [:]) { delta, entry in
            let added = entry.value - (before[entry.key] ?? 0)
            if added > 0 { delta[entry.key] = added }
        }
    }

    static func sweep(_ context: StrataContext, purpose: String, at time: Date = SweepHoldCheckTests.now) throws -> Sweep {
        var sweep = Sweep(context: context, options: PlanOptions(), now: time,
                          journal: .directory(try makeScratchDirectory(purpose)), lockTTL: 60)
        sweep.leaseSettle = .milliseconds(50)
        return sweep
    }

    /// Applies `sweep`, streamed or in memory; what it did.
    static func apply(_ sweep: Sweep, streamed: Bool) async throws -> SweepOutcome? {
        guard streamed else { return try await sweep.run(apply: true).outcome }
        return try await sweep.streamedApply(spoolDirectory: NSTemporaryDirectory()).outcome
    }

    /// A set tagged `strata-hold` before the sweep is kept; each object the sweep deletes (or
    /// would, but for the hold) had its tags read once, and an unversioned bucket needs no HEAD.
    @Test(arguments: [false, true]) func aHeldSetIsKeptAndEachCandidateIsCheckedOnce(streamed: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-once") { bucket in
            try await Self.seed(bucket)
            try await bucket.client.putObjectTagging(bucket: bucket.name, key: Self.keys[1], tags: [Planner.holdTag: "audit"])
            let context = try bucket.context(policies: ["vault.yaml": Self.policy()], now: Self.now)
            var outcome: SweepOutcome?
            let requests = try await Self.requests(bucket.client) {
                outcome = try await Self.apply(Self.sweep(context, purpose: "hold-once"), streamed: streamed)
            }
            #expect(try await bucket.keys(prefix: "vault/") == [Self.keys[1], Self.keys[4], Self.keys[5]])
            #expect(outcome?.done.deletes == 3)
            #expect(outcome?.failures == [])
            #expect(requests["GetObjectTagging"] == 4, "once per candidate (three deleted, one held): \(requests)")
            #expect(requests["HeadObject"] == nil, "an unversioned bucket holds no locks: \(requests)")
            #expect(requests["DeleteObjects"] == 1, "\(requests)")
            // Versioning is asked once per plan, streamed or not.
            #expect(requests["GetBucketVersioning"] == 2, "\(requests)")
        }
    }

    /// A hold placed after the sweep proposed its plan, before it deletes, still wins: the
    /// check is made in the plan made just before deleting.
    @Test func aHoldPlacedAfterTheProposalStillWins() async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-late") { bucket in
            try await Self.seed(bucket)
            let context = try bucket.context(policies: ["vault.yaml": Self.policy()], now: Self.now)
            let maker = PlanMaker(context: context)
            var proposer = maker
            proposer.holdCheck = .none
            let proposal = try await proposer.makePlan(now: Self.now).plan
            #expect(SweepSafetyNetTests.deletions(proposal) == Array(Self.keys[0..<4]))
            let journal = SweepJournal(context: context, location: .directory(try makeScratchDirectory("hold-late")))
            let client = bucket.client
            let name = bucket.name
            let outcome = try await SweepExecutor(context: context).apply(plan: proposal, runID: "hold-late", journal: journal) {
                try await client.putObjectTagging(bucket: name, key: Self.keys[2], tags: [Planner.holdTag: "late"])
                let (fresh, inventory) = try await maker.makePlan(now: Self.now)
                return SweepExecutor.Replanned(plan: fresh, inventory: inventory)
            }
            #expect(outcome.done.deletes == 3)
            #expect(outcome.done.skipped == 1)
            #expect(try await bucket.keys(prefix: "vault/") == [Self.keys[2], Self.keys[4], Self.keys[5]])
        }
    }

    /// The same, streamed: the hold placed between the proposal and the checked plan wins.
    @Test func aHoldPlacedAfterTheStreamedProposalStillWins() async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-late-streamed") { bucket in
            try await Self.seed(bucket)
            let context = try bucket.context(policies: ["vault.yaml": Self.policy()], now: Self.now)
            let scratch = try makeScratchDirectory("hold-late-streamed")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let maker = PlanMaker(context: context)
            var proposer = maker
            proposer.holdCheck = .none
            let proposal = try await proposer.makeStreamedPlan(now: Self.now, spoolDirectory: scratch)
            #expect(proposal.summary.totals.deletes == 4)
            let journal = SweepJournal(context: context, location: .directory(scratch))
            let client = bucket.client
            let name = bucket.name
            let (outcome, checked) = try await SweepExecutor(context: context).apply(
                streamed: proposal, runID: "hold-late-streamed", journal: journal, spoolDirectory: scratch) {
                    try await client.putObjectTagging(bucket: name, key: Self.keys[2], tags: [Planner.holdTag: "late"])
                    let (plan, objects) = try await maker.makeStreamedPlanAndSpool(now: Self.now, spoolDirectory: scratch)
                    return SweepExecutor.StreamedReplan(plan: plan, objects: objects)
                }
            #expect(outcome.done.deletes == 3)
            #expect(outcome.done.skipped == 1)
            #expect(checked.summary.totals.deletes == 3)
            #expect(try await bucket.keys(prefix: "vault/") == [Self.keys[2], Self.keys[4], Self.keys[5]])
        }
    }

    /// `keep_tagged: false`: tags cannot keep anything, so none are read.
    @Test(arguments: [false, true]) func withoutKeepTaggedNoTagIsRead(streamed: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-off") { bucket in
            try await Self.seed(bucket)
            try await bucket.client.putObjectTagging(bucket: bucket.name, key: Self.keys[1], tags: [Planner.holdTag: "ignored"])
            let context = try bucket.context(policies: ["vault.yaml": Self.policy(keepTagged: false)], now: Self.now)
            let requests = try await Self.requests(bucket.client) {
                _ = try await Self.apply(Self.sweep(context, purpose: "hold-off"), streamed: streamed)
            }
            #expect(try await bucket.keys(prefix: "vault/") == [Self.keys[4], Self.keys[5]])
            #expect(requests["GetObjectTagging"] == nil, "\(requests)")
        }
    }

    /// A versioned bucket without Object Lock: one bucket-level question per checked plan
    /// instead of a HEAD per version, and the sweep deletes the expired versions.
    @Test func aVersionedBucketWithoutObjectLockNeedsNoHeadPerVersion() async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-versioned") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            try await Self.seed(bucket)
            let context = try bucket.context(policies: ["vault.yaml": Self.policy(keepTagged: false)], now: Self.now)
            var outcome: SweepOutcome?
            let requests = try await Self.requests(bucket.client) {
                outcome = try await Self.sweep(context, purpose: "hold-versioned").run(apply: true).outcome
            }
            #expect(outcome?.done.deletes == 4)
            #expect(try await bucket.keys(prefix: "vault/") == [Self.keys[4], Self.keys[5]])
            var versions = 0
            for try await page in bucket.client.listObjectVersions(bucket: bucket.name, prefix: "vault/") { versions += page.versions.count }
            #expect(versions == 2, "expired versions deleted by id, no delete markers")
            #expect(requests["HeadObject"] == nil, "\(requests)")
            #expect(requests["GetObjectLockConfiguration"] == 1, "\(requests)")
        }
    }

    /// A delete marker takes no tags and no lock, so the sweep deletes the markers of expired
    /// hidden sets without reading their tags: one GetObjectTagging per data version deleted.
    /// (Three days after the writes, under `noncurrent: {expire_after: 1d}`.)
    @Test(arguments: [false, true]) func deleteMarkersAreNotChecked(streamed: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-markers") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            try await Self.seed(bucket)
            for key in Self.keys.prefix(2) { try await bucket.client.deleteObject(bucket: bucket.name, key: key) }
            let policy = Self.policy() + "\nnoncurrent:\n  expire_after: 1d\n"
            let later = StreamedVersionedApplyTests.later()
            let context = try bucket.context(policies: ["vault.yaml": policy], now: later)
            var outcome: SweepOutcome?
            let requests = try await Self.requests(bucket.client) {
                outcome = try await Self.apply(try Self.sweep(context, purpose: "hold-markers", at: later), streamed: streamed)
            }
            var left: [String] = []
            for try await page in bucket.client.listObjectVersions(bucket: bucket.name, prefix: "vault/") {
                left += page.versions.map { version in version.isDeleteMarker ? "marker \(version.key)" : version.key }
            }
            #expect(left.sorted() == [Self.keys[4], Self.keys[5]], "four data versions and two markers deleted")
            #expect(outcome?.failures == [])
            #expect(requests["GetObjectTagging"] == 4, "\(requests)")
        }
    }

    /// Many batches: all go (the first alone, the rest a few at once), and the sweep deletes
    /// exactly what the plan expires.
    @Test(arguments: [false, true]) func concurrentBatchesDeleteExactlyThePlan(streamed: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "hold-batches") { bucket in
            try await Self.seed(bucket)
            let context = try bucket.context(policies: ["vault.yaml": Self.policy(keepLast: 1)], now: Self.now)
            var sweep = try Self.sweep(context, purpose: "hold-batches")
            sweep.executor.deleteBatchSize = 1
            sweep.executor.batchesPerJournalWrite = 2
            var outcome: SweepOutcome?
            let requests = try await Self.requests(bucket.client) { outcome = try await Self.apply(sweep, streamed: streamed) }
            #expect(outcome?.done.deletes == 5)
            #expect(outcome?.failures == [])
            #expect(try await bucket.keys(prefix: "vault/") == [Self.keys[5]])
            #expect(requests["DeleteObjects"] == 5, "\(requests)")
        }
    }
}
