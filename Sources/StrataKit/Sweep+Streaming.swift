import Foundation
import Retention

extension Sweep {
    /// A dry run in memory that grows with the bucket's sets, not its objects: the listing or
    /// report is spooled to `spoolDirectory` and planned by the streaming planner (a bucket with
    /// versions key by key).
    public func streamedDryRun(spoolDirectory: String = NSTemporaryDirectory()) async throws -> StreamedPlan {
        let writer = SweepJournal(context: context, location: journal)
        return try await maker(after: try await writer.latest()).makeStreamedPlan(now: now, spoolDirectory: spoolDirectory)
    }

    /// ``run(apply:)`` with `apply` set, planned and carried out by the streaming planner and
    /// executor (``SweepExecutor/apply(streamed:runID:journal:spoolDirectory:replan:)``) in
    /// memory that grows with the bucket's sets, not its objects; the listing or report is
    /// spooled to `spoolDirectory`, and a bucket with versions is planned key by key (an
    /// inventory report's rows sorted on disk into key runs first).
    public func streamedApply(spoolDirectory: String = NSTemporaryDirectory()) async throws -> Result {
        let writer = SweepJournal(context: context, location: journal)
        let runID = SweepJournal.newRunID(now: context.now())
        let timing = SweepLease.Timing(ttl: lockTTL, settle: leaseSettle)
        let result = try await SweepLease.withLease(context: context, runID: runID, timing: timing) { lease in
            let (executor, previous) = try await prepare(lease: lease, journal: writer)
            let maker = try await self.maker(after: previous)
            // The proposal, as in memory: holds are checked once, in the plan made just before deleting.
            var proposer = maker
            proposer.holdCheck = .none
            let proposal = try await proposer.makeStreamedPlan(now: now, spoolDirectory: spoolDirectory)
            let now = self.now
            let (outcome, checked) = try await executor.apply(streamed: proposal, runID: runID, journal: writer, spoolDirectory: spoolDirectory) {
                try await maker.streamedReplan(now: now, spoolDirectory: spoolDirectory)
            }
            var done = outcome
            done.done.strataVersionsRemoved = await removeOldStrataVersions(lease: lease)
            return Result(plan: checked.summary, outcome: done, streamed: checked)
        }
        logRequests()
        return result
    }
}

extension PlanMaker {
    /// The fresh look a streamed apply takes just before deleting: the bucket spooled and planned
    /// again with holds and locks checked. From an inventory report, which is not re-read from
    /// the bucket, the sets that justify deletions are confirmed by HEAD (planning again without
    /// rows that are not there), and each deletion is checked by HEAD before it is made.
    func streamedReplan(now: Date, spoolDirectory: String) async throws -> SweepExecutor.StreamedReplan {
        var planning = try await StreamedPlanning(maker: self, now: now, spoolDirectory: spoolDirectory)
        guard source != .listing else {
            let plan = try await planning.plan()
            return SweepExecutor.StreamedReplan(plan: plan, objects: planning.objects)
        }
        planning.recordsReported = true
        let plan = try await planning.plan()
        // Handed over, not kept here: a replan lets it go before making the next.
        let confirmed = try await confirmingKeepers(consume plan, planning: &planning)
        return SweepExecutor.StreamedReplan(plan: confirmed.plan, objects: planning.objects, confirmedSets: confirmed.confirmedSets,
                                            unchanged: { try await unchangedSinceReport($0) })
    }
}
