import Foundation
import PropertyBased
import Retention
import Testing
@testable import StrataKit

/// The keeper confirmation of sweeps from an inventory report, without a server: a report row
/// for an object that is not in the bucket never makes a real set go.
@Suite struct KeeperConfirmationTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18
    static let template = "db/{series}/{time:%Y%m%d_%H%M%S}.dump"

    static func policies(_ rules: RetentionRules) throws -> PolicySet {
        try PolicySet(policies: [Policy(component: "db", prefix: "db/", layout: .template(try KeyTemplate(parsing: template)),
                                        retention: rules, guards: GuardSettings(maxDeleteFraction: 1))])
    }

    /// Sets `hours` before now (real) and phantom rows `hours` before now, in series a or b.
    static func objects(_ hours: [(Int, Int)], phantom: Bool) -> [InventoryObject] {
        let rendered = try? KeyTemplate(parsing: template)
        return hours.map { series, hours in
            let time = now.addingTimeInterval(-Double(hours) * 3_600)
            let key = rendered?.render(date: time, series: series == 0 ? "a" : "b") ?? ""
            return InventoryObject(key: key, size: phantom ? 7 : 1_000, lastModified: time, eTag: phantom ? "phantom" : "real")
        }
    }

    /// `planner` with `guards` imposed.
    static func planner(_ planner: Planner, imposing guards: [String: GuardFinding]) -> Planner {
        var options = planner.options
        options.imposedGuards = guards
        return Planner(policies: planner.policies, pricing: planner.pricing, options: options)
    }

    static func deletions(_ plan: Plan) -> Set<String> {
        Set(plan.actions.compactMap { if case .delete(let key, _, _) = $0 { key } else { nil } })
    }

    /// Property: adding any number of nonexistent rows (at any time up to now) never makes a real
    /// set go that the report without them keeps; when the confirmation converges, the deletions
    /// are exactly those of the honest report.
    @Test func nonexistentRowsNeverChangeWhatHappensToARealSet() async throws {
        let sets = zip(Gen.int(in: 0...1), Gen.int(in: 0...2_000)).array(of: 1...30)
        let rules = zip(Gen.int(in: 1...5), Gen.int(in: 0...10), Gen.int(in: 0...4))
        await propertyCheck(input: sets, zip(Gen.int(in: 0...1), Gen.int(in: 0...2_000)).array(of: 0...25), rules) { real, phantom, rule in
            let (keepLast, withinDays, daily) = rule
            let policies = try Self.policies(RetentionRules(keepLast: keepLast, keepWithin: withinDays == 0 ? nil : .days(Int64(withinDays)),
                                                            keepDaily: daily == 0 ? nil : daily))
            let planner = Planner(policies: policies, options: PlanOptions(force: true))
            let realObjects = Self.objects(real, phantom: false)
            let realKeys = Set(realObjects.map(\.key))
            // A phantom row never shares a key with a real object (that would be a changed object).
            let phantoms = Self.objects(phantom, phantom: true).filter { !realKeys.contains($0.key) }
            let honest = planner.plan(inventory: Inventory(objects: realObjects), now: Self.now)
            let forged = Inventory(objects: realObjects + phantoms)
            var checks = 0
            let outcome = try await KeeperConfirmation(policies: policies, rounds: 8).run(
                plan: planner.plan(inventory: forged, now: Self.now), inventory: forged,
                exists: { objects in
                    checks += objects.count
                    return Dictionary(objects.map { ($0.ref, realKeys.contains($0.ref.key)) }) { $0 && $1 }
                },
                replan: { Self.planner(planner, imposing: $1).plan(inventory: $0, now: Self.now) })
            // Deleting a phantom row's key is a no-op on the bucket (it is not there); what
            // matters is every real object.
            let deleted = Self.deletions(outcome.plan).intersection(realKeys)
            #expect(deleted.isSubset(of: Self.deletions(honest)), "never more than the honest report deletes")
            if !outcome.plan.isBlocked {
                #expect(deleted == Self.deletions(honest))
            }
            #expect(checks <= (keepLast + 30 + 30) * 8 * 8, "checks stay bounded by the keepers, not the bucket")
        }
    }

    @Test func aComponentWhoseKeepersNeverConfirmIsBlocked() async throws {
        let policies = try Self.policies(RetentionRules(keepLast: 1))
        let planner = Planner(policies: policies, options: PlanOptions(force: true))
        let real = Self.objects([(0, 100), (0, 200)], phantom: false)
        let phantoms = Self.objects((1...5).map { (0, $0) }, phantom: true)
        let inventory = Inventory(objects: real + phantoms)
        let outcome = try await KeeperConfirmation(policies: policies, rounds: 2).run(
            plan: planner.plan(inventory: inventory, now: Self.now), inventory: inventory,
            exists: { objects in Dictionary(objects.map { ($0.ref, $0.size == 1_000) }) { $0 && $1 } },
            replan: { Self.planner(planner, imposing: $1).plan(inventory: $0, now: Self.now) })
        #expect(Self.deletions(outcome.plan).isEmpty)
        let finding = try #require(outcome.plan.blockedComponents.first)
        #expect(finding.kind == .keeperUnconfirmed)
        #expect(finding.message.contains("after 2 replans"))
        // Planned blocked, not planned and then stripped of its deletions: the totals and the
        // cost show no deletion either.
        #expect(outcome.plan.totals.deletes == 0)
        #expect(outcome.plan.totals.deleteBytes == 0)
    }

    /// An object rewritten since the report (same key, other size or ETag) is not the keeper
    /// the plan counted on either.
    @Test func aKeeperWithAnotherETagIsNotConfirmed() async throws {
        let policies = try Self.policies(RetentionRules(keepLast: 1))
        let planner = Planner(policies: policies, options: PlanOptions(force: true))
        let inventory = Inventory(objects: Self.objects([(0, 10), (0, 20)], phantom: false))
        let newest = try #require(inventory.objects.min { $0.lastModified > $1.lastModified })
        let outcome = try await KeeperConfirmation(policies: policies).run(
            plan: planner.plan(inventory: inventory, now: Self.now), inventory: inventory,
            exists: { objects in Dictionary(objects.map { ($0.ref, $0.ref.key != newest.key) }) { $0 && $1 } },
            replan: { Self.planner(planner, imposing: $1).plan(inventory: $0, now: Self.now) })
        #expect(Self.deletions(outcome.plan).isEmpty, "the older set becomes the newest: nothing goes")
        #expect(!outcome.inventory.objects.contains { $0.key == newest.key })
    }
}
