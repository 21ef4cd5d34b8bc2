import Foundation
import Retention

extension Verifier {
    /// What a verification found, counted: a streamed verification hands each set's result on
    /// and keeps only these.
    public struct Tally: Sendable, Hashable {
        /// Whether contents were checked.
        public var deep: Bool
        /// Kept sets checked.
        public var sets = 0
        /// Objects checked.
        public var objects = 0
        /// Sets with a missing member.
        public var missingSets = 0
        /// Sets with a corrupt member.
        public var corruptSets = 0
        /// Whether nothing is missing or corrupt.
        public var isHealthy: Bool { missingSets == 0 && corruptSets == 0 }

        /// Counts `set`.
        mutating func add(_ set: SetResult) {
            sets += 1
            objects += set.objects.count
            if set.isMissing { missingSets += 1 }
            if set.isCorrupt { corruptSets += 1 }
        }
    }

    /// ``verify(components:)`` in memory that grows with the bucket's sets and the largest set,
    /// not its objects: the streaming planner plans the bucket (the listing spooled to
    /// `spoolDirectory`) and the kept sets' members are read from its placements, a batch at a
    /// time. `skipped` hears the sets skipped as expired first (as ``Report/skippedExpired``);
    /// then `body` gets each set's result as it is finished, in the plan's order, the order
    /// ``Report/sets`` has. A bucket with versions is planned key by key; the members checked
    /// are the current objects of its live kept sets, as in memory.
    public func verifyStreamed(components: Set<String>? = nil, spoolDirectory: String = NSTemporaryDirectory(),
                               skipped: ([String]) throws -> Void, body: (SetResult) throws -> Void) async throws -> Tally {
        var maker = PlanMaker(context: context, options: PlanOptions(components: components))
        maker.documentFailure = .planWithout
        let plan = try await maker.makeStreamedPlan(now: context.now(), spoolDirectory: spoolDirectory)
        let now = context.now()
        let selection = Self.checkedSets(plan.summary, components: components, now: now)
        try skipped(selection.skipped)
        return try await withScratch { scratch in
            var tally = Tally(deep: deep)
            var assembly = SetAssembly()
            var batch: [(set: SetName, key: String)] = []
            func hand(_ finished: SetResult?) throws {
                guard let finished else { return }
                tally.add(finished)
                try body(finished)
            }
            func check() async throws {
                let results = try await checkAll(batch.map(\.key), total: selection.objects, now: now, scratch: scratch)
                for ((set, _), result) in zip(batch, results) {
                    try hand(assembly.add(result, component: set.component, setID: set.setID))
                }
                batch.removeAll(keepingCapacity: true)
            }
            var placements = try plan.placements.makeIterator()
            while let placement = try placements.next() {
                guard placement.isMember, let set = selection.sets[Position(component: placement.component, group: placement.group)] else { continue }
                batch.append((set, placement.key))
                if batch.count >= max(batchSize, 1) { try await check() }
            }
            try await check()
            try hand(assembly.finish())
            return tally
        }
    }

    /// A set's place in a plan.
    private struct Position: Hashable {
        var component: Int
        var group: Int
    }

    /// A set's component and id, as its results name it.
    private struct SetName {
        var component: String
        var setID: String
    }

    /// The sets of `plan` to check (kept, of `components`), by position; those skipped as
    /// expired since the plan was made; and how many objects the checked sets hold.
    private static func checkedSets(_ plan: Plan, components: Set<String>?, now: Date)
        -> (sets: [Position: SetName], skipped: [String], objects: Int) {
        var sets: [Position: SetName] = [:]
        var skipped: [String] = []
        var objects = 0
        for (index, component) in plan.components.enumerated() where components?.contains(component.component) ?? true {
            for (group, set) in component.sets.enumerated() where set.decision == .keep {
                if isSkipped(set, plan: plan, now: now) {
                    skipped.append("\(component.component) \(set.id)")
                    continue
                }
                sets[Position(component: index, group: group)] = SetName(component: component.component, setID: set.id)
                objects += set.objectCount
            }
        }
        return (sets, skipped, objects)
    }
}
