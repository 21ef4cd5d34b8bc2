import Foundation
import Retention

extension StreamedPlan {
    /// Reads a streamed plan's actions in the plan's order, one at a time, so a caller can await
    /// between them: what the executor and the journal walk instead of an array of actions.
    struct ActionIterator {
        private var placements: PlacementSorter.Iterator
        private var cursor: PlanOutline.ActionCursor
        private var due: [PlanAction] = []
        private var finished = false

        fileprivate init(_ plan: StreamedPlan) throws {
            placements = try plan.placements.makeIterator()
            cursor = PlanOutline.ActionCursor(plan.outline)
        }

        /// The next action, or `nil` after the last.
        mutating func next() throws -> PlanAction? {
            while due.isEmpty {
                if finished { return nil }
                if let placement = try placements.next() {
                    due = cursor.actions(at: placement).reversed()
                } else {
                    due = cursor.finish().reversed()
                    finished = true
                }
            }
            return due.removeLast()
        }
    }

    /// An iterator over the plan's actions, in order.
    func makeActionIterator() throws -> ActionIterator { try ActionIterator(self) }

    /// The plan's deletions, sorted into key order on disk in `spoolDirectory`.
    func sortedDeletions(spoolDirectory: String) throws -> DeletionSorter {
        try DeletionSorter(deletionsOf: placements, directory: spoolDirectory)
    }
}
