import Foundation
import Testing
@testable import Retention

/// `Policy.setID(ofKey:)`, which `strata undelete` uses to place a key hidden by a delete marker
/// in its set: it must name every member the way the plan names its set, and nothing else.
@Suite struct UndeleteSetMembershipTests {
    @Test func everyMemberOfEveryPlannedSetMapsToItsSetID() throws {
        let policies = try Fixtures.templatePolicy("db/{series}/{time:%Y%m%d_%H%M%S}/{file}", retention: RetentionRules(keepLast: 5))
        let policy = policies.policies[0]
        let objects = ["db/main/20250101_020000/a.dump", "db/main/20250101_020000/b.dump", "db/replica/20250102_020000/a.dump"]
            .map { Fixtures.object($0) }
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Fixtures.date("2025-02-01T00:00:00Z"))
        let sets = plan.components[0].sets
        #expect(sets.count == 2)
        for set in sets {
            for member in set.members { #expect(policy.setID(ofKey: member) == set.id, "\(member)") }
        }
        #expect(policy.setID(ofKey: "db/main/20250101_020000/a.dump") == "main@2025-01-01T02:00:00Z")
        #expect(policy.setID(ofKey: "db/README") == nil)
        #expect(policy.setID(ofKey: "other/main/20250101_020000/a.dump") == nil)
    }

    @Test func pgBackRestSetFilesMapToTheirLabelAndMetadataAndWALToNone() throws {
        let policy = try PgBackRestTests.policies(RetentionRules(keepLast: 2)).policies[0]
        let label = "20250102-020000F_20250103-020000D"
        for object in PgBackRestTests.setObjects(label) { #expect(policy.setID(ofKey: object.key) == label, "\(object.key)") }
        for object in PgBackRestTests.metadata { #expect(policy.setID(ofKey: object.key) == nil, "\(object.key)") }
        #expect(policy.setID(ofKey: PgBackRestTests.wal(0x1_0000_0003).key) == nil)
        #expect(policy.setID(ofKey: PgBackRestTests.base + "20250132-020000F/backup.manifest") == nil, "an invalid label is no set")
    }
}
