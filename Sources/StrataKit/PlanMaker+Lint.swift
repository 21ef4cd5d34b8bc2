import Foundation
import Retention

extension PlanMaker {
    /// What `strata lint` learns of the bucket, in memory that grows with its sets, not its
    /// objects: every object counted into `tally`, and the summary of its plan at `now`, both
    /// from the streaming planner's spool. The plan is the planner's alone, without hold checks,
    /// as lint plans in memory; a bucket with versions is planned key by key.
    public func lintFacts(_ tally: Lint.BucketTally, now: Date,
                          spoolDirectory: String = NSTemporaryDirectory()) async throws -> (tally: Lint.BucketTally, plan: Plan) {
        var maker = self
        maker.holdCheck = .none
        let (plan, objects) = try await maker.makeStreamedPlanAndSpool(now: now, spoolDirectory: spoolDirectory)
        var tally = tally
        try objects.forEachObject { tally.add($0) }
        return (tally, plan.summary)
    }
}
