import Foundation
import Retention
import S3
import StrataKit
import StrataTestSupport
import Testing

/// The executor's last checks before it deletes, on the real RGW: deletions rest on the fresh
/// listing's keepers, and the floor holds whatever plan reaches the executor.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized)
struct SweepSafetyNetTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T...
    static let policy = """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
        retention:
          keep_last: 2
        guards:
          max_delete_fraction: 1.0
        """
    static let keys = (1...4).map { "vault/2026111\($0)_020000.snap" }

    static func seeded(_ bucket: ScratchBucket) async throws -> StrataContext {
        for key in keys { try await bucket.client.putObject(bucket: bucket.name, key: key, body: Array(key.utf8)) }
        return try bucket.context(policies: ["vault.yaml": policy], now: now)
    }

    static func deletions(_ plan: Plan) -> [String] {
        plan.actions.compactMap { if case .delete(let key, _, _) = $0 { key } else { nil } }
    }

    /// The newest set goes (someone else deleted it) between planning and deleting: the fresh
    /// listing's keepers now include the set the first plan expired, so it is not deleted.
    @Test func aKeeperGoneBeforeTheDeletesSavesTheSetItDisplaced() async throws {
        try await ScratchBucket.with(.rgw, purpose: "keeper-gone") { bucket in
            let context = try await Self.seeded(bucket)
            let maker = PlanMaker(context: context)
            let plan = try await maker.makePlan(now: Self.now).plan
            #expect(Self.deletions(plan) == [Self.keys[0], Self.keys[1]])
            try await bucket.client.deleteObject(bucket: bucket.name, key: Self.keys[3])
            let outcome = try await SweepExecutor(context: context).applyReplanning(plan, maker: maker, now: Self.now,
                                                                                    runID: "keeper-gone")
            #expect(outcome.done.deletes == 1)
            #expect(outcome.done.skipped == 1)
            #expect(try await bucket.keys() == [Self.keys[1], Self.keys[2]])
        }
    }

    /// A plan edited on its way to the executor (or a planner bug) that would delete the newest
    /// set: the floor withholds the component's deletions and the sweep reports a failure.
    @Test func theFloorWithholdsAPlanThatWouldDeleteTheNewestSet() async throws {
        try await ScratchBucket.with(.rgw, purpose: "floor") { bucket in
            let context = try await Self.seeded(bucket)
            let maker = PlanMaker(context: context)
            var plan = try await maker.makePlan(now: Self.now).plan
            plan.actions.append(.delete(key: Self.keys[3], versionID: nil, reason: "edited"))
            let edited = plan
            let journal = SweepJournal(context: context, location: .directory(try makeScratchDirectory("floor")))
            let outcome = try await SweepExecutor(context: context).apply(plan: edited, runID: "floor", journal: journal) {
                SweepExecutor.Replanned(plan: edited, inventory: try await maker.makePlan(now: Self.now).inventory)
            }
            #expect(outcome.done.deletes == 0)
            #expect(outcome.failures == ["floor: vault would keep 1 set(s), fewer than the 2 the floor requires; the newest set 2026-11-14T02:00:00Z would be deleted; none of vault's deletions were made"])
            #expect(try await bucket.keys() == Self.keys)
        }
    }
}
