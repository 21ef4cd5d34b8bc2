import Foundation
import Logging
import Retention

/// One sweep: plan the bucket and, when applying, take the lease, journal and execute.
/// The library entry point behind `strata sweep`.
public struct Sweep: Sendable {
    /// Where to work.
    public let context: StrataContext
    /// Force and component filter.
    public let options: PlanOptions
    /// The instant planned for.
    public let now: Date
    /// Where the journal goes.
    public let journal: SweepJournal.Location
    /// Lease lifetime (`--lock-ttl`); the lease is renewed every third of it while the sweep runs.
    public let lockTTL: TimeInterval
    /// Wait between a lease write and its read-back (tests shorten it).
    public var leaseSettle: Duration = .seconds(1)
    /// Executor settings (batch size, test hooks).
    public var executor: SweepExecutor
    /// Where the picture of the bucket comes from (a listing, or an S3 Inventory report).
    public var source: PlanMaker.InventorySource = .listing

    /// Creates a sweep.
    public init(context: StrataContext, options: PlanOptions, now: Date, journal: SweepJournal.Location = .bucket,
                lockTTL: TimeInterval = 180) {
        self.context = context
        self.options = options
        self.now = now
        self.journal = journal
        self.lockTTL = lockTTL
        self.executor = SweepExecutor(context: context)
        self.executor.bypassGovernance = options.bypassGovernance
    }

    /// The plan, and what applying it did (`nil` for a dry run).
    public struct Result: Sendable {
        /// The plan: for a dry run, the plan made; when applying, the plan made just before
        /// deleting, with holds and locks checked, which the deletions rest on.
        public var plan: Plan
        /// What was done.
        public var outcome: SweepOutcome?
        /// The checked plan whole, when the streaming planner made it (``Sweep/streamedApply(spoolDirectory:)``):
        /// `plan` is then its summary, without members and actions, and this writes its JSON.
        public var streamed: StreamedPlan?
    }

    /// The plan maker, told when the `previous` sweep ran (unless the options already say) and
    /// which of the bucket's lifecycle rules Strata did not write (read here, once a sweep:
    /// ``LifecycleCompiler/outsideRules(context:)``), so that a rule acting on a component
    /// otherwise than its policy blocks that component's deletions.
    func maker(after previous: SweepJournal.Entry?) async throws -> PlanMaker {
        var options = self.options
        if options.lastSweep == nil { options.lastSweep = previous?.start(notAfter: context.now()) }
        options.lifecycleRules = try await LifecycleCompiler(policies: context.requirePolicies()).outsideRules(context: context)
        var maker = PlanMaker(context: context, options: options)
        maker.source = source
        return maker
    }

    /// Plans, and applies when `apply` is set. Logs at `info` what it cost in S3 requests, by
    /// operation (`tools/bench-delete` reads it), since requests, not bytes, are what a sweep spends.
    public func run(apply: Bool) async throws -> Result {
        let result = try await runCounted(apply: apply)
        logRequests()
        return result
    }

    /// Logs at `info` the S3 requests made so far, by operation.
    func logRequests() {
        let statistics = context.client.statistics
        var metadata: Logger.Metadata = ["requests": "\(statistics.requests)", "retries": "\(statistics.retries)"]
        for (operation, count) in statistics.requestsByOperation { metadata["requests_\(operation)"] = "\(count)" }
        context.logger.info("sweep requests", metadata: metadata)
    }

    private func runCounted(apply: Bool) async throws -> Result {
        let writer = SweepJournal(context: context, location: journal)
        guard apply else {
            return Result(plan: try await maker(after: try await writer.latest()).makePlan(now: now).plan, outcome: nil)
        }
        let runID = SweepJournal.newRunID(now: context.now())
        let timing = SweepLease.Timing(ttl: lockTTL, settle: leaseSettle)
        return try await SweepLease.withLease(context: context, runID: runID, timing: timing) { lease in
            let (executor, previous) = try await prepare(lease: lease, journal: writer)
            var result = try await applyInMemory(executor: executor, previous: previous, runID: runID, journal: writer)
            result.outcome?.done.strataVersionsRemoved = await removeOldStrataVersions(lease: lease)
            return result
        }
    }

    /// After applying, under the lease: the old versions of Strata's own files go
    /// (``StrataFiles/removeOldVersions(limit:)``), unless the lease was lost meanwhile.
    func removeOldStrataVersions(lease: SweepLease) async -> Int {
        guard (try? await lease.check()) != nil else { return 0 }
        return await StrataFiles(context: context).removeOldVersions()
    }

    /// The executor of a sweep that holds `lease`, fenced by it, and the journal's latest entry,
    /// read once under the lease: when the last sweep ran, and whether it finished.
    func prepare(lease: SweepLease, journal: SweepJournal) async throws -> (SweepExecutor, SweepJournal.Entry?) {
        var executor = self.executor
        // Fencing: the executor checks the lease is still this run's before it deletes or moves.
        executor.fence = { try await lease.check() }
        let previous = try await journal.latest()
        if let previous, !previous.isFinished {
            context.logger.notice("previous sweep did not finish; this one converges on the same plan",
                                  metadata: ["run_id": "\(previous.runID)", "status": "\(previous.status)"])
            executor.abortsDeadCopies = true
        }
        return (executor, previous)
    }

    /// Plans in memory and applies, under the lease.
    func applyInMemory(executor: SweepExecutor, previous: SweepJournal.Entry?, runID: String,
                       journal writer: SweepJournal) async throws -> Result {
        let maker = try await self.maker(after: previous)
        // The first plan proposes; holds and locks are checked once, in the plan made just
        // before deleting (the replan below), so that a hold placed while this sweep runs
        // still wins and each object costs one check, not two. The proposal deletes a
        // superset of the checked plan with the same guard verdicts, and only deletions both
        // contain are made.
        var proposer = maker
        proposer.holdCheck = .none
        let plan = try await proposer.makePlan(now: now).plan
        let now = self.now
        let fromReport = source != .listing
        let outcome = try await executor.apply(plan: plan, runID: runID, journal: writer) {
            let (fresh, inventory) = try await maker.makePlan(now: now)
            guard fromReport else { return SweepExecutor.Replanned(plan: fresh, inventory: inventory) }
            // A report is not re-read from the bucket: the sets that justify deletions are
            // confirmed by HEAD (replanning without rows that are not there), then each
            // deletion is checked by HEAD.
            let confirmed = try await maker.confirmingKeepers(fresh, inventory: inventory, now: now)
            return SweepExecutor.Replanned(plan: try await maker.confirmingDeletions(confirmed.plan, inventory: confirmed.inventory),
                                           inventory: confirmed.inventory, confirmedSets: confirmed.confirmedSets)
        }
        // What was done rests on the checked plan: it is the one to show.
        return Result(plan: outcome.replanned ?? plan, outcome: outcome)
    }
}
