import Foundation
import PropertyBased
import Testing
@testable import Retention

/// The floor no flag lifts, checked on the final list of deletions, apart from the rule engine:
/// each series keeps its newest set and at least `min(keep_last, sets)` sets.
@Suite struct DeletionFloorTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")
    static let times = ["2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"]

    static func floor(keepLast: Int?) throws -> DeletionFloor {
        let rules = keepLast.map { RetentionRules(keepLast: $0) } ?? RetentionRules(keepWithin: .days(1))
        return DeletionFloor(policies: try Fixtures.templatePolicy(retention: rules))
    }

    static func deletes(_ indices: [Int]) -> [PlanAction] {
        let objects = Fixtures.dumps(times)
        return indices.map { .delete(key: objects[$0].key, versionID: nil, reason: "test") }
    }

    /// (what, keep_last, indices of the five sets deleted (4 is the newest), violation expected)
    static let cases: [(String, Int?, [Int], Bool)] = [
        ("nothing deleted", 3, [], false),
        ("two oldest of five with keep_last 3", 3, [0, 1], false),
        ("three of five with keep_last 3: only two left", 3, [0, 1, 2], true),
        ("the newest set, however many are left", 1, [4], true),
        ("all but the newest without keep_last", nil, [0, 1, 2, 3], false),
        ("keep_last larger than the sets: all must stay", 9, [0], true),
    ]

    @Test(arguments: cases)
    func theFloorHoldsOnTheFinalDeletions(_ what: String, _ keepLast: Int?, _ deleted: [Int], _ violated: Bool) throws {
        let violations = try Self.floor(keepLast: keepLast)
            .violations(actions: Self.deletes(deleted), inventory: Inventory(objects: Fixtures.dumps(Self.times)), now: Self.now)
        #expect(!violations.isEmpty == violated, "\(what): \(violations)")
    }

    @Test func onlyConfirmedSetsCount() throws {
        // Five sets in the report, but only the two newest confirmed: deleting one of the three
        // unconfirmed ones is fine, deleting a confirmed one with keep_last 2 is not.
        let ids = Set(Fixtures.dumps(Self.times).suffix(2).map { CivilTime.iso8601(Int64($0.lastModified.timeIntervalSince1970)) })
        let floor = try Self.floor(keepLast: 2)
        let inventory = Inventory(objects: Fixtures.dumps(Self.times))
        #expect(floor.violations(actions: Self.deletes([0]), inventory: inventory, now: Self.now, confirmed: ["db": ids]).isEmpty)
        let violations = floor.violations(actions: Self.deletes([3]), inventory: inventory, now: Self.now, confirmed: ["db": ids])
        #expect(violations.count == 1)
        #expect(violations.first?.description == "floor: db would keep 1 set(s), fewer than the 2 the floor requires; none of db's deletions were made")
    }

    @Test func futureDatedSetsDoNotCountTowardsTheFloor() throws {
        let inventory = Inventory(objects: Fixtures.dumps(Self.times + ["2027-06-01T00:00:00Z"]))
        let violations = try Self.floor(keepLast: 1).violations(actions: Self.deletes([4]), inventory: inventory, now: Self.now)
        #expect(violations.first?.newestDeleted == "2026-11-24T00:00:00Z")
    }

    @Test func aVersionedDeleteOfTheCurrentVersionCounts() throws {
        let objects = Fixtures.dumps(Self.times).enumerated().map { i, object in
            var versioned = object
            versioned.versionID = "v\(i)"
            return versioned
        }
        let floor = try Self.floor(keepLast: 1)
        let newest = PlanAction.delete(key: objects[4].key, versionID: "v4", reason: "test")
        let other = PlanAction.delete(key: objects[4].key, versionID: "someOldVersion", reason: "test")
        #expect(floor.violations(actions: [newest], inventory: Inventory(objects: objects), now: Self.now).count == 1)
        #expect(floor.violations(actions: [other], inventory: Inventory(objects: objects), now: Self.now).isEmpty)
    }

    /// Property: whatever the planner's rules, its own deletions never break the floor.
    @Test func thePlannersDeletionsNeverBreakTheFloor() async throws {
        await propertyCheck(input: PropertyTests.setsGen, PropertyTests.rulesGen) { sets, values in
            let rules = PropertyTests.rules(values)
            let planner = try PropertyTests.planner(rules, force: true)
            let inventory = PropertyTests.inventory(sets)
            let plan = planner.plan(inventory: inventory, now: PropertyTests.now)
            #expect(DeletionFloor(policies: planner.policies).violations(actions: plan.actions, inventory: inventory, now: PropertyTests.now).isEmpty)
        }
    }

    /// A withheld component's deletions are removed by the bytes of its prefix, as S3 lists it:
    /// a key in another Unicode form was listed elsewhere and is not the component's; a
    /// transition under the prefix stays.
    @Test func withheldDeletionsAreThoseUnderThePrefixBytes() throws {
        let policies = try Fixtures.templatePolicy("café/{time:%Y%m%d_%H%M%S}.dump", component: "cafe", prefix: "café/",
                                                   retention: RetentionRules(keepLast: 1))
        let withheld = WithheldPrefixes(components: ["cafe"], policies: policies)
        let composed = "caf\u{e9}/20261120_000000.dump", decomposed = "cafe\u{301}/20261120_000000.dump"
        #expect(composed == decomposed, "the premise: Swift's String takes them as equal")
        #expect(withheld.contains(composed))
        #expect(!withheld.contains(decomposed))
        #expect(!withheld.contains("other/x"))
        #expect(WithheldPrefixes(components: ["other"], policies: policies).isEmpty)
        let actions: [PlanAction] = [
            .delete(key: composed, versionID: nil, reason: "t"), .delete(key: decomposed, versionID: nil, reason: "t"),
            .transition(key: composed, from: .standard, to: .glacier, reason: "t"),
        ]
        let kept = actions.removingDeletions(of: ["cafe"], policies: policies)
        #expect(kept.map { Array($0.key.utf8) } == [Array(decomposed.utf8), Array(composed.utf8)])
    }
}
