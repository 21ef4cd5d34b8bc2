import Foundation
import Retention

extension Retriever {
    /// The set a retrieval chose and every key restoring it needs.
    struct Selection {
        /// The set (its `members` may be empty: the keys are in `keys`).
        var set: PlanSet
        /// Its members and what its layout adds, possibly with repeats.
        var keys: [String]
        /// Things the operator should know.
        var notes: [String]
    }

    /// Plans the component, chooses the set `selector` names and gathers the keys restoring it
    /// needs. The streaming planner plans it (a bucket with versions key by key), in memory that
    /// grows with the sets and the set chosen, not with the objects: the members of the sets
    /// needed are read from its placements, the other keys from the spooled objects (current
    /// versions only).
    func select(component: String, policy: Policy, selector: Selector, series: String?) async throws -> Selection {
        var maker = PlanMaker(context: context, options: PlanOptions(components: [component]))
        maker.documentFailure = .planWithout
        let (plan, objects) = try await maker.makeStreamedPlanAndSpool(now: context.now(), spoolDirectory: spoolDirectory)
        let position = plan.summary.components.firstIndex { $0.component == component }
        let sets = position.map { plan.summary.components[$0].sets } ?? []
        let index = try Self.choose(sets, selector: selector, series: series, component: component)
        let candidates = policy.retrievalDocumentCandidates.map { Array($0.utf8) }
        var present = Set<String>()
        try objects.forEachObject(whereKey: { key in candidates.contains { $0.elementsEqual(key) } }) { object in
            if object.isCurrent { present.insert(object.key) }
        }
        let read = try await readDocuments(policy: policy, present: present.contains)
        var gathering = RetrievalGathering(set: index, sets: sets,
                                           needs: policy.retrievalNeeds(of: sets[index], sets: sets, documents: read.documents))
        try plan.placements.forEachMember { component, group, key in
            guard component == position, gathering.groups.contains(group) else { return }
            gathering.addMember(String(decoding: key, as: UTF8.self), group: group)
        }
        try objects.forEachObject { object in
            if object.isCurrent { gathering.addCurrent(object.key) }
        }
        let needed = gathering.finish()
        return Selection(set: sets[index], keys: needed.keys, notes: Self.expiryNote(sets[index]) + read.notes + needed.notes)
    }

    /// The documents a retrieval of `policy`'s sets reads, of those `present`, with a note for
    /// each that could not be read. A restore must not be blocked by `backup.info`: without an
    /// entry the whole chain is fetched (an undecryptable one arrives still encrypted, with a
    /// note saying why).
    private func readDocuments(policy: Policy, present: (String) -> Bool) async throws -> (documents: [String: String], notes: [String]) {
        let wanted = policy.retrievalDocuments(present: present)
        guard !wanted.isEmpty else { return ([:], []) }
        let read = try await PgBackRestDocuments(context: context, onUndecryptable: .planWithout).fetch(wanted, policies: [policy])
        return (read.documents, read.notes.map { "\($0); fetching the whole chain" })
    }

    /// The note for a set chosen that the next sweep deletes.
    private static func expiryNote(_ set: PlanSet) -> [String] {
        set.decision == .expire ? ["set \(set.id) is planned to expire at the next sweep"] : []
    }
}
