import Foundation
import Retention
import StrataKit

extension SweepExecutor {
    /// Applies `plan` as a sweep does, journaled to a scratch directory, with a fresh plan by
    /// `maker` at `now` as the plan the deletions are checked against.
    func applyReplanning(_ plan: Plan, maker: PlanMaker, now: Date, runID: String) async throws -> SweepOutcome {
        let journal = SweepJournal(context: maker.context, location: .directory(try makeScratchDirectory(runID)))
        return try await apply(plan: plan, runID: runID, journal: journal) {
            let (fresh, inventory) = try await maker.makePlan(now: now)
            return SweepExecutor.Replanned(plan: fresh, inventory: inventory)
        }
    }
}
