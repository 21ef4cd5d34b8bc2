import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// What `retrieve` fetches for a pgBackRest set: its members, the sets it depends on, the info
/// and history files and the WAL of its archive range; gathered the same from a plan in memory
/// and from a streamed plan's placements and a stream of keys.
@Suite struct RetrievalNeedsTests {
    typealias Repo = PgBackRestTests
    static let full = "20251101-020000F"
    static let diff = "20251101-020000F_20251102-020000D"
    static let incr = "20251101-020000F_20251103-020000I"
    static let older = "20251020-020000F"
    static let labels = [older, full, diff, incr]

    /// `backup.info` with the chain full ← diff ← incr, and an older full; `incr`'s archive range
    /// is `incrRange`, and it references `incrReferences`.
    static func info(incrRange: (UInt64, UInt64) = (0x30, 0x31), incrReferences: [String] = [full, diff]) -> String {
        "[backrest]\nbackrest-format=5\n\n[backup:current]\n" + [
            Repo.infoLine(older, type: "full", start: 0x08, stop: 0x09, prior: nil, references: []),
            Repo.infoLine(full, type: "full", start: 0x10, stop: 0x11, prior: nil, references: []),
            Repo.infoLine(diff, type: "diff", start: 0x20, stop: 0x20, prior: full, references: [full]),
            Repo.infoLine(incr, type: "incr", start: incrRange.0, stop: incrRange.1, prior: diff, references: incrReferences),
        ].joined(separator: "\n") + "\n\n[db]\ndb-id=1\n"
    }

    static let objects = labels.flatMap { Repo.setObjects($0) } + Repo.metadata + (0x07...0x33).map { Repo.wal($0) }
    static let infoKey = Repo.base + "backup.info"
    static let planned = ["postgresql/archive/mind/archive.info", "postgresql/archive/mind/archive.info.copy",
                          Repo.archive + "00000002.history", Repo.base + "backup.info", Repo.base + "backup.info.copy"]

    /// The keys and notes of retrieving `id`, from the plan in memory and from the streamed plan.
    static func retrieval(of id: String, objects: [InventoryObject] = objects,
                          documents: [String: String]) throws -> (memory: [String], streamed: [String], notes: [String]) {
        let policies = try Repo.policies(RetentionRules(keepLast: 10))
        let policy = policies.policies[0]
        let planner = Planner(policies: policies)
        let plan = planner.plan(inventory: Inventory(objects: objects), now: Repo.now, documents: documents)
        let sets = plan.components[0].sets
        let index = try #require(sets.firstIndex { $0.id == id })
        let memory = policy.retrievalKeys(of: index, sets: sets, currentKeys: objects.map(\.key), documents: documents)

        let streaming = StreamingPlanner(planner: planner)
        var outline = try #require(try streaming.outline(objects, uploads: [], now: Repo.now, documents: documents))
        let placements = try StreamingPlannerTests.place(streaming, objects, outline: &outline).sorted
        let outlineSets = outline.skeleton.components[0].sets
        #expect(outlineSets.allSatisfy { $0.members.isEmpty }, "a streamed plan's sets carry no members")
        var gathering = RetrievalGathering(set: index, sets: outlineSets,
                                           needs: policy.retrievalNeeds(of: outlineSets[index], sets: outlineSets, documents: documents))
        for placement in placements where placement.isMember { gathering.addMember(placement.key, group: placement.group) }
        for object in objects { gathering.addCurrent(object.key) }
        let streamed = gathering.finish()
        #expect(streamed.notes == memory.notes)
        return (Set(memory.keys).sorted(), Set(streamed.keys).sorted(), memory.notes)
    }

    /// Every key of the sets `labels`, the metadata a restore reads, and the WAL `segments`.
    static func expected(sets: [String], wal segments: ClosedRange<UInt64>?) -> [String] {
        let members = sets.flatMap { Repo.setObjects($0) }.map(\.key)
        let wal = segments.map { $0.map { Repo.wal($0).key } } ?? []
        return Set(members + planned + wal).sorted()
    }

    static func walNote(_ count: Int) -> String {
        "WAL from archive start to stop included (\(count) objects); WAL after the stop (point-in-time recovery) is not: fetch it with pgbackrest archive-get"
    }

    @Test("a set, the sets it references and the WAL of its archive range", arguments: [
        (full, [full], 0x10...0x11),
        (diff, [full, diff], 0x20...0x20),
        (incr, [full, diff, incr], 0x30...0x31),
        (older, [older], 0x08...0x09),
    ] as [(String, [String], ClosedRange<UInt64>)])
    func keysFollowBackupInfo(id: String, sets: [String], wal: ClosedRange<UInt64>) throws {
        let got = try Self.retrieval(of: id, documents: [Self.infoKey: Self.info()])
        #expect(got.memory == Self.expected(sets: sets, wal: wal))
        #expect(got.streamed == got.memory)
        #expect(got.notes == [Self.walNote(wal.count)])
    }

    @Test func withoutBackupInfoTheWholeOlderChainAndNoWAL() throws {
        let got = try Self.retrieval(of: Self.incr, documents: [:])
        #expect(got.memory == Self.expected(sets: [Self.full, Self.diff, Self.incr], wal: nil))
        #expect(got.streamed == got.memory)
        #expect(got.notes == ["backup.info has no entry for \(Self.incr): fetching every older set of its chain",
                              "WAL not included: backup.info gives no archive range for \(Self.incr); fetch it with pgbackrest archive-get"])
    }

    @Test func anEncryptedBackupInfoIsTakenAsNoEntry() throws {
        let got = try Self.retrieval(of: Self.incr, documents: [Self.infoKey: "Salted__\u{1}\u{2}"])
        #expect(got.memory == Self.expected(sets: [Self.full, Self.diff, Self.incr], wal: nil))
        #expect(got.streamed == got.memory)
    }

    /// Someone else wrote backup.info: an archive stop before the start needs no WAL and traps
    /// nowhere; a reference to a set not in the bucket is named.
    @Test func aHostileBackupInfoFetchesLessNeverCrashes() throws {
        let backwards = try Self.retrieval(of: Self.incr, documents: [Self.infoKey: Self.info(incrRange: (0x31, 0x30))])
        #expect(backwards.memory == Self.expected(sets: [Self.full, Self.diff, Self.incr], wal: nil))
        #expect(backwards.streamed == backwards.memory)
        #expect(backwards.notes == [Self.walNote(0)])

        let missing = "20251001-020000F"
        let dangling = try Self.retrieval(of: Self.incr, documents: [Self.infoKey: Self.info(incrReferences: [missing, Self.diff])])
        #expect(dangling.memory == Self.expected(sets: [Self.diff, Self.incr], wal: 0x30...0x31))
        #expect(dangling.streamed == dangling.memory)
        #expect(dangling.notes == ["\(Self.incr) references \(missing), which is not in the bucket: the restore will fail",
                                   Self.walNote(2)])
    }

    @Test func backupInfoThenItsCopyIsRead() throws {
        let policy = try Repo.policies(RetentionRules(keepLast: 1)).policies[0]
        let keys = Set(Self.objects.map(\.key))
        #expect(policy.retrievalDocuments(present: keys.contains) == [Self.infoKey])
        #expect(policy.retrievalDocuments(present: { $0 != Self.infoKey && keys.contains($0) }) == [Self.infoKey + ".copy"])
        #expect(policy.retrievalDocuments(present: { _ in false }) == [])
    }

    /// Sets of every unversioned golden history, streamed and in memory alike.
    @Test("the streamed gathering equals the in-memory one, set by set", arguments: StreamingPlannerTests.unversioned)
    func streamedEqualsInMemory(history: PlanGoldenTests.History) throws {
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        let plan = planner.plan(inventory: history.inventory, now: history.now, documents: history.documents)
        var (streaming, outline) = try StreamingPlannerTests.outlined(history)
        let placements = try StreamingPlannerTests.place(streaming, history.inventory.objects, outline: &outline).sorted
        let outlineSets = outline.skeleton.components.map(\.sets)
        var compared = 0
        for (position, component) in plan.components.enumerated() {
            let policy = try #require(try Fixtures.defaultPolicies().policy(named: component.component))
            let current = history.inventory.objects.map(\.key).filter { $0.hasPrefix(policy.prefix) }
            // Some sets of each component, from the oldest to the newest: each costs a walk of the keys.
            let step = max(1, component.sets.count / 6)
            for index in Set(stride(from: 0, to: component.sets.count, by: step)).union([component.sets.count - 1]).sorted()
            where index >= 0 {
                let memory = policy.retrievalKeys(of: index, sets: component.sets, currentKeys: current, documents: history.documents)
                let sets = outlineSets[position]
                var gathering = RetrievalGathering(set: index, sets: sets,
                                                   needs: policy.retrievalNeeds(of: sets[index], sets: sets, documents: history.documents))
                for placement in placements where placement.isMember && placement.component == position {
                    gathering.addMember(placement.key, group: placement.group)
                }
                for key in current { gathering.addCurrent(key) }
                let streamed = gathering.finish()
                #expect(Set(streamed.keys) == Set(memory.keys), "\(component.component) \(component.sets[index].id)")
                #expect(streamed.notes == memory.notes)
                #expect(Set(component.sets[index].members).isSubset(of: Set(memory.keys)))
                compared += 1
            }
        }
        #expect(compared >= 12)
    }
}
