import Foundation
import Logging
import Retention
import S3
import Synchronization

/// What a sweep did.
public struct SweepOutcome: Sendable {
    /// Actions carried out.
    public var done: SweepJournal.Counts
    /// Per-object failures, one line each (the sweep goes on past them).
    public var failures: [String]
    /// Components whose deletions a guard blocked.
    public var blocked: [GuardFinding]
    /// The fresh plan the deletions were checked against (made just before deleting, with holds
    /// and locks checked); `nil` when nothing was applied.
    public var replanned: Plan?
}

/// Carries out a plan against the bucket, in the order that keeps backups safe: deletions
/// first, but only those a fresh listing and plan still agree on, in batches of at most 1,000
/// (the first alone: a batch refused whole for lack of permission stops the sweep before anything
/// changed; then a few at once, each after its own lease check); then transitions, each an atomic
/// in-place copy; then stale uploads.
///
/// Every step is idempotent: a sweep killed at any point and run again plans from what the
/// bucket then holds and finishes the same work, never more.
public struct SweepExecutor: Sendable {
    /// Where to act.
    public let context: StrataContext
    /// Copies in flight at once.
    public var transitionConcurrency = 8
    /// Keys per DeleteObjects request (S3's maximum is 1,000).
    public var deleteBatchSize = 1000
    /// DeleteObjects requests in flight at once after the first batch. A server deletes the keys
    /// of one request one after another, so a few requests at once are what keeps up with a
    /// plain bulk delete; a lost lease is still noticed before each batch starts, so at most this
    /// many batches run after another sweep took the lease.
    public var deleteConcurrency = 4
    /// Delete batches between journal writes. Each write carries the whole entry (every planned
    /// action), so writing after every batch costs bytes quadratic in the plan; the journal may lag
    /// this many batches behind a killed sweep, which the next sweep converges over anyway.
    public var batchesPerJournalWrite = 8
    /// Send `x-amz-bypass-governance-retention` with deletes (`--bypass-governance`). The planner
    /// only lets GOVERNANCE-locked versions into the plan when this is set, and only those the
    /// policy expires.
    public var bypassGovernance = false
    /// Set when the previous sweep died unfinished: incomplete multipart uploads that started
    /// before this run on keys it transitions are copies a killed sweep left behind, and are
    /// aborted (they would otherwise wait for `abort_incomplete_after`). Strata's uploads never
    /// overwrite a key, so an upload on an existing backup's key is not a new backup.
    public var abortsDeadCopies = false
    /// A step a sweep reports to `afterStep`.
    public enum Step: Sendable, Hashable {
        /// One object was moved to its colder class.
        case transition
        /// One batch of deletions was sent.
        case deleteBatch
    }
    /// Test hook: called after each step, so tests can stop a sweep at a chosen point.
    public var afterStep: (@Sendable (Step) async -> Void)?
    /// Fencing: called before every delete batch and before transitions start; throws when this
    /// run no longer holds the sweep lease (``SweepLease/check()``), so a sweep that lost it to
    /// another stops before it changes anything more. `nil`: no lease to check.
    public var fence: (@Sendable () async throws -> Void)?

    /// Creates an executor.
    public init(context: StrataContext) { self.context = context }

    /// A fresh look at the bucket just before deleting: the plan made from it, the inventory it
    /// was made from, and which sets are known to exist.
    public struct Replanned: Sendable {
        /// The fresh plan, for the same instant.
        public var plan: Plan
        /// The inventory the fresh plan was made from.
        public var inventory: Inventory
        /// Per component, the set ids confirmed to exist; `nil` when the inventory is a fresh
        /// listing (every set in it exists). A sweep from an inventory report confirms the sets
        /// that hold keep slots with HEAD.
        public var confirmedSets: [String: Set<String>]?

        /// Creates a fresh look.
        public init(plan: Plan, inventory: Inventory, confirmedSets: [String: Set<String>]? = nil) {
            self.plan = plan
            self.inventory = inventory
            self.confirmedSets = confirmedSets
        }
    }

    /// Applies `plan`. `replan` lists the bucket again and plans for the same instant; only the
    /// deletions both plans contain are made, and only if they keep every series above the
    /// ``DeletionFloor`` (checked apart from the planner, on exactly the deletions about to be made).
    public func apply(plan: Plan, runID: String, journal: SweepJournal,
                      replan: @Sendable () async throws -> Replanned) async throws -> SweepOutcome {
        var entry = SweepJournal.Entry(runID: runID, strataVersion: StrataVersion.current, planTime: plan.generatedAt,
                                       startedAt: context.now(), status: .planned, actions: plan.actions,
                                       done: .init(), failures: [])
        try await journal.write(entry)

        // Deletions first: they are what a missing permission must stop before anything changed.
        entry.status = .deleting
        try await journal.write(entry)
        let fresh = try await replan()
        let confirmed = Set(fresh.plan.actions.compactMap(Self.deletion))
        var agreed: [PlanAction] = []
        for action in plan.actions {
            guard let id = Self.deletion(action) else { continue }
            if confirmed.contains(id) { agreed.append(action) } else { entry.done.skipped += 1 }
        }
        let deletions = try aboveTheFloor(agreed, fresh: fresh, entry: &entry).compactMap(Self.deletion)
        let batches = deletions.chunked(into: deleteBatchSize)
        var sent = 0
        while sent < batches.count {
            // The first batch alone (a refusal stops the sweep before anything changed), then
            // groups of batches, a few in flight at once; the journal is written after each group.
            let group = Array(batches[sent..<min(sent + (sent == 0 ? 1 : max(1, batchesPerJournalWrite)), batches.count)])
            sent += group.count
            try await deleteGroup(group, entry: &entry, journal: journal)
        }

        try await checkFence(&entry, journal: journal)
        entry.status = .transitioning
        try await journal.write(entry)
        let transitions: [(String, StorageClass)] = plan.actions.compactMap {
            if case .transition(let key, _, let to, _) = $0 { return (key, to) }
            return nil
        }
        if abortsDeadCopies, !transitions.isEmpty {
            var copies = await listDeadCopies(before: entry.startedAt)
            entry.done.aborts += await abortDeadCopies(on: transitions.map(\.0), in: &copies)
        }
        let tally = await transition(transitions)
        tally.add(to: &entry.done)
        entry.failures += tally.failures
        if tally.moved == 0, !transitions.isEmpty, tally.denied == transitions.count {
            entry.status = .failed
            entry.finishedAt = context.now()
            try await journal.write(entry)
            throw allTransitionsDenied(transitions.count, example: transitions[0].0)
        }

        try await finish(aborting: plan.actions, entry: &entry, journal: journal)
        return SweepOutcome(done: entry.done, failures: entry.failures, blocked: plan.blockedComponents,
                            replanned: fresh.plan)
    }

    /// The last step: aborts the stale uploads among `actions`, then journals the run as
    /// completed, or as failed when any action failed.
    func finish(aborting actions: [PlanAction], entry: inout SweepJournal.Entry, journal: SweepJournal) async throws {
        for case .abortUpload(let key, let uploadID, _) in actions {
            do {
                try await context.client.abortMultipartUpload(bucket: context.bucket, key: key, uploadID: uploadID)
                entry.done.aborts += 1
            } catch {
                entry.failures.append("abort \(key) (upload \(uploadID)): \(error)")
            }
        }
        entry.status = entry.failures.isEmpty ? .completed : .failed
        entry.finishedAt = context.now()
        try await journal.write(entry)
    }

    /// The error of a sweep whose `count` transitions (`example` among them) were all refused
    /// with AccessDenied: a missing permission, named.
    func allTransitionsDenied(_ count: Int, example: String) -> StrataError {
        StrataError(.failure, "CopyObject s3://\(context.bucket): AccessDenied for all \(count) transitions (e.g. \(example)); needs s3:GetObject, s3:PutObject and s3:PutObjectTagging on the backup prefixes (and kms:Decrypt, kms:GenerateDataKey on the KMS keys of SSE-KMS objects, which a transition keeps); nothing was moved")
    }

    /// Sends `batches` as DeleteObjects requests, ``deleteConcurrency`` at once, each after a
    /// lease check (``fence``); adds what they did to `entry` and journals it. Stops at the first
    /// lost lease, or batch refused whole with AccessDenied, journaling the run as failed.
    func deleteGroup(_ batches: [[ObjectIdentifier]], entry: inout SweepJournal.Entry,
                             journal: SweepJournal) async throws {
        let client = context.client
        let bucket = context.bucket
        let bypass = bypassGovernance
        let fence = self.fence
        let hook = afterStep
        let tally = DeleteTally()
        do {
            _ = try await batches.concurrentMap(maxConcurrentTasks: deleteConcurrency) { batch in
                if let fence {
                    do { try await fence() } catch { throw DeleteStop.fence(error) }
                }
                let result = try await client.deleteObjects(bucket: bucket, objects: batch, bypassGovernanceRetention: bypass)
                if result.deleted.isEmpty, !result.failures.isEmpty, result.failures.allSatisfy({ $0.code == .accessDenied }) {
                    throw DeleteStop.denied(keys: batch.count, example: result.failures[0].key)
                }
                tally.record(result)
                await hook?(.deleteBatch)
            }
        } catch DeleteStop.fence(let error) {
            tally.add(to: &entry)
            entry.status = .failed
            entry.failures.append("\(error)")
            entry.finishedAt = context.now()
            // The fence's error is what the operator must see; a journal that cannot be written
            // as well must not hide it.
            try? await journal.write(entry)
            throw error
        } catch DeleteStop.denied(let keys, let example) {
            tally.add(to: &entry)
            entry.status = .failed
            entry.failures.append("DeleteObjects refused every key of a batch with AccessDenied")
            entry.finishedAt = context.now()
            try await journal.write(entry)
            throw StrataError(.failure, "DeleteObjects s3://\(context.bucket): AccessDenied for all \(keys) keys of the batch (e.g. \(example)); needs s3:DeleteObject (and s3:DeleteObjectVersion in versioned buckets), or the objects are locked; stopped, \(entry.done.deletes) deleted before")
        } catch {
            tally.add(to: &entry)
            try? await journal.write(entry)
            throw error
        }
        tally.add(to: &entry)
        try await journal.write(entry)
    }

    /// Why a group of delete batches stopped early.
    private enum DeleteStop: Error {
        /// The fence threw: this run no longer holds the lease.
        case fence(any Error)
        /// A batch of `keys` keys was refused whole with AccessDenied (`example` is one of them).
        case denied(keys: Int, example: String)
    }

    /// What the delete batches of one group did, gathered as they finish (in any order), so
    /// that a group stopped early still journals what its finished batches deleted.
    private final class DeleteTally: Sendable {
        private let state = Mutex<(counts: SweepJournal.Counts, failures: [String])>((SweepJournal.Counts(), []))

        /// Counts one DeleteObjects answer.
        func record(_ result: DeleteObjectsResult) {
            state.withLock { state in
                for deleted in result.deleted {
                    // S3 answers DeleteMarker=true both for removing a marker (a version was
                    // named) and for placing one (none was).
                    if deleted.deleteMarker && deleted.versionID != nil {
                        state.counts.markersRemoved += 1
                    } else if deleted.deleteMarker {
                        // Only a marker was placed: nothing was freed. The planner names versions
                        // in versioned buckets, so this means the bucket's versioning changed under us.
                        state.failures.append("delete \(deleted.key): S3 placed a delete marker instead of deleting a version; check the bucket's versioning")
                    } else {
                        state.counts.deletes += 1
                    }
                }
                state.failures += result.failures.map { "delete \($0.description)" }
            }
        }

        /// Adds what was recorded to `entry`.
        func add(to entry: inout SweepJournal.Entry) {
            let (counts, failures) = state.withLock { state in
                defer { state = (SweepJournal.Counts(), []) }
                return (state.counts, state.failures)
            }
            entry.done.deletes += counts.deletes
            entry.done.markersRemoved += counts.markersRemoved
            entry.failures += failures
        }
    }

    /// `deletions` without those of components the ``DeletionFloor`` finds below it; each such
    /// component is recorded as a failure (the sweep exits 1), and its deletions are skipped.
    private func aboveTheFloor(_ deletions: [PlanAction], fresh: Replanned, entry: inout SweepJournal.Entry) throws -> [PlanAction] {
        let floor = DeletionFloor(policies: try context.requirePolicies())
        let violations = floor.violations(actions: deletions, inventory: fresh.inventory, now: fresh.plan.generatedAt,
                                          confirmed: fresh.confirmedSets)
        guard !violations.isEmpty else { return deletions }
        for violation in violations {
            context.logger.critical("deletions withheld by the floor", metadata: ["violation": "\(violation)"])
            entry.failures.append(violation.description)
        }
        let kept = deletions.removingDeletions(of: Set(violations.map(\.component)), policies: floor.policies)
        entry.done.skipped += deletions.count - kept.count
        return kept
    }

    /// Runs ``fence``; when it throws, journals the run as failed with its reason and rethrows.
    func checkFence(_ entry: inout SweepJournal.Entry, journal: SweepJournal) async throws {
        guard let fence else { return }
        do {
            try await fence()
        } catch {
            entry.status = .failed
            entry.failures.append("\(error)")
            entry.finishedAt = context.now()
            // The fence's error is what the operator must see; a journal that cannot be written
            // as well must not hide it.
            try? await journal.write(entry)
            throw error
        }
    }

    /// The incomplete uploads started before `start`, by key: on keys a sweep transitions, these
    /// are copies a killed sweep left. Empty, with a warning, when they cannot be listed
    /// (`abort_incomplete_after` then cleans them up).
    func listDeadCopies(before start: Date) async -> [String: [MultipartUpload]] {
        do {
            return Dictionary(grouping: try await context.client.listMultipartUploads(bucket: context.bucket)
                .filter { $0.initiated < start }, by: \.key)
        } catch {
            context.logger.warning("could not clean up copies left by the previous sweep; abort_incomplete_after will",
                                   metadata: ["error": "\(error)"])
            return [:]
        }
    }

    /// Aborts the dead copies (``listDeadCopies(before:)``) on `keys`, taking them out of `copies`;
    /// returns how many were aborted.
    func abortDeadCopies(on keys: [String], in copies: inout [String: [MultipartUpload]]) async -> Int {
        var aborted = 0
        do {
            for key in keys {
                guard let uploads = copies.removeValue(forKey: key) else { continue }
                for upload in uploads {
                    try await context.client.abortMultipartUpload(bucket: context.bucket, key: upload.key, uploadID: upload.uploadID)
                    aborted += 1
                }
            }
        } catch {
            context.logger.warning("could not clean up copies left by the previous sweep; abort_incomplete_after will",
                                   metadata: ["error": "\(error)"])
        }
        if aborted > 0 { context.logger.notice("aborted copies left by the previous sweep", metadata: ["uploads": "\(aborted)"]) }
        return aborted
    }

    /// The object a delete action removes. In a versioned bucket the planner names versions;
    /// a delete without one would only add a delete marker.
    static func deletion(_ action: PlanAction) -> ObjectIdentifier? {
        guard case .delete(let key, let version, _) = action else { return nil }
        return ObjectIdentifier(key: key, versionID: version)
    }

    /// Moves each of `items` (key, target class) in place, ``transitionConcurrency`` at once;
    /// returns what was moved, found there already or gone, and the failures.
    func transition(_ items: [(String, StorageClass)]) async -> TransitionTally {
        let client = context.client
        let bucket = context.bucket
        let hook = afterStep
        let work = items.map { TransitionItem(key: $0.0, target: $0.1) }
        let policies = context.policies
        let outcomes = await work.concurrentMap(maxConcurrentTasks: transitionConcurrency) { item -> TransitionTally.Outcome in
            var head: ObjectHead?
            do {
                head = try await client.headObjectIfExists(bucket: bucket, key: item.key)
                guard let head else { return .gone }
                // Already there (a re-run after a crash): nothing to do.
                if StorageClass(rawValue: head.storageClass) == item.target { return .alreadyThere }
                try await client.transition(bucket: bucket, key: item.key, to: item.target.rawValue, head: head)
                await hook?(.transition)
                return .moved
            } catch let error as S3Error where Self.isUnofferedClass(error, head: head) {
                let policy = policies?.policy(forKey: item.key).map { "policy \($0.component) (\($0.sourcePath))" } ?? "a policy"
                return .failed("transition \(item.key) to \(item.target): the server does not offer storage class \(item.target), "
                               + "which \(policy) asks for (\(error.code) \(error.status))", denied: false)
            } catch {
                return .failed("transition \(item.key) to \(item.target): \(error)",
                               denied: (error as? S3Error)?.code == .accessDenied)
            }
        }
        return TransitionTally(outcomes)
    }

    /// Whether a refused copy says the target storage class is not offered: AWS's
    /// `InvalidStorageClass`, or Ceph RGW's `InvalidArgument` for a class its placement does not
    /// have. RGW gives no detail with InvalidArgument, so it is read this way only for an object
    /// whose copy sends no encryption headers, the one other argument of the copy.
    static func isUnofferedClass(_ error: S3Error, head: ObjectHead?) -> Bool {
        if error.code == .invalidStorageClass { return true }
        return error.code == .invalidArgument && error.status == 400
            && (head?.serverSideEncryption == nil || head?.serverSideEncryption == "AES256")
    }

    /// One object to move, as a `Sendable` value for the concurrent map.
    struct TransitionItem: Sendable {
        var key: String
        var target: StorageClass
    }
}
