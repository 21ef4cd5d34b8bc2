import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// Planning as a whole: guards, unrecognized keys, uploads, versions, tiers, determinism, encodings.
@Suite struct PlannerTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")

    @Test func unrecognizedKeysAreReportedAndNeverTouched() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 1))
        let objects = Fixtures.dumps(["2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"])
            + [Fixtures.object("db/notes.txt"), Fixtures.object("db/20261301_000000.dump"), Fixtures.object("elsewhere/20200101_000000.dump")]
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(plan.components[0].unrecognizedKeys == ["db/20261301_000000.dump", "db/notes.txt"])
        #expect(plan.actions.map(\.key) == ["db/20261124_000000.dump"])
        #expect(plan.totals.objects == 4, "keys outside every prefix are not counted")
    }

    @Test func oldIncompleteUploadsAreAborted() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 1))
        let uploads = [
            MultipartUploadRecord(key: "db/20261101_000000.dump", uploadID: "old", initiated: Fixtures.date("2026-11-18T11:59:59Z")),
            MultipartUploadRecord(key: "db/20261120_000000.dump", uploadID: "young", initiated: Fixtures.date("2026-11-18T12:00:01Z")),
            MultipartUploadRecord(key: "other/x", uploadID: "foreign", initiated: Fixtures.date("2020-01-01T00:00:00Z")),
        ]
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: [], uploads: uploads), now: Self.now)
        #expect(plan.actions == [.abortUpload(key: "db/20261101_000000.dump", uploadID: "old",
            reason: "incomplete upload started 2026-11-18T11:59:59Z, older than abort_incomplete_after 7d")])
    }

    @Test func theDeleteFractionGuardBlocksUnlessForced() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 1), maxDeleteFraction: 0.5)
        let objects = Fixtures.dumps(Fixtures.series(end: "2026-11-25T00:00:00Z", count: 4, step: 86_400))
        let blocked = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(blocked.isBlocked)
        #expect(blocked.actions.isEmpty)
        #expect(Fixtures.expired(blocked).count == 3, "decisions are still shown")
        #expect(blocked.blockedComponents.first?.message.hasPrefix("blocked: would delete 3 of 4 sets (75%)") == true)
        let forced = Planner(policies: policies, options: PlanOptions(force: true)).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(!forced.isBlocked)
        #expect(forced.actions.count == 3)
        #expect(forced.components[0].guards.first?.message.hasPrefix("forced:") == true)
        let half = Planner(policies: policies).plan(inventory: Inventory(objects: Array(objects.prefix(2))), now: Self.now)
        #expect(!half.isBlocked, "exactly the limit is allowed")
        #expect(half.actions.count == 1)
    }

    @Test func byteFractionAlsoCounts() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 3), maxDeleteFraction: 0.5)
        let objects = Fixtures.dumps(["2026-11-25T00:00:00Z", "2026-11-24T00:00:00Z", "2026-11-23T00:00:00Z"], size: 1)
            + Fixtures.dumps(["2026-01-01T00:00:00Z"], size: 1_000)
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(plan.isBlocked, "1 of 4 sets but 99% of the bytes")
    }

    @Test func staleSeriesAreReported() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 3), expectEvery: .days(1))
        let fresh = Planner(policies: policies).plan(inventory: Inventory(objects: Fixtures.dumps(["2026-11-23T12:00:00Z"])), now: Self.now)
        #expect(fresh.components[0].guards.isEmpty)
        let stale = Planner(policies: policies).plan(inventory: Inventory(objects: Fixtures.dumps(["2026-11-23T11:59:59Z"])), now: Self.now)
        #expect(stale.components[0].guards.map(\.kind) == [.stale])
        #expect(!stale.isBlocked)
        let empty = Planner(policies: policies).plan(inventory: Inventory(objects: []), now: Self.now)
        #expect(empty.components[0].guards.first?.message == "no backup sets found, expected one every 1d")
    }

    @Test func versionsOfAnExpiredSetAreDeletedOneByOne() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 1))
        let objects = Fixtures.dumps(["2026-11-25T00:00:00Z"]) + [
            Fixtures.object("db/20261101_000000.dump", versionID: "v2"),
            Fixtures.object("db/20261101_000000.dump", versionID: "v1", isLatest: false),
            Fixtures.object("db/20261001_000000.dump", versionID: "d1", isDeleteMarker: true),
            Fixtures.object("db/20261001_000000.dump", versionID: "v0", isLatest: false),
        ]
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(plan.actions.map { action -> String in
            if case .delete(let key, let version, _) = action { return "\(key)#\(version ?? "")" }
            return "other"
        } == ["db/20261101_000000.dump#v1", "db/20261101_000000.dump#v2"])
        // The hidden set is judged by the keep rules (keep_last 1 expires it), then left to `noncurrent: keep`.
        #expect(plan.components[0].warnings == [])
        #expect(plan.components[0].hiddenSets.map { "\($0.id) \($0.decision)" } == ["2026-10-01T00:00:00Z expire"])
        #expect(plan.components[0].noncurrent.map(\.versionID) == ["v0", "d1"])
        #expect(plan.components[0].noncurrent.allSatisfy { $0.hidden && $0.decision == .keep })
    }

    /// Tiers move kept sets colder only, never into a class that outlives the set, never small objects into IA.
    static let tierCases: [(String, RetentionRules, [TierRule], StorageClass, Int64, StorageClass?)] = [
        ("moves to the coldest tier due", RetentionRules(keepLast: 2),
         [TierRule(after: .days(30), storageClass: .standardIA), TierRule(after: .days(60), storageClass: .glacier)], .standard, 1 << 20, .glacier),
        ("never warmer", RetentionRules(keepLast: 2), [TierRule(after: .days(30), storageClass: .standardIA)], .glacier, 1 << 20, nil),
        ("small objects stay out of IA", RetentionRules(keepLast: 2), [TierRule(after: .days(30), storageClass: .standardIA)], .standard, 1_000, nil),
        ("small objects may go to GLACIER", RetentionRules(keepLast: 2), [TierRule(after: .days(30), storageClass: .glacier)], .standard, 1_000, .glacier),
        ("minimum duration would outlast the set", RetentionRules(keepWithin: .days(100)),
         [TierRule(after: .days(30), storageClass: .standardIA), TierRule(after: .days(40), storageClass: .glacier)], .standard, 1 << 20, .standardIA),
        ("no tier fits", RetentionRules(keepWithin: .days(70)), [TierRule(after: .days(30), storageClass: .glacierIR)], .standard, 1 << 20, nil),
        ("not yet old enough", RetentionRules(keepLast: 2), [TierRule(after: .days(400), storageClass: .glacier)], .standard, 1 << 20, nil),
    ]

    @Test(arguments: tierCases)
    func tiers(_ name: String, _ rules: RetentionRules, _ tiers: [TierRule], _ current: StorageClass, _ size: Int64, _ target: StorageClass?) throws {
        let policies = try Fixtures.templatePolicy(retention: rules, tiers: tiers)
        // The set under test is 60 days old; a newer set keeps the window anchored.
        let objects = [
            Fixtures.object("db/20260926_120000.dump", size: size, modified: "2026-09-26T12:00:00Z", storageClass: current),
            Fixtures.object("db/20261125_000000.dump", size: size, modified: "2026-11-25T00:00:00Z"),
        ]
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        let moves = plan.actions.compactMap { action -> StorageClass? in
            if case .transition(let key, _, let to, _) = action, key == "db/20260926_120000.dump" { return to }
            return nil
        }
        #expect(moves == (target.map { [$0] } ?? []), "\(name)")
        #expect(plan.components[0].sets[0].decision == .keep, "\(name)")
    }

    @Test func planIsIndependentOfInputOrderAndEncodesStably() throws {
        let policies = try Fixtures.defaultPolicies()
        let synthetic = SyntheticInventory.make(end: Self.now, days: 40, targetObjects: 8_000)
        let inventory = synthetic.inventory
        let planner = Planner(policies: policies, options: PlanOptions(force: true))
        let a = try planner.plan(inventory: inventory, now: Self.now, documents: synthetic.documents).jsonData()
        var shuffled = inventory
        var rng = SplitMix(seed: 99)
        shuffled.objects.shuffle(using: &rng)
        shuffled.uploads.shuffle(using: &rng)
        let b = try planner.plan(inventory: shuffled, now: Self.now, documents: synthetic.documents).jsonData()
        #expect(a == b)
        let decoded = try Plan.jsonDecoder().decode(Plan.self, from: a)
        #expect(decoded == planner.plan(inventory: inventory, now: Self.now, documents: synthetic.documents))
        #expect(a == (try Plan.jsonEncoder(pretty: false).encode(decoded)), "the fast writer and JSONEncoder agree byte for byte")
        let json = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        #expect(json["schemaVersion"] as? Int == 1)
        #expect(json["generatedAt"] as? String == "2026-11-25T12:00:00Z")
    }

    @Test func actionsEncodeWithATypeField() throws {
        let actions: [PlanAction] = [
            .delete(key: "k", versionID: "v", reason: "r"), .delete(key: "k", versionID: nil, reason: "r"),
            .transition(key: "k", from: .standard, to: .glacierIR, reason: "r"), .abortUpload(key: "k", uploadID: "u", reason: "r"),
        ]
        let data = try Plan.jsonEncoder(pretty: false).encode(actions)
        #expect(String(decoding: data, as: UTF8.self) == #"[{"key":"k","reason":"r","type":"delete","versionID":"v"},{"key":"k","reason":"r","type":"delete"},{"from":"STANDARD","key":"k","reason":"r","to":"GLACIER_IR","type":"transition"},{"key":"k","reason":"r","type":"abortUpload","uploadID":"u"}]"#)
        #expect(try Plan.jsonDecoder().decode([PlanAction].self, from: data) == actions)
    }

    @Test func unknownStorageClassesSurviveAndAreNeverMoved() throws {
        #expect(StorageClass(rawValue: "SNOW") == .other("SNOW"))
        #expect(StorageClass(rawValue: "GLACIER_IR") == .glacierIR)
        #expect(!TierSelector.shouldMove(size: 1 << 30, from: .other("SNOW"), to: .glacier))
        #expect(!TierSelector.shouldMove(size: 1 << 30, from: .onezoneIA, to: .standardIA))
        #expect(TierSelector.shouldMove(size: 1 << 30, from: .intelligentTiering, to: .glacier))
    }

    @Test func tableIsAlignedAndComplete() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 1), maxDeleteFraction: 0.5)
        let objects = Fixtures.dumps(["2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"]) + [Fixtures.object("db/x")]
        let text = PlanTable.render(Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now))
        let lines = text.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.contains("DECISION") })
        let row = try #require(lines.first { $0.contains("2026-11-25T00:00:00Z") && $0.contains("keep") })
        #expect(header.range(of: "DECISION")?.lowerBound.utf16Offset(in: header) == row.range(of: "keep")?.lowerBound.utf16Offset(in: row))
        #expect(text.contains("GUARD deleteFractionExceeded (blocking): blocked: would delete 2 of 3 sets"))
        #expect(text.contains("UNRECOGNIZED (never touched): 1 keys"))
        #expect(text.contains("BLOCKED: db"))
        #expect(!text.contains("\u{1B}"), "no colours")
    }
}
