import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// The streaming planner (two passes, memory by sets) plans exactly what the in-memory planner
/// plans: the same JSON, byte for byte, for every bucket whose objects are all current.
@Suite struct StreamingPlannerTests {
    /// Outline, place, sort, assemble: the whole streaming path, with the sort in memory.
    static func streamingPlan(_ planner: Planner, objects: [InventoryObject], uploads: [MultipartUploadRecord] = [],
                              now: Date, documents: [String: String]) throws -> Plan? {
        try streamed(planner, objects: objects, uploads: uploads, now: now, documents: documents)?.plan
    }

    /// The streamed plan, assembled, and its JSON as written straight from the placements.
    static func streamed(_ planner: Planner, objects: [InventoryObject], uploads: [MultipartUploadRecord] = [],
                         now: Date, documents: [String: String]) throws -> (plan: Plan, json: Data)? {
        let streaming = StreamingPlanner(planner: planner)
        guard var outline = try streaming.outline(objects, uploads: uploads, now: now, documents: documents) else { return nil }
        let placements = try place(streaming, objects, outline: &outline).sorted
        var json = Data()
        try outline.writeJSON(placements: { body in try placements.forEach(body) }) { json.append(contentsOf: $0) }
        return (try outline.assemble(placements), json)
    }

    /// Pass two of `objects` into `outline`: the placements in the order they came, and sorted
    /// into the plan's order.
    static func place(_ streaming: StreamingPlanner, _ objects: [InventoryObject],
                      outline: inout PlanOutline) throws -> (arrived: [Placement], sorted: [Placement]) {
        var arrived: [Placement] = []
        try streaming.place(objects, outline: &outline) { arrived.append($0) }
        return (arrived, arrived.sorted(by: Placement.precedes))
    }

    /// The streaming planner of `history`'s options, and pass one over its objects.
    static func outlined(_ history: PlanGoldenTests.History) throws -> (streaming: StreamingPlanner, outline: PlanOutline) {
        let streaming = StreamingPlanner(planner: Planner(policies: try Fixtures.defaultPolicies(), options: history.options))
        let outline = try #require(try streaming.outline(history.inventory.objects, uploads: history.inventory.uploads, now: history.now,
                                                         documents: history.documents))
        return (streaming, outline)
    }

    /// `history`'s committed plan JSON.
    static func golden(_ history: PlanGoldenTests.History) throws -> Data {
        try Data(contentsOf: PlanGoldenTests.goldenDirectory.appendingPathComponent("\(history.name).json"))
    }

    static let unversioned = PlanGoldenTests.histories.filter { history in
        history.inventory.objects.allSatisfy(\.isCurrent)
    }

    @Test("the streaming plan equals the golden plan", arguments: unversioned)
    func streamingPlanEqualsGolden(history: PlanGoldenTests.History) throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        let streamed = try #require(try Self.streamed(planner, objects: history.inventory.objects, uploads: history.inventory.uploads,
                                                      now: history.now, documents: history.documents))
        let golden = try Self.golden(history)
        #expect(streamed.plan.jsonData == golden)
        #expect(streamed.json == golden)
    }

    @Test("the JSON written from the placements with actions and the members' keys equals the golden plan", arguments: unversioned)
    func actionsAndMembersWriteTheGoldenPlan(history: PlanGoldenTests.History) throws {
        var (streaming, outline) = try Self.outlined(history)
        let placements = try Self.place(streaming, history.inventory.objects, outline: &outline).sorted
        let actions = placements.filter { $0.action != .none }
        #expect(actions.count < placements.count)
        var json = Data()
        try outline.writeJSON(placements: { body in try actions.forEach(body) }, members: { body in
            for placement in placements where placement.isMember {
                var key = placement.key
                try key.withUTF8 { try body(placement.component, placement.group, $0) }
            }
        }) { json.append(contentsOf: $0) }
        #expect(json == (try Self.golden(history)))
    }

    @Test("the summary from the actions counted as they come equals the summary from a walk in order", arguments: unversioned)
    func tallySummaryEqualsWalk(history: PlanGoldenTests.History) throws {
        var (streaming, outline) = try Self.outlined(history)
        let (arrived, placements) = try Self.place(streaming, history.inventory.objects, outline: &outline)
        // Counted in the order pass two makes them, as the sorter counts them.
        var tally = PlacementTally()
        for placement in arrived { tally.add(placement) }
        let counted = try #require(outline.summary(tally))
        let walked = try outline.summary { body in try placements.forEach(body) }
        #expect(counted.plan == walked.plan)
        #expect(counted.actions == walked.actions)
        #expect(counted.actions > 0)
        // The hold checks skip a plan that deletes nothing on this count.
        #expect(tally.deletions == placements.filter { $0.action == .delete }.count)
    }

    @Test("the documents a stream needs are those the in-memory planner names", arguments: PlanGoldenTests.histories)
    func documentsNeededMatch(history: PlanGoldenTests.History) throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        var objects = history.inventory.objects
        #expect(try StreamingPlanner(planner: planner).documentsNeeded(objects) == planner.documentsNeeded(inventory: history.inventory))
        // Without backup.info: every set's manifest.
        objects.removeAll { $0.key.hasSuffix("backup.info") || $0.key.hasSuffix("backup.info.copy") }
        let needed = try StreamingPlanner(planner: planner).documentsNeeded(objects)
        #expect(needed == planner.documentsNeeded(inventory: Inventory(objects: objects)))
        #expect(needed.allSatisfy { $0.hasSuffix("/backup.manifest") || $0.hasSuffix("/backup.manifest.copy") })
        #expect(!needed.isEmpty)
    }

    @Test("pass one fed an object at a time, as a reader spools, names the same documents and decides the same",
          arguments: PlanGoldenTests.histories)
    func passOneFedAsSpooled(history: PlanGoldenTests.History) throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        let streaming = StreamingPlanner(planner: planner)
        var passOne = streaming.passOne(now: history.now)
        for object in history.inventory.objects { passOne.add(object) }
        let outline = passOne.outline(uploads: history.inventory.uploads, documents: history.documents)
        // The streaming planner leaves a versioned bucket to the in-memory planner, fed or not.
        #expect(passOne.versioned == !history.inventory.objects.allSatisfy(\.isCurrent))
        #expect((outline == nil) == passOne.versioned)
        guard var outline else { return }
        #expect(passOne.documentsNeeded == planner.documentsNeeded(inventory: history.inventory))
        let placements = try Self.place(streaming, history.inventory.objects, outline: &outline).sorted
        var json = Data()
        try outline.writeJSON(placements: { body in try placements.forEach(body) }) { json.append(contentsOf: $0) }
        #expect(json == (try Self.golden(history)))
    }

    @Test("a bucket with no objects writes the same plan both ways")
    func emptyBucket() throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies())
        let expected = planner.plan(inventory: Inventory(objects: []), now: PlanGoldenTests.end)
        let streamed = try #require(try Self.streamed(planner, objects: [], now: PlanGoldenTests.end, documents: [:]))
        #expect(streamed.json == expected.jsonData)
    }

    @Test("there are unversioned golden histories to compare")
    func unversionedHistoriesExist() {
        #expect(Self.unversioned.count >= 3)
    }

    @Test("a noncurrent version or a delete marker leaves the bucket to the in-memory planner")
    func versionedBucketsAreLeftToTheInMemoryPlanner() throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies())
        let live = Fixtures.object("vault/20261101_000000.snap", versionID: "a")
        for other in [Fixtures.object("vault/20261101_000000.snap", versionID: "b", isLatest: false),
                      Fixtures.object("vault/20261102_000000.snap", versionID: "c", isDeleteMarker: true)] {
            #expect(try Self.streamingPlan(planner, objects: [live, other], now: PlanGoldenTests.end, documents: [:]) == nil)
        }
        #expect(try Self.streamingPlan(planner, objects: [live], now: PlanGoldenTests.end, documents: [:]) != nil)
    }

    /// Random unversioned buckets under the shipped policies: sets of every component at random
    /// times (some in the future), random sizes (up to absurd) and classes, holds, locks, legal
    /// holds, stray keys, uploads; planned plain, forced, and for some components, in random order.
    @Test("random unversioned buckets plan the same both ways", arguments: 0..<24)
    func randomBucketsPlanTheSame(seed: Int) throws {
        var rng = SplitMix(seed: UInt64(seed) &* 0x9E37_79B9 &+ 7)
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        let end = PlanGoldenTests.end
        let base = SyntheticInventory.make(end: end, days: 8 + Int(roll(30)), targetObjects: 500)
        var objects: [InventoryObject] = []
        for var object in base.inventory.objects where roll(3) != 0 {
            switch roll(30) {
            case 0: object.tags = [Planner.holdTag: "x"]
            case 1: object.objectLock = ObjectLockState(mode: roll(2) == 0 ? .governance : .compliance,
                                                        retainUntil: end.addingTimeInterval(Double(roll(100)) * 86_400 - 50 * 86_400))
            case 2: object.objectLock = ObjectLockState(legalHold: true)
            case 3, 4: object.storageClass = [StorageClass.standardIA, .glacier, .deepArchive, .glacierIR, .onezoneIA][Int(roll(5))]
            case 5: object.size = Int64.max / Int64(1 + roll(4))
            case 6: object.storageClass = StorageClass(rawValue: "VENDOR_COLD")
            default: break
            }
            objects.append(object)
        }
        objects.append(InventoryObject(key: "qdrant/mind_memories-2027-05-01-03-00-00.snapshot", size: 5, lastModified: end))
        objects.append(InventoryObject(key: "postgresql/backup/mind/20991231-000000F/backup.manifest", size: 5, lastModified: end))
        objects.append(InventoryObject(key: "nats/stray", size: 5, lastModified: end))
        for i in stride(from: objects.count - 1, to: 0, by: -1) { objects.swapAt(i, Int(roll(UInt64(i + 1)))) }
        let uploads = [MultipartUploadRecord(key: "vault/x", uploadID: "1", initiated: end.addingTimeInterval(-30 * 86_400)),
                       MultipartUploadRecord(key: "vault/y", uploadID: "2", initiated: end)]
        let options = [PlanOptions(), PlanOptions(force: true, bypassGovernance: true),
                       PlanOptions(components: ["postgresql", "vault"])][Int(roll(3))]
        let documents = roll(3) == 0 ? [:] : base.documents
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: options)
        let expected = planner.plan(inventory: Inventory(objects: objects, uploads: uploads), now: end, documents: documents)
        let streamed = try #require(try Self.streamed(planner, objects: objects, uploads: uploads, now: end, documents: documents))
        #expect(streamed.plan.jsonData == expected.jsonData)
        #expect(streamed.plan == expected)
        #expect(streamed.json == expected.jsonData)
    }
}

extension Plan {
    /// The compact JSON form, for byte comparisons in tests.
    var jsonData: Data { PlanJSONWriter.encode(self) }
}
