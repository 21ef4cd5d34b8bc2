import Foundation
import PropertyBased
import StrataTestSupport
import Testing
@testable import Retention

/// What the planner does when someone else wrote to the bucket: future-dated keys, delete
/// markers over kept backups, a flood of markers. The promise: none of it makes a sweep delete
/// a set the policy keeps.
@Suite struct HostileBucketPlanTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")
    static let vaultTemplate = "vault/{time:%Y%m%d_%H%M%S}.snap"

    /// The shipped vault policy's rules: keep_last 3, keep_within 90d.
    static func vaultPolicies(noncurrent: PolicyDuration? = nil, maxDeleteFraction: Double = 0.5,
                              futureTolerance: PolicyDuration = .hours(1)) throws -> PolicySet {
        var policy = try Fixtures.templatePolicy(vaultTemplate, component: "vault", prefix: "vault/",
                                                 retention: RetentionRules(keepLast: 3, keepWithin: .days(90)),
                                                 maxDeleteFraction: maxDeleteFraction).policies[0]
        policy.noncurrentExpireAfter = noncurrent
        policy.guards.futureTolerance = futureTolerance
        return try PolicySet(policies: [policy])
    }

    static func key(daysAgo: Int64) -> String {
        let time = now.addingTimeInterval(-Double(daysAgo) * 86_400)
        return (try? KeyTemplate(parsing: vaultTemplate))?.render(date: time) ?? ""
    }

    /// One snapshot a day, `days` days back from today (today included).
    static func daily(_ days: ClosedRange<Int64>, versioned: Bool = false) -> [InventoryObject] {
        days.map { ago in
            let modified = now.addingTimeInterval(-Double(ago) * 86_400)
            return InventoryObject(key: key(daysAgo: ago), size: 1_000_000, lastModified: modified,
                                   versionID: versioned ? "v\(ago)" : nil)
        }
    }

    static func plan(_ objects: [InventoryObject], policies: PolicySet, force: Bool = false, lastSweep: Date? = nil) -> Plan {
        Planner(policies: policies, options: PlanOptions(force: force, lastSweep: lastSweep))
            .plan(inventory: Inventory(objects: objects), now: now)
    }

    static func deletedKeys(_ plan: Plan) -> Set<String> {
        Set(plan.actions.compactMap { if case .delete(let key, _, _) = $0 { key } else { nil } })
    }

    // MARK: - Future-dated sets

    /// The issue's case: 60 daily sets inside keep_within 90d, plus one key 40 days ahead. Before,
    /// the future key anchored the window and 9 sets 51-59 days old were deleted.
    @Test func aFutureDatedSetNeitherAnchorsTheWindowNorTakesASlot() throws {
        let future = InventoryObject(key: Self.key(daysAgo: -40), size: 1_000_000, lastModified: Self.now)
        let plan = Self.plan(Self.daily(0...59) + [future], policies: try Self.vaultPolicies())
        #expect(Self.deletedKeys(plan).isEmpty)
        let component = plan.components[0]
        let futureSet = try #require(component.sets.first { $0.members == [future.key] })
        #expect(futureSet.decision == .keep)
        #expect(futureSet.reasons.map(\.kind) == [.future])
        // The newest real set is the series' newest, and keep_last counts from it.
        let today = try #require(component.sets.first { $0.members == [Self.key(daysAgo: 0)] })
        #expect(today.reasons.map(\.kind) == [.newest, .last, .within])
        #expect(component.guards.map(\.kind) == [.futureDated])
        #expect(component.guards[0].blocking == false)
        #expect(component.guards[0].message.contains("1 set(s) dated more than future_tolerance 1h after now"))
    }

    /// (what, days ahead of now, tolerance, future-dated?)
    static let toleranceCases: [(String, Double, PolicyDuration, Bool)] = [
        ("30 minutes ahead, inside the default 1h", 30.0 / 1440, .hours(1), false),
        ("two hours ahead, past the default 1h", 2.0 / 24, .hours(1), true),
        ("two hours ahead, inside a 1d tolerance", 2.0 / 24, .days(1), false),
        ("40 days ahead", 40, .days(1), true),
    ]

    @Test(arguments: toleranceCases)
    func futureToleranceDecidesWhatIsFutureDated(_ what: String, _ daysAhead: Double, _ tolerance: PolicyDuration, _ future: Bool) throws {
        let time = Self.now.addingTimeInterval(daysAhead * 86_400)
        let key = try KeyTemplate(parsing: Self.vaultTemplate).render(date: time)
        let plan = Self.plan(Self.daily(1...5) + [InventoryObject(key: key, size: 1, lastModified: Self.now)],
                             policies: try Self.vaultPolicies(futureTolerance: tolerance))
        let set = try #require(plan.components[0].sets.first { $0.members == [key] })
        #expect(set.reasons.contains { $0.kind == .future } == future, "\(what)")
        #expect(plan.components[0].guards.contains { $0.kind == .futureDated } == future, "\(what)")
    }

    @Test func onlyFutureDatedSetsLeaveTheSeriesStale() throws {
        var policies = try Self.vaultPolicies()
        policies = try PolicySet(policies: [{ var p = policies.policies[0]; p.expectEvery = .days(1); return p }()])
        let plan = Self.plan(Self.daily(10...12) + [InventoryObject(key: Self.key(daysAgo: -5), size: 1, lastModified: Self.now)],
                             policies: policies)
        #expect(plan.components[0].guards.contains { $0.kind == .stale && $0.message.contains("older than 2 x expect_every") })
    }

    /// Property: adding any number of future-dated sets never changes the decision for a real set.
    @Test func futureDatedSetsNeverChangeARealSetsDecision() async throws {
        await propertyCheck(input: PropertyTests.setsGen, PropertyTests.rulesGen, Gen.int(in: 1...5_000).array(of: 1...20)) { sets, values, hoursAhead in
            let planner = try PropertyTests.planner(PropertyTests.rules(values), force: true)
            let real = PropertyTests.inventory(sets)
            let template = try KeyTemplate(parsing: PropertyTests.template)
            let planted = hoursAhead.map { hours in
                let time = Self.now.addingTimeInterval(Double(hours) * 3_600 + 3_601)
                return InventoryObject(key: template.render(date: time, series: ["alpha", "beta", "gamma-2"][hours % 3]), size: 1, lastModified: Self.now)
            }
            let before = planner.plan(inventory: real, now: Self.now)
            let after = planner.plan(inventory: Inventory(objects: real.objects + planted), now: Self.now)
            let decisions = Dictionary(uniqueKeysWithValues: after.components[0].sets.map { ($0.id, $0.decision) })
            for set in before.components[0].sets { #expect(decisions[set.id] == set.decision, "\(set.id)") }
            #expect(Self.deletedKeys(after) == Self.deletedKeys(before))
        }
    }

    // MARK: - Delete markers

    /// A delete marker placed at `time` over `object`; the object's version becomes noncurrent.
    static func hide(_ object: InventoryObject, at time: Date, id: String) -> [InventoryObject] {
        var hidden = object
        hidden.isLatest = false
        return [hidden, InventoryObject(key: object.key, size: 0, lastModified: time, versionID: id, isLatest: true, isDeleteMarker: true)]
    }

    /// The issue's case: every key gets a delete marker, and `noncurrent.expire_after` would
    /// purge every version. The sweep treats it as an incident and deletes nothing.
    @Test func aDeleteMarkerFloodIsAnIncidentAndPurgesNothing() throws {
        let markedAt = Self.now.addingTimeInterval(-3_600)
        let objects = Self.daily(0...119, versioned: true).enumerated().flatMap { i, object in Self.hide(object, at: markedAt, id: "m\(i)") }
        let lastSweep = Self.now.addingTimeInterval(-86_400)
        for force in [false, true] {
            let plan = Self.plan(objects, policies: try Self.vaultPolicies(noncurrent: .days(1)), force: force, lastSweep: lastSweep)
            #expect(Self.deletedKeys(plan).isEmpty, "force \(force)")
            let incident = try #require(plan.components[0].guards.first { $0.kind == .deleteMarkerIncident })
            #expect(incident.blocking)
            #expect(incident.message.contains("hide 120 of 120 sets"))
            #expect(incident.message.contains("after the last sweep at 2026-11-24T12:00:00Z"))
            #expect(plan.isBlocked)
            #expect(plan.components[0].hiddenSets.count == 120)
        }
    }

    /// Markers placed before the last sweep are not news; the sets the policy keeps stay
    /// protected anyway, and only the ones it expires go with `noncurrent.expire_after`.
    @Test func oldMarkersAreNoIncidentButKeptHiddenSetsStayProtected() throws {
        // Each key was marked a minute after it was written, all before the last sweep.
        let objects = Self.daily(1...120, versioned: true).enumerated().flatMap { i, object in
            Self.hide(object, at: object.lastModified.addingTimeInterval(60), id: "m\(i)")
        }
        let plan = Self.plan(objects, policies: try Self.vaultPolicies(noncurrent: .days(1), maxDeleteFraction: 1),
                             lastSweep: Self.now.addingTimeInterval(-60))
        #expect(!plan.components[0].guards.contains { $0.kind == .deleteMarkerIncident })
        let kept = plan.components[0].hiddenSets.filter { $0.decision == .keep }
        #expect(kept.count == 91, "keep_within 90d of the newest (hidden) set, boundary included")
        let deleted = Self.deletedKeys(plan)
        for set in kept { #expect(deleted.isDisjoint(with: set.members), "\(set.id)") }
        #expect(deleted.count == 29, "the 29 sets the policy expires go with their markers")
    }

    @Test func markersOverTheNewestSetAreAnIncidentEvenWhenFew() throws {
        var objects = Self.daily(1...30, versioned: true)
        objects += Self.hide(Self.daily(0...0, versioned: true)[0], at: Self.now, id: "m0")
        let plan = Self.plan(objects, policies: try Self.vaultPolicies(noncurrent: .days(1)), lastSweep: Self.now.addingTimeInterval(-86_400))
        let incident = try #require(plan.components[0].guards.first { $0.kind == .deleteMarkerIncident })
        #expect(incident.message.contains("hide 1 of 31 sets"))
        #expect(Self.deletedKeys(plan).isEmpty)
    }

    /// Noncurrent deletions count in the delete-fraction guard, by bytes.
    @Test func noncurrentPurgesCountInTheDeleteFraction() throws {
        // Three live sets; each has five big old versions overwritten long ago. The newest old
        // version of today's key has been noncurrent for less than expire_after: 14 of 15 go.
        var objects = Self.daily(0...2, versioned: true)
        for object in objects {
            for n in 0..<5 {
                objects.append(InventoryObject(key: object.key, size: 10_000_000, lastModified: Self.now.addingTimeInterval(-Double(400 + n) * 86_400),
                                               versionID: "old\(n)", isLatest: false))
            }
        }
        let plan = Self.plan(objects, policies: try Self.vaultPolicies(noncurrent: .days(1)))
        let fraction = try #require(plan.components[0].guards.first { $0.kind == .deleteFractionExceeded })
        #expect(fraction.blocking)
        #expect(fraction.message.contains("would delete 0 of 3 sets (0%) and 140000000 of 153000000 bytes (92%)"))
        #expect(Self.deletedKeys(plan).isEmpty)
    }

    /// Property: however delete markers are placed between sweeps, and whatever each sweep then
    /// deletes, no sweep deletes the last version of a set the policy keeps.
    @Test func noSequenceOfSweepsWithPlantedMarkersDeletesTheLastVersionOfAKeptSet() async throws {
        // Sets 0...40 days old; each round marks some keys, then a sweep plans and its deletions are applied.
        let rounds = zip(Gen.int(in: 0...40).array(of: 0...10), Gen.int(in: 1...20)).array(of: 1...4)
        await propertyCheck(input: rounds, Gen.int(in: 1...5)) { rounds, keepLast in
            var policy = try Self.vaultPolicies(noncurrent: .days(1), maxDeleteFraction: 1).policies[0]
            policy.retention = RetentionRules(keepLast: keepLast, keepWithin: .days(7))
            let policies = try PolicySet(policies: [policy])
            var bucket = Self.daily(0...40, versioned: true)
            var sweepAt = Self.now
            var lastSweep: Date? = nil
            for (round, (marked, hours)) in rounds.enumerated() {
                sweepAt = sweepAt.addingTimeInterval(Double(hours) * 3_600)
                for ago in marked {
                    let key = Self.key(daysAgo: Int64(ago))
                    guard let latest = bucket.firstIndex(where: { $0.key == key && $0.isLatest && !$0.isDeleteMarker }) else { continue }
                    bucket[latest].isLatest = false
                    bucket.append(InventoryObject(key: key, size: 0, lastModified: sweepAt.addingTimeInterval(-60),
                                                  versionID: "m\(round)-\(ago)", isLatest: true, isDeleteMarker: true))
                }
                let plan = Planner(policies: policies, options: PlanOptions(force: true, lastSweep: lastSweep))
                    .plan(inventory: Inventory(objects: bucket), now: sweepAt)
                // What the policy keeps, live or hidden: every one must keep a data version.
                let kept = (plan.components[0].sets + plan.components[0].hiddenSets).filter { $0.decision == .keep }.flatMap(\.members)
                let deletions = Set(plan.actions.compactMap { action -> String? in
                    if case .delete(let key, let version, _) = action { return "\(key)#\(version ?? "")" }
                    return nil
                })
                bucket.removeAll { deletions.contains("\($0.key)#\($0.versionID ?? "")") }
                for key in kept {
                    #expect(bucket.contains { $0.key == key && !$0.isDeleteMarker }, "round \(round): kept \(key) lost its last version")
                }
                lastSweep = sweepAt
            }
        }
    }

    // MARK: - Absurd numbers

    /// Issue 16, rows 6 and 9: sizes near Int64.max and windows or counts past any calendar
    /// trapped the planner (ComponentPlanner, KeepEvaluator). A plan is made; sums saturate.
    @Test func absurdSizesWindowsAndCountsNeverTrapThePlanner() throws {
        var policy = try Self.vaultPolicies(noncurrent: .days(1), maxDeleteFraction: 0.5).policies[0]
        policy.retention = RetentionRules(keepLast: Int.max, keepWithin: PolicyDuration(seconds: .max), keepDaily: Int.max, keepYearly: Int.max)
        policy.expectEvery = PolicyDuration(seconds: .max)
        policy.tiers = [TierRule(after: .days(30), storageClass: .standardIA)]
        let huge = Self.daily(0...4, versioned: true).map { object -> InventoryObject in
            var object = object
            object.size = .max - 1
            return object
        }
        let old = InventoryObject(key: huge[0].key, size: .max, lastModified: Self.now.addingTimeInterval(-400 * 86_400), versionID: "old", isLatest: false)
        let plan = Self.plan(huge + [old], policies: try PolicySet(policies: [policy]))
        #expect(plan.components[0].sets.allSatisfy { $0.decision == .keep })
        #expect(plan.totals.bytes == .max)
    }

    /// Sizes no real object has, in two components: each component's totals saturate, and so
    /// must the plan's, which adds them up (it trapped on overflow).
    @Test func absurdSizesInTwoComponentsSaturateThePlanTotals() throws {
        let objects = [InventoryObject(key: "vault/20261101_000000.snap", size: .max - 1, lastModified: Fixtures.date("2026-11-01T00:00:00Z"), storageClass: .glacier),
                       InventoryObject(key: "qdrant/mind_memories-2026-11-01-03-00-00.snapshot", size: .max - 1,
                                       lastModified: Fixtures.date("2026-11-01T00:00:00Z"), storageClass: .glacier)]
        let plan = Planner(policies: try Fixtures.defaultPolicies()).plan(inventory: Inventory(objects: objects), now: Fixtures.date("2026-11-20T00:00:00Z"))
        #expect(plan.totals.bytes == .max)
        #expect(plan.totals.byClass.map(\.bytes) == [.max])
        #expect(plan.totals.objects == 2)
    }

    /// A backup file someone hid with a delete marker, in a set the policy keeps, and a planted
    /// key that Unicode takes as the same name (`é` composed vs `e` + combining accent) but S3
    /// keeps as another key. Merged with the planted key, the hidden file looked current, lost
    /// its protection as the last copy of a kept backup, and its data version was purged by
    /// `noncurrent.expire_after`.
    @Test("a planted key Unicode takes as a hidden backup file's name does not unprotect its last copy")
    func canonicallyEqualTwinKeysStayApart() throws {
        var policies = try Fixtures.defaultPolicies().policies
        for i in policies.indices { policies[i].noncurrentExpireAfter = .days(1) }
        let planner = Planner(policies: try PolicySet(policies: policies), options: PlanOptions(components: ["postgresql"]))
        let set = "postgresql/backup/mind/20261120-000000F/"
        let composed = set + "pg_data/caf\u{e9}", decomposed = set + "pg_data/cafe\u{301}"
        #expect(composed == decomposed)
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        let objects = [
            Fixtures.object(set + "backup.manifest", modified: "2026-11-20T01:00:00Z", versionID: "m"),
            Fixtures.object(composed, modified: "2026-11-20T01:00:00Z", versionID: "data", isLatest: false),
            Fixtures.object(composed, size: 0, modified: "2026-11-24T00:00:00Z", versionID: "marker", isDeleteMarker: true),
            Fixtures.object(decomposed, modified: "2026-11-21T00:00:00Z", versionID: "planted"),
        ]
        let plan = planner.plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(plan.components[0].sets.map(\.decision) == [.keep])
        let deleted = plan.actions.compactMap { action -> String? in
            if case .delete(_, let version, _) = action { return version }
            return nil
        }
        #expect(!deleted.contains("data"))
        let entry = try #require(plan.components[0].noncurrent.first { $0.versionID == "data" })
        #expect(entry.hidden)
        #expect(entry.reason.contains("newest version of a set the policy keeps"))
        // The streaming planner, which reads keys as bytes, plans the same.
        let streamed = try StreamingVersionedPlannerTests.streamed(planner, objects: StreamingVersionedPlannerTests.keyRuns(objects),
                                                                   now: Self.now, documents: [:])
        #expect(firstDifference(streamed.json, plan.jsonData) == nil)
    }
}
