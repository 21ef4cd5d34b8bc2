import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// `retrieve`, `verify` and `lint` of a versioned bucket go through the streaming planner, key by
/// key, and find what the planner in memory finds: the same keys to restore, the same sets
/// checked with the same results, the same findings. The bucket has overwritten keys, delete
/// markers and a hidden set (``StreamedVersionedApplyTests/seedVersioned(_:)``).
@Suite(.serialized) struct StreamedVersionedCommandsTests {
    /// The keys a retrieval of `component`'s set `selector` needs, as the planner in memory
    /// gathers them: the plan's sets and the current keys of the inventory.
    static func keysInMemory(_ context: StrataContext, component: String, selector: Retriever.Selector) async throws -> [String] {
        var maker = PlanMaker(context: context, options: PlanOptions(components: [component]))
        maker.documentFailure = .planWithout
        let (plan, inventory) = try await maker.makePlan(now: context.now())
        let policy = try #require(try context.requirePolicies().policies.first { $0.component == component })
        let sets = plan.components.first { $0.component == component }?.sets ?? []
        let index = try Retriever.choose(sets, selector: selector, series: nil, component: component)
        let current = inventory.objects.filter { $0.isCurrent && $0.key.hasPrefix(policy.prefix) }.map(\.key)
        let wanted = policy.retrievalDocuments(present: Set(current).contains)
        let documents = wanted.isEmpty ? [:]
            : try await PgBackRestDocuments(context: context, onUndecryptable: .planWithout).fetch(wanted, policies: [policy]).documents
        return policy.retrievalKeys(of: index, sets: sets, currentKeys: current, documents: documents).keys
    }

    @Test("retrieve, verify and lint of a versioned bucket find what the planner in memory finds")
    func versionedCommandsAgree() async throws {
        try await ScratchBucket.with(.rgw, purpose: "versioned-commands") { bucket in
            try await StreamedVersionedApplyTests.seedVersioned(bucket)
            // WAL under delete markers: a retrieval takes only what is current.
            let wal = try await bucket.keys(prefix: "postgresql/archive/").sorted()
            try #require(wal.count > 6)
            for key in wal.enumerated().filter({ $0.offset % 3 == 0 }).map(\.element) {
                try await bucket.client.deleteObject(bucket: bucket.name, key: key)
            }
            let context = try bucket.context(policies: try StreamedDryRunTests.policies(),
                                             now: ISO8601DateFormatter().date(from: StreamedDryRunTests.now)!)
            let scratch = try makeScratchDirectory("versioned-commands")
            defer { try? FileManager.default.removeItem(atPath: scratch) }

            // retrieve: the newest kept set of each component, and the oldest kept vault set.
            var retriever = Retriever(context: context)
            retriever.spoolDirectory = scratch
            let plan = try await PlanMaker(context: context).makePlan(now: context.now()).plan
            for component in ["vault", "qdrant", "postgresql", "falkordb"] {
                let policy = try #require(try context.requirePolicies().policies.first { $0.component == component })
                let selector = Retriever.Selector.at(context.now())
                let streamed = try await retriever.select(component: component, policy: policy, selector: selector, series: nil)
                let inMemory = try await Self.keysInMemory(context, component: component, selector: selector)
                #expect(Set(streamed.keys) == Set(inMemory), "\(component)")
                #expect(!streamed.keys.isEmpty)
            }
            let vaultKept = try #require(plan.components.first { $0.component == "vault" }?.sets.filter { $0.decision == .keep })
            let oldest = try #require(vaultKept.last)
            let vault = try #require(try context.requirePolicies().policies.first { $0.component == "vault" })
            let picked = try await retriever.select(component: "vault", policy: vault, selector: .id(oldest.id), series: nil)
            #expect(Set(picked.keys) == Set(try await Self.keysInMemory(context, component: "vault", selector: .id(oldest.id))))

            // verify: the same sets, results and skips; the hidden set is not among them.
            let verifier = Verifier(context: context)
            let report = try await verifier.verify()
            var sets: [Verifier.SetResult] = []
            var skipped: [String]?
            let tally = try await verifier.verifyStreamed(spoolDirectory: scratch, skipped: { skipped = $0 }, body: { sets.append($0) })
            #expect(sets == report.sets)
            #expect(skipped == report.skippedExpired)
            #expect(tally.isHealthy && report.isHealthy)
            #expect(tally.sets == report.sets.count && tally.sets > 0)

            // lint: the same findings from the tally and summary as from the inventory.
            let lint = Lint(policies: try context.requirePolicies())
            let maker = PlanMaker(context: context)
            let facts = try await maker.lintFacts(Lint.BucketTally(lint: lint), now: context.now(), spoolDirectory: scratch)
            let inventory = try await maker.readInventory()
            let expected = lint.run(inventory: inventory, now: context.now(), documents: try await maker.documents(for: inventory))
            #expect(lint.run(tally: facts.tally, plan: facts.plan) == expected)
            // The bucket has what the comparison is for.
            #expect(plan.components.contains { !$0.hiddenSets.isEmpty })
            #expect(plan.components.contains { !$0.noncurrent.isEmpty })
        }
    }
}
