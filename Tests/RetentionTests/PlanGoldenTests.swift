import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// The plan a history gives, byte for byte, is the plan it gave before: a redesign of the
/// planner's inside (issue 21's streaming planner, layouts as strategies) must not change one
/// decision, one reason text, one action or their order. Each history's compact plan JSON is
/// compared with the file committed under `Tests/Fixtures/plans/`.
///
/// The files are written by the planner as it was when they were made; a change that means to
/// change plans rewrites them with `STRATA_UPDATE_GOLDEN_PLANS=1 swift test --filter PlanGolden`,
/// and the diff of the files is then part of the review.
@Suite struct PlanGoldenTests {
    /// One history: an inventory, its documents, and the options it is planned with.
    struct History: Sendable, CustomStringConvertible {
        var name: String
        var inventory: Inventory
        var documents: [String: String]
        var options: PlanOptions
        var now: Date
        var description: String { name }
    }

    static let end = Fixtures.date("2026-11-20T05:00:00Z")

    /// The six shipped components over `days` days, as `SyntheticInventory` builds them, thinned
    /// so the golden files stay small: of the hourly FalkorDB and NATS backups and of the WAL,
    /// every sixth object is kept (a gap in the WAL is part of the history, too).
    static func synthetic(days: Int, objects: Int) -> SyntheticInventory {
        var made = SyntheticInventory.make(end: end, days: days, targetObjects: objects)
        made.inventory.objects = made.inventory.objects.enumerated().filter { index, object in
            let thinned = object.key.hasPrefix("falkordb/") || object.key.hasPrefix("nats/") || object.key.contains("/archive/mind/15-1/")
            return !thinned || index % 6 == 0
        }.map(\.element)
        return made
    }

    static let histories: [History] = {
        let plain = synthetic(days: 35, objects: 1_000)
        // Over a year, for the yearly rule: PostgreSQL with one WAL object a day, and Vault.
        var long = SyntheticInventory.make(end: end, days: 400, targetObjects: 1_000)
        long.inventory.objects = long.inventory.objects.enumerated().filter { index, object in
            object.key.hasPrefix("vault/") || object.key.hasPrefix("postgresql/") && (!object.key.contains("/archive/mind/15-1/") || index % 96 == 0)
        }.map(\.element)
        let hostile = Hostile.make(from: plain, seed: 21)
        let lastSweep = end.addingTimeInterval(-86_400)
        return [
            History(name: "synthetic-35d", inventory: plain.inventory, documents: plain.documents, options: PlanOptions(), now: end),
            History(name: "synthetic-35d-without-backup-info", inventory: plain.inventory, documents: [:], options: PlanOptions(), now: end),
            History(name: "synthetic-400d-forced", inventory: long.inventory, documents: long.documents, options: PlanOptions(force: true, components: ["postgresql", "vault"]),
                    now: end.addingTimeInterval(3 * 86_400)),
            History(name: "hostile-versioned", inventory: hostile.inventory, documents: hostile.documents,
                    options: PlanOptions(lastSweep: lastSweep), now: end),
            History(name: "hostile-versioned-forced", inventory: hostile.inventory, documents: hostile.documents,
                    options: PlanOptions(force: true, bypassGovernance: true, lastSweep: lastSweep), now: end),
            History(name: "hostile-two-components", inventory: hostile.inventory, documents: hostile.documents,
                    options: PlanOptions(components: ["postgresql", "qdrant"]), now: end),
        ]
    }()

    static var goldenDirectory: URL { Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/plans") }

    @Test("the plan JSON equals the committed golden file", arguments: histories)
    func planEqualsGolden(history: History) throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        let json = try planner.plan(inventory: history.inventory, now: history.now, documents: history.documents).jsonData()
        let file = Self.goldenDirectory.appendingPathComponent("\(history.name).json")
        if ProcessInfo.processInfo.environment["STRATA_UPDATE_GOLDEN_PLANS"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenDirectory, withIntermediateDirectories: true)
            try json.write(to: file)
        }
        let golden = try Data(contentsOf: file)
        guard json != golden else { return }
        // Name the first difference, so a failure says what changed rather than that something did.
        let index = zip(json, golden).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(json.count, golden.count)
        let from = max(0, index - 200)
        let now = String(decoding: json[from..<min(json.count, index + 200)], as: UTF8.self)
        let was = String(decoding: golden[from..<min(golden.count, index + 200)], as: UTF8.self)
        Issue.record("plan of \(history.name) differs from \(file.lastPathComponent) at byte \(index) (sizes \(json.count), \(golden.count))\nnow: …\(now)…\nwas: …\(was)…")
    }

    @Test("each history exercises what it is there for")
    func historiesCoverTheirCases() throws {
        func plan(_ index: Int) throws -> Plan {
            let history = Self.histories[index]
            return Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
                .plan(inventory: history.inventory, now: history.now, documents: history.documents)
        }
        let plain = try plan(0)
        #expect(plain.components.flatMap(\.sets).contains { $0.reasons.contains { $0.kind == .dependency } })
        #expect(plain.actions.contains { $0.key.contains("/archive/") })
        #expect(plain.actions.contains { if case .transition = $0 { true } else { false } })
        let long = try plan(2)
        #expect(long.components.flatMap(\.sets).contains { $0.reasons.contains { $0.kind == .yearly } })
        let hostile = try plan(3)
        #expect(hostile.isBlocked)
        #expect(hostile.components.contains { !$0.hiddenSets.isEmpty })
        #expect(hostile.components.contains { !$0.noncurrent.isEmpty })
        #expect(hostile.components.contains { !$0.unrecognizedKeys.isEmpty })
        #expect(hostile.components.contains { $0.guards.contains { $0.kind == .futureDated } })
        #expect(hostile.components.flatMap(\.sets).contains { $0.reasons.contains { $0.kind == .tagged } })
        #expect(hostile.components.flatMap(\.sets).contains { $0.reasons.contains { $0.kind == .objectLock } })
        #expect(hostile.components.flatMap(\.sets).contains { $0.reasons.contains { $0.kind == .legalHold } })
        #expect(hostile.actions.contains { if case .abortUpload = $0 { true } else { false } })
        let forced = try plan(4)
        #expect(forced.actions.contains { if case .transition = $0 { true } else { false } })
        #expect(forced.actions.contains { if case .delete(_, .some, _) = $0 { true } else { false } })
    }

    /// Turns a plain history into what a shared, versioned bucket holds after a while: older
    /// versions, delete markers (some hiding whole sets), tags, locks and legal holds, other
    /// storage classes, planted future-dated and unrecognized keys, and incomplete uploads. The
    /// choices come from the raw bits of a seeded generator, not the standard library's
    /// `random(in:)`, so the history stays the same across toolchains.
    enum Hostile {
        static func make(from base: SyntheticInventory, seed: UInt64) -> SyntheticInventory {
            var rng = SplitMix(seed: seed)
            func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
            var objects: [InventoryObject] = []
            var version = 0
            func nextVersion() -> String {
                version += 1
                return String(format: "v%06d", version)
            }
            let future = PlanGoldenTests.end.addingTimeInterval(30 * 86_400)
            for var object in base.inventory.objects {
                object.versionID = nextVersion()
                switch roll(40) {
                case 0:  // an older version behind the current one
                    var older = object
                    older.versionID = nextVersion()
                    older.isLatest = false
                    older.lastModified = object.lastModified.addingTimeInterval(-3_600)
                    objects.append(older)
                case 1:  // deleted: a marker on top of the data
                    object.isLatest = false
                    var marker = object
                    marker.versionID = nextVersion()
                    marker.isLatest = true
                    marker.isDeleteMarker = true
                    marker.size = 0
                    marker.lastModified = PlanGoldenTests.end.addingTimeInterval(-Double(roll(4) * 20_000))
                    objects.append(marker)
                case 2: object.tags = [Planner.holdTag: "audit"]
                case 3: object.objectLock = ObjectLockState(mode: roll(2) == 0 ? .governance : .compliance,
                                                            retainUntil: future.addingTimeInterval(-Double(roll(60) * 86_400)))
                case 4: object.objectLock = ObjectLockState(legalHold: true)
                case 5: object.storageClass = [StorageClass.standardIA, .glacier, .deepArchive, .glacierIR][Int(roll(4))]
                case 6: object.tags = ["owner": "someone-else"]
                default: break
                }
                objects.append(object)
            }
            // Planted: keys dated after now, keys no layout matches, markers with nothing below them.
            objects.append(InventoryObject(key: "qdrant/mind_memories-2027-03-01-03-00-00.snapshot", size: 10, lastModified: PlanGoldenTests.end, versionID: nextVersion()))
            objects.append(InventoryObject(key: "vault/29991231_000000.snap", size: 10, lastModified: PlanGoldenTests.end, versionID: nextVersion()))
            objects.append(InventoryObject(key: "nats/README", size: 10, lastModified: PlanGoldenTests.end, versionID: nextVersion()))
            objects.append(InventoryObject(key: "postgresql/backup/mind/not-a-label/x", size: 10, lastModified: PlanGoldenTests.end, versionID: nextVersion()))
            objects.append(InventoryObject(key: "falkordb/20200101_000000/dump.rdb", size: 0, lastModified: PlanGoldenTests.end,
                                           versionID: nextVersion(), isDeleteMarker: true))
            // Inventory order is not key order: the plan must not depend on it.
            var shuffled = objects
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(roll(UInt64(i + 1)))) }
            let uploads = base.inventory.uploads + [
                MultipartUploadRecord(key: "qdrant/mind_memories-2026-11-19-03-00-00.snapshot", uploadID: "fresh", initiated: PlanGoldenTests.end),
                MultipartUploadRecord(key: "vault/partial.snap", uploadID: "old", initiated: PlanGoldenTests.end.addingTimeInterval(-40 * 86_400)),
            ]
            return SyntheticInventory(inventory: Inventory(objects: shuffled, uploads: uploads), documents: base.documents)
        }
    }
}
