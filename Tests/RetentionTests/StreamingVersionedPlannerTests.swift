import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// The streaming planner plans a bucket with versions exactly as the in-memory planner does:
/// the same JSON, byte for byte, when the stream gives each key's versions in one run (as a
/// `ListObjectVersions` listing does).
@Suite struct StreamingVersionedPlannerTests {
    /// `objects` as a `ListObjectVersions` listing gives them: keys in ascending byte order, each
    /// key's versions in one run, in their order in `objects`.
    static func keyRuns(_ objects: [InventoryObject]) -> [InventoryObject] {
        Dictionary(grouping: objects) { Array($0.key.utf8) }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            .flatMap(\.value)
    }

    /// Outline (two walks), place, sort, then the plan assembled and the JSON written from the
    /// placements (members and listings walked apart, as from disk).
    static func streamed(_ planner: Planner, objects: [InventoryObject], uploads: [MultipartUploadRecord] = [],
                         now: Date, documents: [String: String]) throws -> (plan: Plan, json: Data, placements: [Placement]) {
        let streaming = StreamingPlanner(planner: planner)
        var outline = try streaming.outline(keyRuns: objects, uploads: uploads, now: now, documents: documents)
        var arrived: [Placement] = []
        try streaming.place(objects, outline: &outline) { arrived.append($0) }
        let placements = arrived.sorted(by: Placement.precedes)
        var json = Data()
        var next = placements.makeIterator()
        try outline.writeJSON(placements: { body in try placements.forEach(body) }, versions: { next.next() }) { json.append(contentsOf: $0) }
        return (try outline.assemble(placements), json, placements)
    }

    static let versioned = PlanGoldenTests.histories.filter { history in
        !history.inventory.objects.allSatisfy(\.isCurrent)
    }

    @Test("there are versioned golden histories to compare")
    func versionedHistoriesExist() {
        #expect(Self.versioned.count >= 2)
    }

    @Test("the streaming plan of a versioned history equals its golden plan", arguments: versioned)
    func versionedPlanEqualsGolden(history: PlanGoldenTests.History) throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        let objects = Self.keyRuns(history.inventory.objects)
        let streamed = try Self.streamed(planner, objects: objects, uploads: history.inventory.uploads, now: history.now,
                                         documents: history.documents)
        let golden = try StreamingPlannerTests.golden(history)
        #expect(firstDifference(streamed.plan.jsonData, golden) == nil)
        #expect(firstDifference(streamed.json, golden) == nil)
    }

    @Test("a stream whose keys are out of order is refused, naming the key, before anything is planned")
    func keysOutOfOrderAreRefused() throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies())
        let end = PlanGoldenTests.end
        let a = InventoryObject(key: "vault/20261101_000000.snap", size: 1, lastModified: end, versionID: "1")
        var old = InventoryObject(key: "vault/20261102_000000.snap", size: 1, lastModified: end, versionID: "2", isLatest: false)
        let b = InventoryObject(key: "vault/20261102_000000.snap", size: 1, lastModified: end, versionID: "3")
        // The second key's versions split by the first: judged apart, the old version would
        // look like a key with no current version.
        #expect(throws: KeyOrderError.self) {
            _ = try StreamingPlanner(planner: planner).outline(keyRuns: [b, a, old], uploads: [], now: end, documents: [:])
        }
        old.key = "vault/20261101_000000.snap"
        let error = #expect(throws: KeyOrderError.self) {
            _ = try StreamingPlanner(planner: planner).outline(keyRuns: [a, b, old], uploads: [], now: end, documents: [:])
        }
        #expect(error?.key == a.key)
        #expect(error?.description.contains("out of order") == true)
        #expect(try StreamingPlanner(planner: planner).outline(keyRuns: [a, old, b], uploads: [], now: end, documents: [:]).components.count > 0)
    }

    @Test("the summary from placements counted as they come equals the walk in order, with markers not counted")
    func summaryCountsNoMarker() throws {
        let history = try #require(Self.versioned.first)
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: PlanOptions(force: true, bypassGovernance: true))
        let streamed = try Self.streamed(planner, objects: Self.keyRuns(history.inventory.objects), uploads: history.inventory.uploads,
                                         now: history.now, documents: history.documents)
        let expected = planner.plan(inventory: history.inventory, now: history.now, documents: history.documents)
        var tally = PlacementTally()
        for placement in streamed.placements { tally.add(placement) }
        #expect(expected.totals.deletes > 0)
        #expect(streamed.plan.totals == expected.totals)
        #expect(streamed.placements.contains { $0.isDeleteMarker && $0.action == .delete })
    }

    /// Random versioned buckets: every component's sets with older versions, delete markers over
    /// some keys, whole sets hidden, sets of markers alone, locks and holds on old versions,
    /// WAL overwritten, under `noncurrent: keep` or a random `expire_after`, plain, forced, or
    /// since a last sweep; planned both ways from the same key runs.
    @Test("random versioned buckets plan the same both ways", arguments: 0..<32)
    func randomVersionedBucketsPlanTheSame(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &* 0x9E37_79B9 &+ 11)
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        let end = PlanGoldenTests.end
        let base = SyntheticInventory.make(end: end, days: 8 + Int(roll(30)), targetObjects: 400)
        var version = 0
        func nextVersion() -> String {
            version += 1
            return String(format: "v%06d", version)
        }
        // Whole sets hidden, or left with markers alone: by the key's directory or date.
        let hiddenSalt = roll(1_000), orphanSalt = roll(1_000)
        func setHash(_ key: String, _ salt: UInt64) -> UInt64 {
            let stem = key.split(separator: "/").dropLast().joined(separator: "/") + String(key.prefix(30))
            return (UInt64(truncatingIfNeeded: stem.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }) &+ salt) % 9
        }
        var objects: [InventoryObject] = []
        for var object in base.inventory.objects where roll(4) != 0 {
            object.versionID = nextVersion()
            let ago = -Double(1 + roll(40)) * 3_600 * Double(1 + roll(100))
            func older() -> InventoryObject {
                var old = object
                old.versionID = nextVersion()
                old.isLatest = false
                old.lastModified = object.lastModified.addingTimeInterval(ago)
                switch roll(12) {
                case 0: old.objectLock = ObjectLockState(mode: roll(2) == 0 ? .governance : .compliance,
                                                          retainUntil: end.addingTimeInterval(Double(roll(60)) * 86_400 - 30 * 86_400))
                case 1: old.objectLock = ObjectLockState(legalHold: true)
                case 2: old.tags = [Planner.holdTag: "x"]
                case 3: old.storageClass = .glacier
                default: break
                }
                return old
            }
            func marker(at time: Date, latest: Bool) -> InventoryObject {
                var marker = object
                marker.versionID = nextVersion()
                marker.isLatest = latest
                marker.isDeleteMarker = true
                marker.size = 0
                marker.lastModified = time
                return marker
            }
            let placed = end.addingTimeInterval(-Double(roll(6) * 20_000))
            if setHash(object.key, hiddenSalt) == 0 {
                // Hidden: the data behind a marker, sometimes with older data too.
                object.isLatest = false
                if roll(2) == 0 { objects.append(older()) }
                objects.append(marker(at: placed, latest: true))
            } else if setHash(object.key, orphanSalt) == 0 {
                // Markers alone: the data is gone.
                objects.append(marker(at: placed, latest: true))
                if roll(2) == 0 { objects.append(marker(at: placed.addingTimeInterval(-7_200), latest: false)) }
                continue
            } else {
                switch roll(8) {
                case 0, 1: objects.append(older())
                case 2: objects.append(older()); objects.append(older())
                case 3:  // deleted then written again: data, marker, data
                    objects.append(older())
                    objects.append(marker(at: object.lastModified.addingTimeInterval(-60), latest: false))
                case 4:  // one key of a set hidden
                    object.isLatest = false
                    objects.append(marker(at: placed, latest: true))
                default: break
                }
            }
            if roll(25) == 0 { object.tags = [Planner.holdTag: "x"] }
            objects.append(object)
        }
        // Planted: a future-dated set, a key no layout knows, with old versions of each.
        for key in ["vault/29991231_000000.snap", "nats/README"] {
            objects.append(InventoryObject(key: key, size: 10, lastModified: end, versionID: nextVersion()))
            objects.append(InventoryObject(key: key, size: 7, lastModified: end.addingTimeInterval(-86_400), versionID: nextVersion(), isLatest: false))
        }
        for i in stride(from: objects.count - 1, to: 0, by: -1) { objects.swapAt(i, Int(roll(UInt64(i + 1)))) }
        objects = Self.keyRuns(objects)

        var policies = try Fixtures.defaultPolicies().policies
        let after: PolicyDuration? = [nil, PolicyDuration(seconds: 86_400), PolicyDuration(seconds: 7 * 86_400)][Int(roll(3))]
        for i in policies.indices { policies[i].noncurrentExpireAfter = after }
        let options = [PlanOptions(), PlanOptions(force: true, bypassGovernance: true),
                       PlanOptions(lastSweep: end.addingTimeInterval(-86_400)),
                       PlanOptions(components: ["postgresql", "vault"])][Int(roll(4))]
        let documents = roll(4) == 0 ? [:] : base.documents
        let uploads = [MultipartUploadRecord(key: "vault/x", uploadID: "1", initiated: end.addingTimeInterval(-30 * 86_400))]
        let planner = Planner(policies: try PolicySet(policies: policies), options: options)
        let expected = planner.plan(inventory: Inventory(objects: objects, uploads: uploads), now: end, documents: documents)
        let streamed = try Self.streamed(planner, objects: objects, uploads: uploads, now: end, documents: documents)
        #expect(firstDifference(streamed.plan.jsonData, expected.jsonData) == nil)
        #expect(firstDifference(streamed.json, expected.jsonData) == nil)
        // The table has the same cases to compare: hidden sets, entries, deletions of versions.
        #expect(expected.components.contains { !$0.noncurrent.isEmpty })
    }
}

extension StreamingVersionedPlannerTests {
    @Test("the table of a streamed summary, which holds no entries, is the in-memory plan's table", arguments: 0..<6)
    func summaryTableEqualsInMemory(seed: Int) throws {
        let history = try #require(Self.versioned.first)
        var policies = try Fixtures.defaultPolicies().policies
        for i in policies.indices { policies[i].noncurrentExpireAfter = seed % 2 == 0 ? nil : .days(1) }
        let planner = Planner(policies: try PolicySet(policies: policies), options: history.options)
        // Keys out of the plan's order in the stream: a summary must still preview the first entries.
        var objects = history.inventory.objects
        objects.append(InventoryObject(key: "vault/20200101_000000.sn\u{e9}p", size: 3, lastModified: history.now, versionID: "x", isLatest: false))
        objects.append(InventoryObject(key: "vault/20200101_000000.sne\u{301}p", size: 3, lastModified: history.now, versionID: "y", isLatest: false))
        let runs = Self.keyRuns(objects)
        let streaming = StreamingPlanner(planner: planner)
        var outline = try streaming.outline(keyRuns: runs, uploads: history.inventory.uploads, now: history.now, documents: history.documents)
        var tally = PlacementTally()
        try streaming.place(runs, outline: &outline) { tally.add($0) }
        let expected = planner.plan(inventory: Inventory(objects: runs, uploads: history.inventory.uploads), now: history.now,
                                    documents: history.documents)
        let summary = try #require(outline.summary(tally)).plan
        #expect(summary.components.contains { $0.noncurrentSummary.count > NoncurrentSummary.previewLength })
        #expect(summary.components.map(\.noncurrentSummary) == expected.components.map(\.noncurrentSummary))
        let (table, expectedTable) = (PlanTable.render(summary, maxSetsPerComponent: 12), PlanTable.render(expected, maxSetsPerComponent: 12))
        #expect(table == expectedTable, "\(zip(table.split(separator: "\n"), expectedTable.split(separator: "\n")).filter { $0 != $1 }.prefix(3))")
    }
}
