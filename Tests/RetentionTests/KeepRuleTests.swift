import Foundation
import Testing
@testable import Retention

/// Keep rules, one table per rule. Set ids of the test template are the set times in UTC.
@Suite struct KeepRuleTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")

    func plan(_ rules: RetentionRules, _ times: [String], zone: String = "UTC", objects extra: [InventoryObject] = []) throws -> Plan {
        let policies = try Fixtures.templatePolicy(retention: rules, zone: zone)
        return Planner(policies: policies).plan(inventory: Inventory(objects: Fixtures.dumps(times) + extra), now: Self.now)
    }

    @Test func keepLastKeepsTheNewestN() throws {
        let times = Fixtures.series(end: "2026-11-25T00:00:00Z", count: 5, step: 86_400)
        let result = try plan(RetentionRules(keepLast: 3), times)
        #expect(Fixtures.kept(result) == ["2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"])
        #expect(Fixtures.reasons(result, "2026-11-25T00:00:00Z") == ["newest set of the series", "last 3"])
        #expect(Fixtures.reasons(result, "2026-11-23T00:00:00Z") == ["last 3"])
        #expect(Fixtures.expired(result) == ["2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"])
    }

    /// keep_within D keeps sets at or after anchor - D; the boundary itself is kept.
    @Test(arguments: [
        (PolicyDuration.days(7), ["2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z", "2026-11-25T00:00:00Z"]),
        (PolicyDuration.hours(1), ["2026-11-25T00:00:00Z"]),
        (PolicyDuration.days(8), ["2026-11-17T00:00:00Z", "2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z", "2026-11-25T00:00:00Z"]),
    ])
    func keepWithinMeasuresFromTheNewestSet(_ window: PolicyDuration, _ kept: [String]) throws {
        let times = ["2026-11-25T00:00:00Z", "2026-11-19T00:00:00Z", "2026-11-18T00:00:00Z", "2026-11-17T00:00:00Z", "2026-11-16T23:59:59Z"]
        let result = try plan(RetentionRules(keepWithin: window), times)
        #expect(Fixtures.kept(result) == kept)
    }

    @Test func whenBackupsStopNothingMoreExpiresWithAnchorNewest() throws {
        // Backups stopped on 2026-10-01; it is now 2026-11-25.
        let times = Fixtures.series(end: "2026-10-01T00:00:00Z", count: 10, step: 86_400)
        let newest = try plan(RetentionRules(keepWithin: .days(7)), times)
        #expect(Fixtures.kept(newest).count == 8)
        let wallClock = try plan(RetentionRules(keepWithin: .days(7), anchor: .now), times)
        #expect(Fixtures.kept(wallClock) == ["2026-10-01T00:00:00Z"], "only the newest-set guard keeps anything")
    }

    /// Calendar rules keep the newest set in each of the N most recent periods that contain a set.
    static let calendarCases: [(String, RetentionRules, [String], [String], [String])] = [
        ("daily skips empty days", RetentionRules(keepDaily: 3),
         ["2026-11-25T06:00:00Z", "2026-11-25T01:00:00Z", "2026-11-23T23:00:00Z", "2026-11-23T01:00:00Z", "2026-11-20T12:00:00Z", "2026-11-19T12:00:00Z"],
         ["2026-11-20T12:00:00Z", "2026-11-23T23:00:00Z", "2026-11-25T06:00:00Z"], ["daily 2026-11-20", "daily 2026-11-23", "daily 2026-11-25"]),
        ("hourly", RetentionRules(keepHourly: 2),
         ["2026-11-25T10:59:59Z", "2026-11-25T10:00:00Z", "2026-11-25T09:30:00Z", "2026-11-25T09:10:00Z"],
         ["2026-11-25T09:30:00Z", "2026-11-25T10:59:59Z"], ["hourly 2026-11-25T09", "hourly 2026-11-25T10"]),
        ("ISO weeks across the year boundary", RetentionRules(keepWeekly: 2),
         ["2025-01-05T00:00:00Z", "2024-12-30T00:00:00Z", "2024-12-29T00:00:00Z", "2024-12-23T00:00:00Z"],
         ["2024-12-29T00:00:00Z", "2025-01-05T00:00:00Z"], ["weekly 2024-W52", "weekly 2025-W01"]),
        ("week 53", RetentionRules(keepWeekly: 2),
         ["2021-01-04T00:00:00Z", "2021-01-03T00:00:00Z", "2020-12-28T00:00:00Z"],
         ["2021-01-03T00:00:00Z", "2021-01-04T00:00:00Z"], ["weekly 2020-W53", "weekly 2021-W01"]),
        ("monthly with a leap day", RetentionRules(keepMonthly: 2),
         ["2024-03-01T00:00:00Z", "2024-02-29T23:00:00Z", "2024-02-28T00:00:00Z", "2024-01-31T00:00:00Z"],
         ["2024-02-29T23:00:00Z", "2024-03-01T00:00:00Z"], ["monthly 2024-02", "monthly 2024-03"]),
        ("yearly at the year boundary", RetentionRules(keepYearly: 2),
         ["2024-06-01T00:00:00Z", "2024-01-01T01:00:00Z", "2023-12-31T23:00:00Z", "2023-01-01T00:00:00Z", "2022-12-31T00:00:00Z"],
         ["2023-12-31T23:00:00Z", "2024-06-01T00:00:00Z"], ["yearly 2023", "yearly 2024"]),
        ("yearly 7 with fewer years", RetentionRules(keepYearly: 7),
         ["2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z", "2025-01-01T00:00:00Z"],
         ["2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z"], ["yearly 2025", "yearly 2026"]),
    ]

    @Test(arguments: calendarCases)
    func calendarRules(_ name: String, _ rules: RetentionRules, _ times: [String], _ kept: [String], _ reasons: [String]) throws {
        let result = try plan(rules, times)
        #expect(Fixtures.kept(result) == kept, "\(name)")
        let calendarReasons = result.components[0].sets.flatMap(\.reasons).filter { $0.kind != .newest }.map(\.text).sorted()
        #expect(calendarReasons == reasons, "\(name)")
    }

    /// Daily periods are local days: in Berlin 2025-03-29T23:30Z is already 30 March (DST starts that night).
    @Test(arguments: [
        ("UTC", ["2025-03-29T23:30:00Z", "2025-03-30T21:30:00Z"]),
        ("Europe/Berlin", ["2025-03-29T22:00:00Z", "2025-03-30T21:30:00Z"]),
    ])
    func dailyPeriodsFollowThePolicyZoneAcrossDST(_ zone: String, _ kept: [String]) throws {
        // Keys carry UTC times here (%s) so only the period drawing differs between zones.
        let policies = try Fixtures.templatePolicy("db/{time:%s}.dump", retention: RetentionRules(keepDaily: 2), zone: zone)
        let times = ["2025-03-30T21:30:00Z", "2025-03-29T23:30:00Z", "2025-03-29T22:00:00Z"]
        let objects = times.map { Fixtures.object("db/\(Int64(Fixtures.date($0).timeIntervalSince1970)).dump") }
        let result = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(Fixtures.kept(result) == kept)
        #expect(result.components[0].sets.filter { $0.decision == .keep }.map { CivilTime.iso8601(Int64($0.time.timeIntervalSince1970)) } == kept)
    }

    /// In the fall-back hour the wall clock shows 02:xx twice; both belong to the local hour 02 (as in restic).
    @Test func hourlyPeriodsInTheRepeatedHour() throws {
        let policies = try Fixtures.templatePolicy("db/{time:%s}.dump", retention: RetentionRules(keepHourly: 2), zone: "Europe/Berlin")
        let times = ["2025-10-26T00:30:00Z", "2025-10-26T01:30:00Z", "2025-10-26T02:30:00Z"]
        let objects = times.map { Fixtures.object("db/\(Int64(Fixtures.date($0).timeIntervalSince1970)).dump") }
        let result = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        let sets = result.components[0].sets
        #expect(sets.map(\.decision) == [.expire, .keep, .keep])
        #expect(sets[1].reasons.map(\.text) == ["hourly 2025-10-26T02"])
        #expect(sets[2].reasons.map(\.text) == ["newest set of the series", "hourly 2025-10-26T03"])
    }

    @Test func taggedSetsAreKeptIndefinitely() throws {
        let old = Fixtures.object("db/20200101_000000.dump", tags: [Planner.holdTag: "audit"])
        let result = try plan(RetentionRules(keepLast: 1), ["2026-11-25T00:00:00Z"], objects: [old])
        let set = try #require(result.components[0].sets.first)
        #expect(set.decision == .keep)
        #expect(set.reasons.map(\.text) == ["tagged strata-hold"])
        #expect(set.projectedExpiry == nil)
        let off = try plan(RetentionRules(keepLast: 1, keepTagged: false), ["2026-11-25T00:00:00Z"], objects: [old])
        #expect(off.components[0].sets.first?.decision == .expire)
    }

    @Test func objectLockAndLegalHoldPreventDeletion() throws {
        let until = Fixtures.date("2027-01-01T00:00:00Z")
        let objects = [
            Fixtures.object("db/20200101_000000.dump", lock: ObjectLockState(mode: .compliance, retainUntil: until)),
            Fixtures.object("db/20200102_000000.dump", lock: ObjectLockState(mode: .governance, retainUntil: Fixtures.date("2026-01-01T00:00:00Z"))),
            Fixtures.object("db/20200103_000000.dump", lock: ObjectLockState(legalHold: true)),
            // A locked noncurrent version locks its set too.
            Fixtures.object("db/20200104_000000.dump", versionID: "v2"),
            Fixtures.object("db/20200104_000000.dump", lock: ObjectLockState(mode: .compliance, retainUntil: until), versionID: "v1", isLatest: false),
        ]
        let result = try plan(RetentionRules(keepLast: 1), ["2026-11-25T00:00:00Z"], objects: objects)
        let sets = result.components[0].sets
        #expect(sets.map(\.decision) == [.keep, .expire, .keep, .keep, .keep])
        #expect(sets[0].reasons.map(\.text) == ["blocked by object lock until 2027-01-01T00:00:00Z (COMPLIANCE)"])
        #expect(sets[0].cannotDelete)
        #expect(sets[0].projectedExpiry == until)
        #expect(sets[2].reasons.map(\.text) == ["blocked by legal hold"])
        #expect(sets[3].cannotDelete)
        #expect(!result.actions.contains { $0.key.hasPrefix("db/20200104") })
    }

    @Test func everyReasonIsListedAndExpiryComesFromTheLongestRule() throws {
        let result = try plan(RetentionRules(keepWithin: .days(30), keepYearly: 7), ["2026-11-25T00:00:00Z", "2025-06-01T00:00:00Z"])
        let newest = try #require(result.components[0].sets.last)
        #expect(newest.reasons.map(\.text) == ["newest set of the series", "within 30d", "yearly 2026"])
        #expect(newest.projectedExpiry == Fixtures.date("2033-01-01T00:00:00Z"))
        let yearly = try #require(result.components[0].sets.first)
        #expect(yearly.reasons.map(\.text) == ["yearly 2025"])
        #expect(yearly.projectedExpiry == Fixtures.date("2032-01-01T00:00:00Z"))
    }

    @Test func expiringSetsCarryNowAsExpiry() throws {
        let result = try plan(RetentionRules(keepLast: 1), ["2026-11-25T00:00:00Z", "2026-11-24T00:00:00Z"])
        #expect(result.components[0].sets.first?.projectedExpiry == Self.now)
    }

    @Test func eachSeriesIsRetainedSeparately() throws {
        let policies = try Fixtures.templatePolicy("q/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot", component: "q", prefix: "q/",
                                                   retention: RetentionRules(keepLast: 2))
        let objects = ["a-2026-11-20-00-00-00", "a-2026-11-21-00-00-00", "a-2026-11-22-00-00-00", "b-2025-01-01-00-00-00", "b-2025-01-02-00-00-00"]
            .map { Fixtures.object("q/\($0).snapshot") }
        let result = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(Fixtures.kept(result) == ["a@2026-11-21T00:00:00Z", "a@2026-11-22T00:00:00Z", "b@2025-01-01T00:00:00Z", "b@2025-01-02T00:00:00Z"])
    }
}
