import Foundation
import Testing
@testable import Retention

/// Lint findings and the pricing/cost model.
@Suite struct LintAndCostTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")

    @Test func theRunbooksFalkorDBUploadsInStandardIAAreFlaggedWithTheSaving() throws {
        let findings = Lint(policies: try Fixtures.defaultPolicies()).run()
        let falkor = findings.filter { $0.component == "falkordb" && $0.severity == .warning }
        #expect(falkor.count == 1)
        #expect(falkor.first?.file == "policies/falkordb.yaml")
        #expect(falkor.first?.message.hasPrefix("uploads go to STANDARD_IA (minimum 30 days) but sets are kept about 7 days, so each set pays 30 days: $0.0125 per GB stored vs $0.0054 in STANDARD (57% less)") == true)
        #expect(findings.filter { $0.severity != .info }.map(\.component) == ["falkordb"], "the other defaults are clean")
    }

    @Test func withAnInventoryLintPutsAMonthlyFigureOnIt() throws {
        let synthetic = SyntheticInventory.make(end: Self.now, days: 10, targetObjects: 3_000)
        let findings = Lint(policies: try Fixtures.defaultPolicies()).run(inventory: synthetic.inventory)
        let message = try #require(findings.first { $0.component == "falkordb" && $0.severity == .warning }?.message)
        #expect(message.contains("per set every 1h, STANDARD would save $"))
        let vault = try #require(findings.first { $0.component == "vault" && $0.message.hasPrefix("stores ") }?.message)
        #expect(vault.hasPrefix("stores 10 objects, ") && vault.hasSuffix(" a month at these prices"))
    }

    static let policyCases: [(String, RetentionRules, [TierRule], String)] = [
        ("anchor now", RetentionRules(keepWithin: .days(7), anchor: .now), [], "anchor: now expires sets by wall-clock age"),
        ("early tier", RetentionRules(keepWithin: .days(365)), [TierRule(after: .days(7), storageClass: .standardIA)], "tier to STANDARD_IA after 7d is under 30 days"),
        ("tier that never applies", RetentionRules(keepWithin: .days(60)), [TierRule(after: .days(30), storageClass: .glacier)],
         "tier GLACIER after 30d never applies to sets kept about 60 days"),
    ]

    @Test(arguments: policyCases)
    func policyFindings(_ name: String, _ rules: RetentionRules, _ tiers: [TierRule], _ expected: String) throws {
        let findings = Lint(policies: try Fixtures.templatePolicy(retention: rules, tiers: tiers)).run()
        #expect(findings.contains { $0.message.hasPrefix(expected) }, "\(name): \(findings)")
    }

    @Test func smallObjectsInIAAreFlagged() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 3))
        let inventory = Inventory(objects: [
            Fixtures.object("db/20261101_000000.dump", size: 10_000, storageClass: .standardIA),
            Fixtures.object("db/20261102_000000.dump", size: 10_000_000, storageClass: .standardIA),
        ])
        let finding = Lint(policies: policies).run(inventory: inventory).first { $0.message.contains("under 128 KiB") }
        #expect(finding?.message == "1 objects under 128 KiB are in IA/GLACIER_IR classes, billed as 128.0 KiB for 9.8 KiB stored; keep small objects in STANDARD")
    }

    /// Sizes come from a listing or a report someone else may write, each up to 2^63-1: their
    /// sum saturates, it never traps.
    @Test func absurdSizesSaturateTheTotals() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 3))
        let inventory = Inventory(objects: [
            Fixtures.object("db/20261101_000000.dump", size: Int64.max),
            Fixtures.object("db/20261102_000000.dump", size: Int64.max),
        ])
        let findings = Lint(policies: policies).run(inventory: inventory, now: Fixtures.date("2026-11-03T00:00:00Z"))
        #expect(findings.contains { $0.message.hasPrefix("stores 2 objects, \(PlanTable.formatBytes(Int64.max))") })
    }

    /// Lint of a streamed bucket (objects counted one at a time, the streaming planner's
    /// outline for the plan findings) says what lint of the bucket in memory says.
    @Test("lint from a tally and a streamed outline equals lint in memory", arguments: StreamingPlannerTests.unversioned)
    func streamedLintEqualsInMemory(history: PlanGoldenTests.History) throws {
        let policies = try Fixtures.defaultPolicies()
        let lint = Lint(policies: policies)
        var tally = Lint.BucketTally(lint: lint)
        for object in history.inventory.objects { tally.add(object) }
        // Lint's plan is the planner's alone: default options, as lint plans in memory.
        let streaming = StreamingPlanner(planner: Planner(policies: policies))
        let outline = try #require(try streaming.outline(history.inventory.objects, uploads: history.inventory.uploads,
                                                         now: history.now, documents: history.documents))
        let streamed = lint.run(tally: tally, plan: outline.skeleton)
        #expect(streamed == lint.run(inventory: history.inventory, now: history.now, documents: history.documents))
        #expect(streamed.contains { $0.message.hasPrefix("stores ") })
    }

    @Test func pgBackRestInGlacierIsFlagged() throws {
        let policies = try PolicySet(policies: [Policy(component: "pg", prefix: "pg/", layout: .pgbackrest(stanza: "mind"),
            retention: RetentionRules(keepYearly: 7), tiers: [TierRule(after: .days(90), storageClass: .glacier)])])
        #expect(Lint(policies: policies).run().contains { $0.message.hasPrefix("pgBackRest cannot read GLACIER objects") })
    }

    @Test func pricingTableDefaultsAndOverrides() throws {
        let table = PricingTable.usEast1
        #expect(table.price(.standardIA).minimumDays == 30)
        #expect(table.price(.glacierIR).minimumDays == 90)
        #expect(table.price(.glacier).minimumDays == 90)
        #expect(table.price(.deepArchive).minimumDays == 180)
        #expect(table.price(.other("X")).storagePerGBMonth == 0.023)
        #expect(abs(table.monthlyCost(size: 1 << 30, in: .standard) - 0.023) < 1e-12)
        #expect(table.billableBytes(1_000, in: .standardIA) == 131_072)
        #expect(abs(table.earlyRemovalCharge(size: 1 << 30, in: .standardIA, ageDays: 7) - 0.0125 * 23 / 30) < 1e-12)
        let yaml = "classes:\n  STANDARD_IA:\n    storage_gb_month: 0.02\n    retrieval_gb: {default: 0.05}\n  GLACIER_IR: {minimum_days: 60}\n"
        let custom = try PricingTable.load(yaml: yaml, path: "prices.yaml")
        #expect(custom.price(.standardIA).storagePerGBMonth == 0.02)
        #expect(custom.price(.standardIA).minimumDays == 30, "unspecified fields keep the default")
        #expect(custom.price(.standardIA).retrievalPerGB["default"] == 0.05)
        #expect(custom.price(.glacierIR).minimumDays == 60)
    }

    @Test(arguments: [
        ("classes:\n  STANDARD_IA:\n    storage_gb_month: cheap\n", "prices.yaml:3:23: storage_gb_month is 'cheap', expected a non-negative number in USD"),
        ("classes:\n  FROZEN: {storage_gb_month: 1}\n", "prices.yaml:2:3: unknown storage class 'FROZEN' in classes"),
        ("classes:\n  GLACIER: {minimum_dayz: 1}\n", "prices.yaml:2:13: unknown key 'minimum_dayz' in prices of GLACIER"),
        ("currency: EUR\n", "prices.yaml:1:1: unknown key 'currency' in the pricing file"),
    ])
    func badPricingFilesFailWithLocation(_ yaml: String, _ expected: String) throws {
        let error = try #require(throws: PolicyErrors.self) { try PricingTable.load(yaml: yaml, path: "prices.yaml") }
        #expect(error.errors.first?.description.hasPrefix(expected) == true, "\(error)")
    }

    @Test func planCostCountsStorageTransitionsAndEarlyRemoval() throws {
        let policies = try Fixtures.templatePolicy(retention: RetentionRules(keepLast: 2), tiers: [TierRule(after: .days(30), storageClass: .glacierIR)])
        let objects = [
            Fixtures.object("db/20261001_000000.dump", size: 1 << 30, modified: "2026-10-01T00:00:00Z"),
            Fixtures.object("db/20261120_000000.dump", size: 1 << 30, modified: "2026-11-20T00:00:00Z"),
            Fixtures.object("db/20261121_000000.dump", size: 1 << 30, modified: "2026-11-21T12:00:00Z", storageClass: .standardIA),
        ]
        let plan = Planner(policies: policies, options: PlanOptions(force: true)).plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(plan.actions.count == 1, "the oldest set expires; the others are too young for the tier")
        #expect(abs(plan.cost.monthlyBefore - (0.023 * 2 + 0.0125)) < 1e-9)
        #expect(abs(plan.cost.monthlyAfter - (0.023 + 0.0125)) < 1e-9)
        #expect(plan.cost.earlyDeletion == 0, "STANDARD has no minimum duration")
    }
}
