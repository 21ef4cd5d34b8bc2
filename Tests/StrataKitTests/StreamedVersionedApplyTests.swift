import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// `sweep --apply` of a versioned bucket, planned key by key by the streaming planner and carried
/// out by the streaming executor, does to a real bucket what the in-memory sweep does: the same
/// versions and delete markers left, the same counts; and the deletion floor, which counts only
/// deletions of current objects, tells them apart from deletions of noncurrent versions.
@Suite(.serialized) struct StreamedVersionedApplyTests {
    /// The shipped policies, each with `noncurrent: {expire_after: 1d}`.
    static func expiringPolicies() throws -> [String: String] {
        try StreamedDryRunTests.policies().mapValues { $0 + "\nnoncurrent:\n  expire_after: 1d\n" }
    }

    /// An instant three days from now: the versions written now have been noncurrent longer
    /// than `expire_after: 1d` by then.
    static func later() -> Date { Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3 * 86_400).rounded(.down)) }

    /// `bucket` versioned and seeded, then with keys written again (noncurrent versions, the
    /// newest falkordb set's among them) and deleted (delete markers; a vault set hidden).
    static func seedVersioned(_ bucket: ScratchBucket) async throws {
        try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
        _ = try StreamedDryRunTests.seeded(bucket)
        let keys = try await bucket.keys()
        let vault = keys.filter { $0.hasPrefix("vault/") }.sorted()
        let qdrant = keys.filter { $0.hasPrefix("qdrant/") }.sorted()
        let falkordb = keys.filter { $0.hasPrefix("falkordb/") }.sorted()
        try #require(vault.count > 4 && qdrant.count > 4 && falkordb.count > 4)
        for key in [vault[0], vault[2], qdrant[1], falkordb[falkordb.count - 1]] {
            try await bucket.client.putObject(bucket: bucket.name, key: key, body: Array("again".utf8))
        }
        for key in [vault[1], qdrant[3], falkordb[0]] { try await bucket.client.deleteObject(bucket: bucket.name, key: key) }
    }

    /// Every key's versions, newest first, each as marker or data with its size and class, and
    /// whether it is the latest: what two buckets seeded alike can be compared by (their
    /// version ids differ).
    static func versions(_ bucket: ScratchBucket) async throws -> [String: [String]] {
        var state: [String: [String]] = [:]
        for try await page in bucket.client.listObjectVersions(bucket: bucket.name) {
            for version in page.versions where !version.key.hasPrefix(StrataPaths.reservedPrefix) {
                let shown = version.isDeleteMarker ? "marker" : "\(version.size) \(version.storageClass)"
                state[version.key, default: []].append(shown + (version.isLatest ? " latest" : ""))
            }
        }
        return state
    }

    /// `bucket` seeded as ``seedVersioned(_:)`` and swept under ``expiringPolicies()`` three
    /// days from now, from a listing or from an inventory report of every version, streamed or
    /// in memory; the in-memory dry run made just before, the result, and the versions left.
    static func sweep(_ bucket: ScratchBucket, force: Bool, report: Bool, streamed: Bool) async throws -> (dryRun: Plan, result: Sweep.Result, left: [String: [String]]) {
        try await seedVersioned(bucket)
        let now = later()
        let context = try bucket.context(policies: try expiringPolicies(), now: now)
        let journal = try makeScratchDirectory("versioned-apply"), reports = try makeScratchDirectory("versioned-report")
        defer {
            try? FileManager.default.removeItem(atPath: journal)
            try? FileManager.default.removeItem(atPath: reports)
        }
        var sweep = Sweep(context: context, options: PlanOptions(force: force), now: now, journal: .directory(journal))
        sweep.leaseSettle = .milliseconds(10)
        if report {
            let manifest = try StreamedDryRunTests.makeReport(bucket, in: reports, versions: true)
            sweep.source = .report(.file(manifest), maximumAge: 1e9)
        }
        let dryRun = try await sweep.run(apply: false).plan
        if streamed {
            // The streamed dry run, a report's rows sorted into key runs first, is the same plan.
            let plan = try await sweep.streamedDryRun(spoolDirectory: journal)
            var json = Data()
            try plan.writeJSON { json.append(contentsOf: $0) }
            #expect(firstDifference(json, try dryRun.jsonData()) == nil)
        }
        let result = streamed ? try await sweep.streamedApply(spoolDirectory: journal) : try await sweep.run(apply: true)
        if streamed {
            // The planned actions, journaled in parts, are the dry run's.
            let entry = try StreamedApplyTests.entry(in: journal)
            let log = SweepJournal(context: context, location: .directory(journal))
            var parted: [PlanAction] = []
            for part in 0..<(try #require(entry.actionParts)) {
                let data = try Data(contentsOf: URL(fileURLWithPath: log.actionsPartLocation(runID: entry.runID, part: part)))
                parted += try JSONCoding.decoder.decode([PlanAction].self, from: data)
            }
            #expect(parted == dryRun.actions)
            #expect(entry.status == .completed)
        }
        return (dryRun, result, try await versions(bucket))
    }

    /// Arguments: `--force`, and whether the sweep reads an inventory report of every version
    /// (its rows in the order `ListObjectVersions` gives versions, then markers) or lists.
    @Test("a versioned bucket's streamed apply leaves the versions and markers the in-memory apply leaves",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func versionedApplyEqualsInMemory(force: Bool, report: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "versioned-memory") { memoryBucket in
            try await ScratchBucket.with(.rgw, purpose: "versioned-streamed") { streamedBucket in
                let memory = try await Self.sweep(memoryBucket, force: force, report: report, streamed: false)
                let streamed = try await Self.sweep(streamedBucket, force: force, report: report, streamed: true)
                let checked = try #require(streamed.result.streamed, "the versioned bucket was applied by the streaming executor")
                #expect(streamed.left == memory.left)
                let memoryOutcome = try #require(memory.result.outcome), streamedOutcome = try #require(streamed.result.outcome)
                #expect(streamedOutcome.done == memoryOutcome.done)
                #expect(streamedOutcome.failures == memoryOutcome.failures)
                #expect(streamedOutcome.failures.isEmpty)
                // The checked plan, as printed with --json, is the plan of the bucket as it was.
                var json = Data()
                try checked.writeJSON { json.append(contentsOf: $0) }
                #expect(json == (try streamed.dryRun.jsonData()))
                // What the comparison is for: noncurrent versions and markers were removed.
                #expect(streamed.dryRun.components.contains { $0.noncurrent.contains { $0.decision == .expire } })
                #expect(streamedOutcome.done.markersRemoved > 0)
                #expect(streamedOutcome.done.deletes > 0)
            }
        }
    }

    @Test("the deletion floor counts a streamed plan's deletions of current objects, not of noncurrent versions")
    func theFloorTellsCurrentFromNoncurrent() async throws {
        try await ScratchBucket.with(.rgw, purpose: "versioned-floor") { bucket in
            try await Self.seedVersioned(bucket)
            // The sweep's policies keep 40 vault sets; the plan is made under one that keeps the
            // 3 newest, as a bug in the rule engine might. The newest falkordb set's key has a
            // noncurrent version the plan deletes: that takes no set, and falkordb is not withheld.
            let (strict, loose) = try StreamedApplyTests.strictAndLoose(try Self.expiringPolicies())
            let now = Self.later()
            let strictContext = try bucket.context(policies: strict, now: now)
            let looseContext = try bucket.context(policies: loose, now: now)
            let before = try await Self.versions(bucket)
            let falkordbNewest = try #require(before.keys.filter { $0.hasPrefix("falkordb/") }.max())
            try #require(before[falkordbNewest]?.count == 2)

            let scratch = try makeScratchDirectory("versioned-floor")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let maker = PlanMaker(context: looseContext, options: PlanOptions(force: true, components: ["vault", "falkordb"]))
            let (outcome, _) = try await StreamedApplyTests.applyUnderFloor(maker: maker, executor: strictContext, now: now, scratch: scratch)
            #expect(outcome.failures.contains { $0.hasPrefix("floor: vault") })
            #expect(!outcome.failures.contains { $0.hasPrefix("floor: falkordb") }, "\(outcome.failures)")
            let after = try await Self.versions(bucket)
            // vault: withheld whole. falkordb: its newest set's old version went, the set stayed.
            #expect(after.filter { $0.key.hasPrefix("vault/") } == before.filter { $0.key.hasPrefix("vault/") })
            #expect(after[falkordbNewest] == ["5 STANDARD latest"])
            #expect(outcome.done.deletes > 0)
        }
    }
}
