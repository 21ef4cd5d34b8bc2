import Foundation
import Logging
import Retention
import S3

extension SweepExecutor {
    /// A fresh look at the bucket made by the streaming planner: the plan, and the spooled
    /// objects it was made from (which the ``DeletionFloor`` reads apart from the plan).
    struct StreamedReplan {
        /// The fresh plan, for the same instant, with holds and locks checked.
        var plan: StreamedPlan
        /// The objects it was made from.
        var objects: any ObjectStream
        /// Per component, the set ids confirmed to exist; `nil` when the objects are a fresh
        /// listing (every set in it exists). A sweep from an inventory report confirms the sets
        /// that hold keep slots with HEAD.
        var confirmedSets: [String: Set<String>]? = nil
        /// For a plan from an inventory report: whether each deletion's key still holds the
        /// object the report described (its deletions carry ``Placement/reported``), asked a
        /// batch at a time just before deleting; `nil` for a listing.
        var unchanged: (([DeletionRef]) async throws -> [Bool])? = nil
    }

    /// Applies a plan the streaming planner made, as ``apply(plan:runID:journal:replan:)`` applies
    /// one made in memory, and to the same end, in memory that grows with the bucket's sets, not
    /// its objects:
    /// 1. the planned actions are journaled in parts (``SweepJournal/writeActions(runID:part:_:)``);
    /// 2. `replan` spools the bucket again and plans it with holds and locks checked;
    /// 3. the deletions both plans make are found by sorting both on disk and merging them;
    ///    from an inventory report, those whose key no longer holds the reported object are dropped;
    /// 4. the ``DeletionFloor`` counts the fresh objects and those deletions, a key at a time;
    /// 5. the agreed deletions go out in DeleteObjects batches, in key order, as they are read back;
    /// 6. the proposal's transitions, a thousand at a time, then its upload aborts.
    ///
    /// Returns what was done and the checked plan (the fresh one), which the deletions rest on.
    func apply(streamed proposal: StreamedPlan, runID: String, journal: SweepJournal, spoolDirectory: String,
               replan: () async throws -> StreamedReplan) async throws -> (outcome: SweepOutcome, checked: StreamedPlan) {
        var entry = SweepJournal.Entry(runID: runID, strataVersion: StrataVersion.current, planTime: proposal.summary.generatedAt,
                                       startedAt: context.now(), status: .planned, actions: [],
                                       plannedActions: proposal.actionCount, actionParts: 0)
        entry.actionParts = try await journalActions(of: proposal, runID: runID, journal: journal)
        try await journal.write(entry)

        // Deletions first: they are what a missing permission must stop before anything changed.
        entry.status = .deleting
        try await journal.write(entry)
        let fresh = try await replan()
        var agreed = try agreedDeletions(proposal: proposal, fresh: fresh.plan, spoolDirectory: spoolDirectory, entry: &entry)
        if let unchanged = fresh.unchanged {
            agreed = try await unchangedDeletions(agreed, unchanged: unchanged, spoolDirectory: spoolDirectory, entry: &entry)
        }
        let withheld = try floorWithholds(agreed, objects: fresh.objects, now: fresh.plan.summary.generatedAt,
                                          confirmed: fresh.confirmedSets, spoolDirectory: spoolDirectory, entry: &entry)
        try await delete(agreed, withholding: withheld, entry: &entry, journal: journal)

        try await checkFence(&entry, journal: journal)
        entry.status = .transitioning
        try await journal.write(entry)
        let aborts = try await transitions(of: proposal, entry: &entry, journal: journal)
        try await finish(aborting: aborts, entry: &entry, journal: journal)
        return (SweepOutcome(done: entry.done, failures: entry.failures, blocked: proposal.summary.blockedComponents,
                             replanned: fresh.plan.summary), fresh.plan)
    }

    /// Writes `plan`'s actions into the journal in parts of ``SweepJournal/actionsPerPart``, in
    /// the plan's order; returns how many parts.
    private func journalActions(of plan: StreamedPlan, runID: String, journal: SweepJournal) async throws -> Int {
        var actions = try plan.makeActionIterator()
        var part: [PlanAction] = []
        var parts = 0
        while let action = try actions.next() {
            part.append(action)
            if part.count == SweepJournal.actionsPerPart {
                try await journal.writeActions(runID: runID, part: parts, part)
                parts += 1
                part.removeAll(keepingCapacity: true)
            }
        }
        if !part.isEmpty || parts == 0 {
            try await journal.writeActions(runID: runID, part: parts, part)
            parts += 1
        }
        return parts
    }

    /// The deletions both `proposal` and `fresh` make, in key order, in a spool of their own;
    /// the proposal's other deletions are counted as skipped.
    private func agreedDeletions(proposal: StreamedPlan, fresh: StreamedPlan, spoolDirectory: String,
                                 entry: inout SweepJournal.Entry) throws -> SpoolFile {
        let proposed = try proposal.sortedDeletions(spoolDirectory: spoolDirectory)
        let confirmed = try fresh.sortedDeletions(spoolDirectory: spoolDirectory)
        let agreed = try SpoolFile(directory: spoolDirectory)
        var agreement = DeletionAgreement()
        try agreement.join(proposed, confirmed) { ref in try agreed.append { DeletionSorter.encode(ref, into: &$0) } }
        try agreed.flush()
        entry.done.skipped += agreement.skipped
        return agreed
    }

    /// The `agreed` deletions whose key still holds the object the inventory report described,
    /// asked of `unchanged` ten thousand at a time, in a spool of their own; the others are
    /// logged, counted as skipped and left alone (a new object under an old key).
    private func unchangedDeletions(_ agreed: SpoolFile, unchanged: ([DeletionRef]) async throws -> [Bool],
                                    spoolDirectory: String, entry: inout SweepJournal.Entry) async throws -> SpoolFile {
        let kept = try SpoolFile(directory: spoolDirectory)
        var cursor = SpoolFile.Cursor(file: agreed, bufferSize: 1 << 20)
        var batch: [DeletionRef] = []
        var finished = false
        while !finished {
            batch.removeAll(keepingCapacity: true)
            while batch.count < 10_000 {
                guard let ref = try cursor.next({ try DeletionSorter.decodeChecked(&$0) }) else {
                    finished = true
                    break
                }
                batch.append(ref)
            }
            guard !batch.isEmpty else { break }
            for (ref, same) in zip(batch, try await unchanged(batch)) {
                if same {
                    try kept.append { DeletionSorter.encode(ref, into: &$0) }
                } else {
                    context.logger.warning("object changed since the inventory report; not deleting it",
                                           metadata: ["key": "\(ref.key)", "version": "\(ref.versionID ?? "-")"])
                    entry.done.skipped += 1
                }
            }
        }
        try kept.flush()
        return kept
    }

    /// Sends the `agreed` deletions outside the `withheld` prefixes as DeleteObjects batches, read
    /// back from their spool a group of batches at a time: the first batch alone, then
    /// ``batchesPerJournalWrite`` at once, the journal written after each group.
    private func delete(_ agreed: SpoolFile, withholding withheld: WithheldPrefixes?, entry: inout SweepJournal.Entry,
                        journal: SweepJournal) async throws {
        let size = max(1, deleteBatchSize)
        var cursor = SpoolFile.Cursor(file: agreed, bufferSize: 1 << 20)
        var first = true
        while true {
            var group: [[ObjectIdentifier]] = []
            var batch: [ObjectIdentifier] = []
            while group.count < (first ? 1 : max(1, batchesPerJournalWrite)),
                  let ref = try cursor.next({ try DeletionSorter.decodeChecked(&$0) }) {
                guard withheld?.contains(ref.key) != true else { continue }
                batch.append(ObjectIdentifier(key: ref.key, versionID: ref.versionID))
                if batch.count == size {
                    group.append(batch)
                    batch = []
                }
            }
            if !batch.isEmpty { group.append(batch) }
            guard !group.isEmpty else { return }
            first = false
            try await deleteGroup(group, entry: &entry, journal: journal)
        }
    }

    /// Carries out `plan`'s transitions a thousand at a time (aborting the copies a killed sweep
    /// left on their keys first, when ``abortsDeadCopies``); returns the plan's upload aborts,
    /// which come last.
    /// - Throws: `StrataError(.failure)` when every transition was refused with AccessDenied.
    private func transitions(of plan: StreamedPlan, entry: inout SweepJournal.Entry,
                             journal: SweepJournal) async throws -> [PlanAction] {
        var actions = try plan.makeActionIterator()
        var aborts: [PlanAction] = []
        var chunk: [(String, StorageClass)] = []
        var total = 0, denied = 0, example: String?
        var deadCopies: [String: [MultipartUpload]]?
        func run(_ chunk: [(String, StorageClass)]) async {
            if abortsDeadCopies {
                if deadCopies == nil { deadCopies = await listDeadCopies(before: entry.startedAt) }
                entry.done.aborts += await abortDeadCopies(on: chunk.map(\.0), in: &deadCopies!)
            }
            let tally = await transition(chunk)
            tally.add(to: &entry.done)
            entry.failures += tally.failures
            total += chunk.count
            denied += tally.denied
            if example == nil { example = chunk.first?.0 }
        }
        while let action = try actions.next() {
            switch action {
            case .transition(let key, _, let to, _):
                chunk.append((key, to))
                if chunk.count == 1_000 {
                    await run(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            case .abortUpload: aborts.append(action)
            case .delete: continue
            }
        }
        if !chunk.isEmpty { await run(chunk) }
        if total > 0, entry.done.transitions == 0, denied == total {
            entry.status = .failed
            entry.finishedAt = context.now()
            try await journal.write(entry)
            throw allTransitionsDenied(total, example: example ?? "")
        }
        return aborts
    }
}
