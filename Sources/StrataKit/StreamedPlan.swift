import Foundation
import Retention

/// A plan made by the streaming planner: its sets, guards, totals and cost in memory, its
/// members and actions in a spool on disk, written out as JSON on request. What a dry run of a
/// bucket of any size prints, in memory that grows with its sets, not its objects.
///
/// Sendable because nothing in it changes once it is made: its spool files are only read, each
/// reader through a cursor of its own with positioned reads (`pread`).
public final class StreamedPlan: @unchecked Sendable {
    /// The plan without members and actions: everything a table, the metrics and the exit code
    /// need (its totals count the actions).
    public let summary: Plan
    /// How many actions the whole plan has.
    public let actionCount: Int
    let outline: PlanOutline
    let placements: PlacementSorter

    init(outline: PlanOutline, placements: PlacementSorter) throws {
        self.outline = outline
        self.placements = placements
        // The sorter counted the actions as they came: no walk over the sorted placements just
        // for the totals (only sizes that make the count depend on order need one).
        if let counted = outline.summary(placements.tally) {
            (summary, actionCount) = counted
        } else {
            (summary, actionCount) = try outline.summary { try placements.forEach($0) }
        }
    }

    /// Streams the plan's compact JSON to `sink` in chunks: the same bytes as the in-memory
    /// plan's ``Plan/writeJSON(to:)``.
    public func writeJSON(to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        // The actions' walk decodes only placements with an action (the others write nothing
        // there); the members' walk reads keys straight from the sorted records.
        // A plan with versions lists hidden sets' keys and noncurrent entries too: a third walk,
        // pulled as each component's head is written.
        var listings = outline.hasVersions ? try placements.makeIterator() : nil
        try outline.writeJSON(placements: { try placements.forEachAction($0) }, members: { try placements.forEachMember($0) },
                              versions: listings == nil ? nil : { try listings?.next() }, to: sink)
    }
}
