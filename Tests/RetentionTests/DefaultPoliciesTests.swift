import Foundation
import Testing
@testable import Retention

/// The six shipped policies on a generated year and a half of backups.
@Suite struct DefaultPoliciesTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")

    @Test func theDefaultsKeepWhatTheRunbookPromises() throws {
        let synthetic = SyntheticInventory.make(end: Self.now, days: 400, targetObjects: 40_000)
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: PlanOptions(force: true))
        let plan = planner.plan(inventory: synthetic.inventory, now: Self.now, documents: synthetic.documents)
        func component(_ name: String) throws -> ComponentPlan { try #require(plan.components.first { $0.component == name }) }

        // Windows: every set younger than the window is kept, every older one (not otherwise kept) expires.
        for (name, days) in [("falkordb", 7.0), ("nats", 3.0), ("qdrant", 7.0), ("temporal", 30.0), ("vault", 90.0)] {
            for set in try component(name).sets {
                let age = Self.now.timeIntervalSince(set.time) / 86_400
                if age <= days - 1 { #expect(set.decision == .keep, "\(name) \(set.id)") }
                if age > days + 1 { #expect(set.decision == .expire, "\(name) \(set.id)") }
            }
        }

        // PostgreSQL: 30 days, plus the newest set of 2025 and of 2026, plus what they depend on.
        let postgres = try component("postgresql")
        let kept = postgres.sets.filter { $0.decision == .keep }
        let yearly = kept.filter { $0.reasons.contains { $0.kind == .yearly } }.map(\.id)
        #expect(yearly == ["20251228-020000F_20251231-020000I", "20261122-020000F_20261125-020000I"], "fulls on Sundays, incrementals between")
        for set in kept where !set.reasons.contains(where: { [.within, .last, .newest, .yearly].contains($0.kind) }) {
            #expect(set.reasons.allSatisfy { $0.kind == .dependency }, "\(set.id) is kept only as a dependency")
        }
        let touched = Set(plan.actions.map(\.key))
        for set in kept { #expect(!set.members.contains { touched.contains($0) && $0.hasSuffix("backup.manifest") }) }
        for key in ["backup/mind/backup.info", "backup/mind/backup.info.copy", "archive/mind/archive.info"] {
            #expect(!touched.contains("postgresql/" + key))
        }
        // Old yearly sets move to GLACIER_IR; their manifests stay.
        let moves = plan.actions.compactMap { action -> String? in
            if case .transition(let key, _, let to, _) = action, key.hasPrefix("postgresql/") { return "\(to)" }
            return nil
        }
        #expect(!moves.isEmpty && moves.allSatisfy { $0 == "GLACIER_IR" })
        #expect(plan.actions.contains { $0.key.hasPrefix("postgresql/archive/") }, "WAL outside kept ranges is deleted")
        #expect(plan.actions.contains { $0.key == "falkordb/partial/dump.rdb" }, "the 10-day-old incomplete upload is aborted")
        #expect(plan.components.allSatisfy { $0.unrecognizedKeys.isEmpty })
    }
}
