import Foundation
import PropertyBased
import StrataTestSupport
import Testing
@testable import Retention

/// Properties that hold for any inventory and any keep rules (swift-property-based).
@Suite struct PropertyTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")
    static let template = "q/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot"

    /// Sets as (series 0...2, hours before `now` 0...20000, size class 0...3).
    static let setsGen = zip(Gen.int(in: 0...2), Gen.int(in: 0...20_000), Gen.int(in: 0...3)).array(of: 1...60)
    /// keep_last, keep_within (days), keep_daily, keep_weekly, keep_monthly, keep_yearly; 0 = off.
    static let rulesGen = Gen.int(in: 0...6).array(of: 6)

    static func rules(_ values: [Int]) -> RetentionRules {
        func count(_ i: Int) -> Int? { values[i] == 0 ? nil : values[i] }
        var rules = RetentionRules(keepLast: count(0), keepWithin: count(1).map { PolicyDuration.days(Int64($0 * 5)) },
                                   keepDaily: count(2), keepWeekly: count(3), keepMonthly: count(4), keepYearly: count(5))
        if !rules.hasKeepRule { rules.keepLast = 1 }
        return rules
    }

    static func inventory(_ sets: [(Int, Int, Int)]) -> Inventory {
        let template = try? KeyTemplate(parsing: Self.template)
        let objects = sets.map { series, hours, size in
            let time = now.addingTimeInterval(-Double(hours) * 3_600)
            let key = template?.render(date: time, series: ["alpha", "beta", "gamma-2"][series]) ?? ""
            return InventoryObject(key: key, size: [1_000, 200_000, 5_000_000, 50_000_000][size], lastModified: time)
        }
        // Duplicate keys (same series and hour) would be one object in a bucket.
        var seen = Set<String>()
        return Inventory(objects: objects.filter { seen.insert($0.key).inserted })
    }

    static func planner(_ rules: RetentionRules, force: Bool, tiers: Bool = true) throws -> Planner {
        let tierRules = tiers ? [TierRule(after: .days(30), storageClass: .standardIA), TierRule(after: .days(120), storageClass: .glacier)] : []
        let policies = try Fixtures.templatePolicy(template, component: "q", prefix: "q/", retention: rules, tiers: tierRules,
                                                   maxDeleteFraction: 0.5)
        return Planner(policies: policies, options: PlanOptions(force: force))
    }

    @Test func theNewestSetOfEverySeriesIsKept() async throws {
        await propertyCheck(input: Self.setsGen, Self.rulesGen, Gen.bool) { sets, values, force in
            let plan = try Self.planner(Self.rules(values), force: force).plan(inventory: Self.inventory(sets), now: Self.now)
            let bySeries = Dictionary(grouping: plan.components[0].sets, by: \.series)
            for (_, series) in bySeries {
                let newest = try #require(series.max { $0.time < $1.time })
                #expect(newest.decision == .keep)
                #expect(!plan.actions.contains { action in newest.members.contains(action.key) && { if case .delete = action { true } else { false } }() })
            }
        }
    }

    @Test func everySetWithinTheWindowIsKept() async throws {
        await propertyCheck(input: Self.setsGen, Self.rulesGen) { sets, values in
            let rules = Self.rules(values)
            guard let window = rules.keepWithin else { return }
            let plan = try Self.planner(rules, force: true).plan(inventory: Self.inventory(sets), now: Self.now)
            let bySeries = Dictionary(grouping: plan.components[0].sets, by: \.series)
            for (_, series) in bySeries {
                let newest = series.map(\.time).max() ?? .distantPast
                for set in series where set.time >= newest.addingTimeInterval(-Double(window.seconds)) {
                    #expect(set.decision == .keep)
                    #expect(set.reasons.contains { $0.kind == .within })
                }
            }
        }
    }

    @Test func applyingAPlanAndPlanningAgainYieldsNoActions() async throws {
        await propertyCheck(input: Self.setsGen, Self.rulesGen, Gen.bool) { sets, values, force in
            let planner = try Self.planner(Self.rules(values), force: force)
            var inventory = Self.inventory(sets)
            let first = planner.plan(inventory: inventory, now: Self.now)
            var deleted = Set<String>()
            var moved: [String: StorageClass] = [:]
            for action in first.actions {
                switch action {
                case .delete(let key, _, _): deleted.insert(key)
                case .transition(let key, _, let to, _): moved[key] = to
                case .abortUpload: break
                }
            }
            inventory.objects = inventory.objects.filter { !deleted.contains($0.key) }.map { object in
                var object = object
                if let to = moved[object.key] { object.storageClass = to }
                return object
            }
            let second = planner.plan(inventory: inventory, now: Self.now)
            #expect(second.actions.isEmpty, "second plan: \(second.actions.prefix(3))")
            #expect(Fixtures.kept(second) == Fixtures.kept(first).filter { id in second.components[0].sets.contains { $0.id == id } })
        }
    }

    @Test func thePlanIsIndependentOfInputOrder() async throws {
        await propertyCheck(input: Self.setsGen, Self.rulesGen, Gen.uint64(in: 0...UInt64.max)) { sets, values, seed in
            let planner = try Self.planner(Self.rules(values), force: false)
            let inventory = Self.inventory(sets)
            var shuffled = inventory
            var rng = SplitMix(seed: seed)
            shuffled.objects.shuffle(using: &rng)
            #expect(planner.plan(inventory: inventory, now: Self.now) == planner.plan(inventory: shuffled, now: Self.now))
        }
    }

    @Test func deletionsNeverExceedTheGuard() async throws {
        await propertyCheck(input: Self.setsGen, Self.rulesGen) { sets, values in
            let inventory = Self.inventory(sets)
            let plan = try Self.planner(Self.rules(values), force: false).plan(inventory: inventory, now: Self.now)
            let deletes = plan.actions.filter { if case .delete = $0 { true } else { false } }
            let deletedKeys = Set(deletes.map(\.key))
            let component = plan.components[0]
            let deletedSets = component.sets.filter { $0.members.contains { deletedKeys.contains($0) } }.count
            let deletedBytes = inventory.objects.filter { deletedKeys.contains($0.key) }.reduce(Int64(0)) { $0 + $1.size }
            #expect(Double(deletedSets) <= 0.5 * Double(component.sets.count))
            #expect(Double(deletedBytes) <= 0.5 * Double(component.totals.bytes))
            #expect(plan.isBlocked == !component.guards.filter { $0.kind == .deleteFractionExceeded }.isEmpty)
        }
    }
}
