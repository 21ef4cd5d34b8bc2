import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// `sweep --apply` planned and carried out by the streaming planner and executor, in memory that
/// grows with the sets, does to a real bucket exactly what the in-memory sweep does: the same
/// objects left in the same classes, the same counts, the same checked plan, and the same planned
/// actions in the journal (in parts instead of one entry).
@Suite(.serialized) struct StreamedApplyTests {
    /// Every current key and its storage class.
    static func state(_ bucket: ScratchBucket) async throws -> [String: String] {
        var state: [String: String] = [:]
        for try await page in bucket.client.listObjects(bucket: bucket.name) {
            for object in page.objects where !object.key.hasPrefix(StrataPaths.reservedPrefix) { state[object.key] = object.storageClass }
        }
        return state
    }

    /// The one entry of a local journal.
    static func entry(in directory: String) throws -> SweepJournal.Entry {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        try #require(names.count == 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(names[0]))
        return try JSONCoding.decoder.decode(SweepJournal.Entry.self, from: data)
    }

    /// A plan's JSON without its `cost` figures (the plan's and each component's). These tests
    /// compare plans of two buckets seeded one after the other: their objects' Last-Modified
    /// differ, and the early-deletion charge counts whole hours of age from it, so two buckets
    /// seeded on either side of an hour differ there and nowhere else. Everything else is
    /// compared byte for byte, with the keys sorted.
    static func withoutCost(_ json: Data) throws -> Data {
        var plan = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        plan["cost"] = nil
        if let components = plan["components"] as? [[String: Any]] {
            plan["components"] = components.map { component in
                var component = component
                component["cost"] = nil
                return component
            }
        }
        return try JSONSerialization.data(withJSONObject: plan, options: [.sortedKeys])
    }

    @Test("a streamed apply leaves the bucket as the in-memory apply does", arguments: [false, true])
    func streamedApplyEqualsInMemory(force: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "applied-memory") { memoryBucket in
            try await ScratchBucket.with(.rgw, purpose: "applied-streamed") { streamedBucket in
                let memoryContext = try StreamedDryRunTests.seeded(memoryBucket)
                let streamedContext = try StreamedDryRunTests.seeded(streamedBucket)
                #expect(try await Self.state(memoryBucket) == (try await Self.state(streamedBucket)))
                let memoryJournal = try makeScratchDirectory("applied-memory"), streamedJournal = try makeScratchDirectory("applied-streamed")
                defer {
                    try? FileManager.default.removeItem(atPath: memoryJournal)
                    try? FileManager.default.removeItem(atPath: streamedJournal)
                }
                let options = PlanOptions(force: force)
                var memorySweep = Sweep(context: memoryContext, options: options, now: memoryContext.now(), journal: .directory(memoryJournal))
                memorySweep.leaseSettle = .milliseconds(10)
                var streamedSweep = Sweep(context: streamedContext, options: options, now: streamedContext.now(), journal: .directory(streamedJournal))
                streamedSweep.leaseSettle = .milliseconds(10)

                let inMemory = try await memorySweep.run(apply: true)
                let streamed = try await streamedSweep.streamedApply(spoolDirectory: streamedJournal)
                let checked = try #require(streamed.streamed)

                // The bucket: what is left, and in which class.
                let left = try await Self.state(streamedBucket)
                #expect(left == (try await Self.state(memoryBucket)))
                let memoryOutcome = try #require(inMemory.outcome), streamedOutcome = try #require(streamed.outcome)
                #expect(streamedOutcome.done == memoryOutcome.done)
                #expect(streamedOutcome.failures == memoryOutcome.failures)
                #expect(streamedOutcome.done.deletes > 0)
                #expect(streamedOutcome.done.transitions > 0)
                // The checked plan, as printed with --json.
                var json = Data()
                try checked.writeJSON { json.append(contentsOf: $0) }
                #expect(try Self.withoutCost(json) == Self.withoutCost(try inMemory.plan.jsonData()))
                #expect(streamed.plan.totals == inMemory.plan.totals)

                // The journal: the same planned actions, in parts; the same counts and status.
                let memoryEntry = try Self.entry(in: memoryJournal), streamedEntry = try Self.entry(in: streamedJournal)
                #expect(streamedEntry.status == .completed)
                #expect(streamedEntry.done == memoryEntry.done)
                #expect(streamedEntry.actions.isEmpty)
                #expect(streamedEntry.plannedActions == memoryEntry.actions.count)
                let journal = SweepJournal(context: streamedContext, location: .directory(streamedJournal))
                var parted: [PlanAction] = []
                for part in 0..<(try #require(streamedEntry.actionParts)) {
                    let data = try Data(contentsOf: URL(fileURLWithPath: journal.actionsPartLocation(runID: streamedEntry.runID, part: part)))
                    parted += try JSONCoding.decoder.decode([PlanAction].self, from: data)
                }
                #expect(parted == memoryEntry.actions)
                // Scratch files are unnamed: nothing but the journal is left in the directory.
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: streamedJournal)) == [streamedEntry.runID + ".json", "actions"])
            }
        }
    }

    @Test("the deletion floor withholds a streamed plan's deletions that would leave too few sets")
    func theFloorWithholdsStreamedDeletions() async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed-floor") { bucket in
            let seeded = try StreamedDryRunTests.seeded(bucket)
            // The sweep's policies keep 40 vault sets; the plan is made under one that keeps the
            // 3 newest, as a bug in the rule engine might, and deletes the rest.
            let (strict, loose) = try Self.strictAndLoose(try StreamedDryRunTests.policies())
            let now = seeded.now()
            let strictContext = try bucket.context(policies: strict, now: now)
            let looseContext = try bucket.context(policies: loose, now: now)
            let before = try await Self.state(bucket)
            let vaultBefore = before.keys.filter { $0.hasPrefix("vault/") }
            try #require(vaultBefore.count > 3)

            let scratch = try makeScratchDirectory("streamed-floor")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let maker = PlanMaker(context: looseContext, options: PlanOptions(force: true, components: ["vault"]))
            let (outcome, proposal) = try await Self.applyUnderFloor(maker: maker, executor: strictContext, now: now, scratch: scratch)
            #expect(outcome.failures.contains { $0.hasPrefix("floor: vault") })
            #expect(outcome.done.deletes == 0)
            #expect(outcome.done.skipped == proposal.summary.totals.deletes)
            let after = try await Self.state(bucket)
            #expect(Set(after.keys.filter { $0.hasPrefix("vault/") }) == Set(vaultBefore))
        }
    }

    /// `policies` (by file name) twice: the sweep's, keeping 40 vault sets (`strict`), and a
    /// plan's, keeping the 3 newest within a day (`loose`), as a bug in the rule engine might.
    static func strictAndLoose(_ policies: [String: String]) throws -> (strict: [String: String], loose: [String: String]) {
        var strict = policies, loose = policies
        let vault = try #require(policies["policies/vault.yaml"])
        strict["policies/vault.yaml"] = withKeepLast(vault, 40)
        loose["policies/vault.yaml"] = withKeepLast(vault, 3, window: "1d")
        return (strict, loose)
    }

    /// The streamed plan `maker` makes at `now`, applied by an executor under the policies of
    /// `context` (the floor's), replanned by `maker`; what it did, and the plan.
    static func applyUnderFloor(maker: PlanMaker, executor context: StrataContext, now: Date,
                                scratch: String) async throws -> (SweepOutcome, StreamedPlan) {
        let proposal = try await maker.makeStreamedPlan(now: now, spoolDirectory: scratch)
        let (outcome, _) = try await SweepExecutor(context: context).apply(
            streamed: proposal, runID: SweepJournal.newRunID(now: now),
            journal: SweepJournal(context: context, location: .directory(scratch)), spoolDirectory: scratch) {
                let (plan, objects) = try await maker.makeStreamedPlanAndSpool(now: now, spoolDirectory: scratch)
                return SweepExecutor.StreamedReplan(plan: plan, objects: objects)
            }
        return (outcome, proposal)
    }

    /// `policy` (a shipped policy's YAML) with its retention replaced by `keep_last: n` (and a
    /// `keep_within` of `window`).
    static func withKeepLast(_ policy: String, _ n: Int, window: String = "3650d") -> String {
        var lines: [String] = []
        var skipping = false
        for line in policy.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("retention:") {
                lines += ["retention:", "  keep_last: \(n)", "  keep_within: \(window)"]
                skipping = true
                continue
            }
            if skipping, line.hasPrefix(" ") || line.isEmpty { continue }
            skipping = false
            lines.append(String(line))
        }
        return lines.joined(separator: "\n")
    }

    /// One arm of a sweep from an inventory report: `bucket` seeded, a report of it with rows
    /// for the `phantoms` (objects that are not there), the plan's first deletion rewritten
    /// after the report when `rewrite`, then applied in memory or streamed.
    static func reportSweep(_ bucket: ScratchBucket, phantoms: [String], rewrite: Bool, vaultKeepLast: Int?,
                            streamed: Bool) async throws -> (result: Sweep.Result, left: [String: String], rewritten: String?) {
        let seeded = try StreamedDryRunTests.seeded(bucket)
        let out = try makeScratchDirectory("report-apply")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let manifest = try StreamedDryRunTests.makeReport(bucket, in: out, phantoms: phantoms)
        var policies = try StreamedDryRunTests.policies()
        if let vaultKeepLast {
            policies["policies/vault.yaml"] = Self.withKeepLast(try #require(policies["policies/vault.yaml"]), vaultKeepLast, window: "1h")
        }
        // The report is made now: its age is judged by the clock, the plan is for the seeded instant.
        let clock = try bucket.context(policies: policies, now: Date())
        var sweep = Sweep(context: clock, options: PlanOptions(force: true), now: seeded.now(), journal: .directory(out))
        sweep.source = .report(.file(manifest), maximumAge: 1e9)
        sweep.leaseSettle = .milliseconds(10)
        var rewritten: String?
        if rewrite {
            let key = try #require(try await sweep.run(apply: false).plan.actions.first { if case .delete = $0 { true } else { false } }?.key)
            try await bucket.client.putObject(bucket: bucket.name, key: key, body: Data("a new backup".utf8))
            rewritten = key
        }
        let result = streamed ? try await sweep.streamedApply(spoolDirectory: out) : try await sweep.run(apply: true)
        return (result, try await Self.state(bucket), rewritten)
    }

    /// The sweep that a 10^8-object bucket runs from its inventory report: rows for objects that
    /// are not there are confirmed away by HEAD and planned without, an object rewritten since
    /// the report is left alone, and a component whose keepers never confirm is blocked, as in
    /// memory. Arguments: phantom vault rows newer than the real sets, the rewrite, and a vault
    /// policy keeping 1 set (each replan then finds the next phantom: five never converge).
    @Test("a streamed apply from an inventory report does what the in-memory apply does", arguments: [
        (["vault/20261125_110000.snap", "falkordb/20261125_100000/dump.rdb"], false, nil as Int?),
        (["vault/20261125_110000.snap"], true, nil),
        (["vault/20261125_110000.snap", "vault/20261125_090000.snap", "vault/20261125_070000.snap",
          "vault/20261125_050000.snap", "vault/20261125_030000.snap"], false, 1),
    ])
    func reportApplyEqualsInMemory(phantoms: [String], rewrite: Bool, vaultKeepLast: Int?) async throws {
        try await ScratchBucket.with(.rgw, purpose: "report-memory") { memoryBucket in
            try await ScratchBucket.with(.rgw, purpose: "report-streamed") { streamedBucket in
                let memory = try await Self.reportSweep(memoryBucket, phantoms: phantoms, rewrite: rewrite, vaultKeepLast: vaultKeepLast, streamed: false)
                let streamed = try await Self.reportSweep(streamedBucket, phantoms: phantoms, rewrite: rewrite, vaultKeepLast: vaultKeepLast, streamed: true)
                let checked = try #require(streamed.result.streamed, "the report was applied by the streaming executor")
                #expect(streamed.left == memory.left)
                let memoryOutcome = try #require(memory.result.outcome), streamedOutcome = try #require(streamed.result.outcome)
                #expect(streamedOutcome.done == memoryOutcome.done)
                #expect(streamedOutcome.failures == memoryOutcome.failures)
                #expect(streamedOutcome.done.deletes > 0)
                if let key = streamed.rewritten {
                    #expect(streamed.left[key] != nil, "the rewritten object is kept")
                    #expect(streamedOutcome.done.skipped >= 1)
                }
                let guards = { (plan: Plan) in plan.components.flatMap(\.guards).filter { $0.kind == .keeperUnconfirmed }.map(\.component) }
                #expect(guards(checked.summary) == guards(memory.result.plan))
                if vaultKeepLast != nil {
                    #expect(guards(checked.summary) == ["vault"])
                    let vault = try #require(checked.summary.components.first { $0.component == "vault" })
                    #expect(vault.totals.deletes == 0, "a blocked component's plan deletes nothing")
                    #expect(Set(streamed.left.keys.filter { $0.hasPrefix("vault/") }).count > 1)
                }
                if !rewrite {
                    // The checked plan, as printed with --json (in memory, a rewritten object's
                    // deletion leaves the plan; streamed, it is skipped when executed).
                    var json = Data()
                    try checked.writeJSON { json.append(contentsOf: $0) }
                    #expect(try Self.withoutCost(json) == Self.withoutCost(try memory.result.plan.jsonData()))
                }
            }
        }
    }
}
