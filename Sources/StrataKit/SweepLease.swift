import Foundation
import Logging
import S3
import Synchronization

/// The bucket-wide sweep lease: `.strata/lock`, naming the run that may change the bucket and
/// until when. It replaces a lock that trusted the server to honour `If-None-Match` and was
/// never renewed, so a proxy that drops the header, two contenders for an expired lock or a
/// sweep outliving its lock could each let two sweeps delete at once.
///
/// - Acquiring reads first: another run's live lease stops us without writing. An absent lease
///   is created with `If-None-Match: *`; an expired one is replaced with `If-Match` on its ETag.
/// - Every write (create, takeover, renewal) is read back after ``Timing/settle``: only a
///   record with our run id means we hold it, whatever the server answered.
/// - While the sweep runs, ``withLease(context:runID:timing:_:)`` renews it every third of its
///   lifetime, so the lifetime can be short and a killed sweep's lease soon expires.
/// - Before each destructive step the sweep calls ``check()`` (fencing by run id): a live GET
///   that stops it once the lease is another run's or was removed.
public final class SweepLease: Sendable {
    /// How long a lease lives and how writes are confirmed.
    public struct Timing: Sendable, Hashable {
        /// Lifetime of the lease from its last renewal (`--lock-ttl`).
        public var ttl: TimeInterval
        /// Wait between a write and its read-back, so a contender's write that crossed ours has
        /// landed by the time we look.
        public var settle: Duration

        /// Timing; `settle` defaults to one second.
        public init(ttl: TimeInterval, settle: Duration = .seconds(1)) {
            self.ttl = ttl
            self.settle = settle
        }

        /// Renewal period: a third of the lifetime, so two renewals may fail before it expires.
        public var renewEvery: Duration { .milliseconds(Int64(ttl * 1000 / 3)) }
    }

    /// Why a lease is no longer ours.
    public enum Loss: Sendable, Hashable {
        /// Another run's record (or an unreadable one) is in its place.
        case takenBy(Record?)
        /// The lease object is gone (`strata unlock`).
        case removed
    }

    struct State {
        var record: Record
        var eTag: String
        var loss: Loss?
        var renewals = 0
    }

    /// This sweep's run id.
    public let runID: String
    /// Lifetime and settle interval.
    public let timing: Timing
    let context: StrataContext
    let state: Mutex<State>

    init(context: StrataContext, timing: Timing, record: Record, eTag: String) {
        self.context = context
        self.timing = timing
        self.runID = record.runID
        self.state = Mutex(State(record: record, eTag: eTag))
    }

    /// The record last confirmed as ours.
    public var record: Record { state.withLock { $0.record } }
    /// Renewals confirmed so far.
    public var renewals: Int { state.withLock { $0.renewals } }
    /// Why the lease was lost, `nil` while it is held.
    public var loss: Loss? { state.withLock { $0.loss } }

    /// Takes the lease, runs `body` while a child task renews it, and releases it. `body` must
    /// call ``check()`` before each destructive step: a lost lease does not stop it by itself.
    public static func withLease<R: Sendable>(context: StrataContext, runID: String, timing: Timing,
                                              _ body: (SweepLease) async throws -> R) async throws -> R {
        let lease = try await acquire(context: context, runID: runID, timing: timing)
        let outcome = await withTaskGroup(of: Void.self, returning: Result<R, any Error>.self) { group in
            group.addTask { await lease.keepRenewed() }
            let result: Result<R, any Error>
            do { result = .success(try await body(lease)) } catch { result = .failure(error) }
            group.cancelAll()
            return result
        }
        await lease.release()
        return try outcome.get()
    }

    /// The fence: throws ``StrataError`` (`lockHeld`) unless a live GET shows our run id (or once
    /// a renewal found the lease lost). Called before every delete batch and before transitions.
    public func check() async throws {
        if let loss { throw lostError(loss) }
        let lost: Loss
        switch Self.standing(of: try await Self.read(context: context), runID: runID) {
        case .held(let record, _):
            // Still ours. Past its expiry a contender may take it over, but none has yet; the
            // renewals are failing, and their warnings say why.
            if record.hasExpired(at: context.now()) {
                context.logger.warning("the sweep lease has expired without renewal; going on while nobody took it over",
                                       metadata: ["run_id": "\(runID)", "expired": "\(JSONCoding.timestamp(record.expiresAt))"])
            }
            return
        case .lost(let winner):
            lost = .takenBy(winner)
        case .absent:
            lost = .removed
        }
        markLost(lost)
        throw lostError(lost)
    }

    /// Releases the lease if it is still ours; a lost lease is the winner's and stays.
    public func release() async {
        guard loss == nil else { return }
        do {
            if let observed = try await Self.read(context: context), observed.record?.runID == runID {
                try await context.client.deleteObject(bucket: context.bucket, key: StrataPaths.lockKey)
            }
        } catch {
            context.logger.error("could not release the sweep lease; it expires by itself",
                                 metadata: ["expires": "\(JSONCoding.timestamp(record.expiresAt))", "error": "\(error)"])
        }
    }

    func markLost(_ loss: Loss) {
        let first = state.withLock { state -> Bool in
            guard state.loss == nil else { return false }
            state.loss = loss
            return true
        }
        if first { context.logger.error("sweep lease lost", metadata: ["run_id": "\(runID)", "reason": "\(lostError(loss))"]) }
    }

    func lostError(_ loss: Loss) -> StrataError {
        let what: String
        switch loss {
        case .takenBy(let winner?): what = "lost the sweep lease on \(Self.location(context)) to \(winner.holder), run \(winner.runID) (expires \(JSONCoding.timestamp(winner.expiresAt)))"
        case .takenBy(nil): what = "lost the sweep lease on \(Self.location(context)): it was overwritten with something that is not a lease"
        case .removed: what = "lost the sweep lease on \(Self.location(context)): it was removed (strata unlock?)"
        }
        return StrataError(.lockHeld, "\(what); run \(runID) stopped before deleting or moving anything more")
    }

    static func heldError(_ context: StrataContext, _ held: Record?) -> StrataError {
        guard let held else { return StrataError(.lockHeld, "another sweep holds the lease on \(location(context))") }
        return StrataError(.lockHeld, "another sweep holds the lease on \(location(context)): \(held.summary)")
    }
}
