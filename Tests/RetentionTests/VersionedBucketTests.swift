import Foundation
import Testing
@testable import Retention

/// Versioned and object-lock buckets: what a plan deletes by version, what locks block, and
/// what the `noncurrent` option does with old versions and delete markers.
struct VersionedBucketTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")

    /// The newest set, kept by keep_last 1; its current version was written on 2026-11-10.
    static let current = Fixtures.object("db/20261125_000000.dump", modified: "2026-11-10T00:00:00Z", versionID: "cur")

    static func plan(_ objects: [InventoryObject], noncurrent: PolicyDuration? = nil, bypass: Bool = false,
                     maxDeleteFraction: Double = 1.0) throws -> Plan {
        var policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 1), maxDeleteFraction: maxDeleteFraction)
        var policy = policies.policies[0]
        policy.noncurrentExpireAfter = noncurrent
        policies = try PolicySet(policies: [policy])
        return Planner(policies: policies, options: PlanOptions(bypassGovernance: bypass))
            .plan(inventory: Inventory(objects: [current] + objects), now: now)
    }

    static func deletes(_ plan: Plan) -> [String] {
        plan.actions.compactMap {
            if case .delete(let key, let version, _) = $0 { return "\(key)#\(version ?? "-")" }
            return nil
        }
    }

    @Test func aGovernanceLockBlocksUnlessBypassedAndThenOnlyForExpiredSets() throws {
        let lock = ObjectLockState(mode: .governance, retainUntil: Fixtures.date("2027-03-01T00:00:00Z"))
        let objects = [Fixtures.object("db/20200101_000000.dump", lock: lock, versionID: "g1")]
        let held = try Self.plan(objects)
        #expect(held.components[0].sets[0].reasons.map(\.text) == ["blocked by object lock until 2027-03-01T00:00:00Z (GOVERNANCE; --bypass-governance lets an expired set go)"])
        #expect(Self.deletes(held).isEmpty)
        let bypassed = try Self.plan(objects, bypass: true)
        // Only the set the policy expires; the newest set stays.
        #expect(Self.deletes(bypassed) == ["db/20200101_000000.dump#g1"])
    }

    @Test func complianceLocksAndLegalHoldsBlockEvenWithBypass() throws {
        let objects = [
            Fixtures.object("db/20200101_000000.dump", lock: ObjectLockState(mode: .compliance, retainUntil: Fixtures.date("2027-01-01T00:00:00Z")), versionID: "c1"),
            Fixtures.object("db/20200102_000000.dump", lock: ObjectLockState(legalHold: true), versionID: "h1"),
        ]
        let plan = try Self.plan(objects, bypass: true)
        #expect(Self.deletes(plan).isEmpty)
        #expect(plan.components[0].sets.filter(\.cannotDelete).count == 2)
    }

    /// (what, noncurrent versions beside the current dumps, expire_after, expected deletions)
    static let noncurrentCases: [(String, [InventoryObject], PolicyDuration?, [String])] = [
        ("keep is the default: listed, never deleted",
         [Fixtures.object("db/20261125_000000.dump", modified: "2026-01-01T00:00:00Z", versionID: "old", isLatest: false)], nil, []),
        ("old enough: deleted",
         [Fixtures.object("db/20261125_000000.dump", modified: "2026-01-01T00:00:00Z", versionID: "old", isLatest: false)], .days(7),
         ["db/20261125_000000.dump#old"]),
        ("noncurrent (since 2026-11-10) for less than expire_after: kept",
         [Fixtures.object("db/20261125_000000.dump", modified: "2026-01-01T00:00:00Z", versionID: "young", isLatest: false)], .days(30), []),
        ("a hidden backup (marker on top) goes with its marker once both are old",
         [Fixtures.object("db/20200101_000000.dump", modified: "2020-01-01T00:00:00Z", versionID: "v1", isLatest: false),
          Fixtures.object("db/20200101_000000.dump", modified: "2026-01-01T00:00:00Z", versionID: "m1", isDeleteMarker: true)], .days(7),
         ["db/20200101_000000.dump#v1", "db/20200101_000000.dump#m1"]),
        ("a marker stays while it hides a version that is still kept",
         [Fixtures.object("db/20200101_000000.dump", modified: "2026-11-20T00:00:00Z", versionID: "v1", isLatest: false),
          Fixtures.object("db/20200101_000000.dump", modified: "2026-11-24T00:00:00Z", versionID: "m1", isDeleteMarker: true)], .days(7), []),
        ("a locked old version is not deleted",
         [Fixtures.object("db/20200101_000000.dump", modified: "2020-01-01T00:00:00Z",
                          lock: ObjectLockState(mode: .compliance, retainUntil: Fixtures.date("2030-01-01T00:00:00Z")), versionID: "v1", isLatest: false),
          Fixtures.object("db/20200101_000000.dump", modified: "2026-01-01T00:00:00Z", versionID: "m1", isDeleteMarker: true)], .days(7), []),
    ]

    @Test(arguments: noncurrentCases)
    func noncurrentVersionsFollowTheNoncurrentOption(_ what: String, _ objects: [InventoryObject], _ after: PolicyDuration?, _ expected: [String]) throws {
        let plan = try Self.plan(objects, noncurrent: after)
        #expect(Self.deletes(plan) == expected, "\(what)")
        #expect(plan.components[0].noncurrent.count == objects.count, "\(what): every noncurrent version is listed")
        #expect(plan.components[0].noncurrent.filter { $0.decision == .expire }.count == expected.count, "\(what)")
    }

    @Test func removingADeleteMarkerIsNotCountedAsADeletion() throws {
        let plan = try Self.plan([
            Fixtures.object("db/20200101_000000.dump", size: 500, modified: "2020-01-01T00:00:00Z", versionID: "v1", isLatest: false),
            Fixtures.object("db/20200101_000000.dump", size: 0, modified: "2026-01-01T00:00:00Z", versionID: "m1", isDeleteMarker: true),
        ], noncurrent: .days(7))
        #expect(Self.deletes(plan).count == 2)
        #expect(plan.totals.deletes == 1)
        #expect(plan.totals.deleteBytes == 500)
    }

    @Test func aBlockingGuardWithholdsNoncurrentDeletionsToo() throws {
        // Three of four sets would expire: over a 0.5 delete fraction.
        let objects = Fixtures.dumps(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]) + [
            Fixtures.object("db/20261125_000000.dump", modified: "2026-01-01T00:00:00Z", versionID: "old", isLatest: false),
        ]
        let plan = try Self.plan(objects, noncurrent: .days(7), maxDeleteFraction: 0.5)
        #expect(plan.isBlocked)
        #expect(Self.deletes(plan).isEmpty)
        #expect(plan.components[0].noncurrent.first?.reason.contains("withheld: a guard blocks") == true)
    }
}
