import Foundation
import Logging
import S3

extension SweepLease {
    /// What a conditional write of the lease came to.
    enum WriteOutcome: Sendable, Hashable {
        /// S3 stored it.
        case written
        /// The answer was lost: it may or may not have landed (the client does not resend a
        /// conditional write blindly). The read-back says.
        case unknown
        /// The condition failed: someone wrote (or removed) the lease since we read it.
        case conflict
    }

    /// Rounds of read, write and read-back before giving up: each further round means a
    /// contender wrote in between or a lost answer left nothing behind.
    static let maxRounds = 6

    /// Takes the lease for `timing.ttl`, or throws ``StrataError`` (`lockHeld`) naming the
    /// holder (or the winner of a race), having written nothing over another run's live lease.
    public static func acquire(context: StrataContext, runID: String, timing: Timing) async throws -> SweepLease {
        let holder = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        for _ in 0..<maxRounds {
            let now = context.now()
            let record = Record(holder: holder, runID: runID, acquiredAt: now, now: now, ttl: timing.ttl)
            switch Self.step(for: try await read(context: context), runID: runID, now: now) {
            case .refuse(let held):
                throw heldError(context, held)
            case .create:
                guard try await write(record, ifMatch: nil, context: context) != .conflict else { continue }
            case .takeOver(let eTag):
                context.logger.warning("taking over an expired sweep lease", metadata: ["etag": "\(eTag)", "run_id": "\(runID)"])
                guard try await write(record, ifMatch: eTag, context: context) != .conflict else { continue }
            case .confirm:
                break
            }
            try await Task.sleep(for: timing.settle)
            switch standing(of: try await read(context: context), runID: runID) {
            case .held(let confirmed, let eTag):
                context.logger.info("sweep lease taken", metadata: ["run_id": "\(runID)", "expires": "\(JSONCoding.timestamp(confirmed.expiresAt))"])
                return SweepLease(context: context, timing: timing, record: confirmed, eTag: eTag)
            case .lost(let winner):
                throw heldError(context, winner)
            case .absent:
                // A create whose answer was lost and that never landed, or a lease removed at
                // once: nobody holds it, so try again.
                continue
            }
        }
        throw StrataError(.lockHeld, "could not take the sweep lease on \(location(context)): it changed hands \(maxRounds) times while we tried")
    }

    /// Writes `record` as the lease: created only if absent (`ifMatch` nil), or replacing only
    /// the version with that ETag. Throws for failures other than a lost answer or a conflict.
    ///
    /// Ceph RGW 16 refuses every `If-Match` PUT in a versioned bucket, even when the ETag is
    /// current (and ignores `If-None-Match` there). So when the condition "fails" but the lease
    /// is still exactly the version named, nobody else wrote: the record is written without
    /// the condition, and the read-back and the fence judge a race, as for a server that
    /// ignores `If-None-Match`.
    static func write(_ record: Record, ifMatch: String?, context: StrataContext) async throws -> WriteOutcome {
        let outcome = try await put(record, condition: ifMatch.map(Condition.ifMatch) ?? .ifAbsent, context: context)
        guard outcome == .conflict, let ifMatch, try await read(context: context)?.eTag == ifMatch else { return outcome }
        context.logger.notice("the server refused a lease write conditional on the current version; writing it unconditionally and reading it back",
                              metadata: ["etag": "\(ifMatch)"])
        return try await put(record, condition: .none, context: context)
    }

    /// The condition a lease write carries.
    enum Condition: Sendable, Hashable {
        /// `If-None-Match: *`: only if there is no lease.
        case ifAbsent
        /// `If-Match`: only over the version with this ETag.
        case ifMatch(String)
        /// None: the read-back decides (servers that mishandle conditions).
        case none
    }

    private static func put(_ record: Record, condition: Condition, context: StrataContext) async throws -> WriteOutcome {
        var options = PutOptions(contentType: "application/json")
        var ifMatch: String?
        switch condition {
        case .ifAbsent: options.ifNoneMatch = true
        case .ifMatch(let eTag): options.ifMatch = eTag; ifMatch = eTag
        case .none: break
        }
        do {
            try await context.client.putObject(bucket: context.bucket, key: StrataPaths.lockKey,
                                               body: Array(try JSONCoding.encoder.encode(record)), options: options)
            return .written
        } catch let error as S3TransportError {
            context.logger.warning("no answer to a sweep lease write; reading it back", metadata: ["error": "\(error)"])
            return .unknown
        } catch let error as S3Error where isConflict(error, ifMatch: ifMatch) {
            return .conflict
        }
    }

    /// 412: the condition failed. 409: S3's answer to concurrent conditional writes. 404: the
    /// object an `If-Match` named is gone.
    static func isConflict(_ error: S3Error, ifMatch: String?) -> Bool {
        error.status == 412 || error.code == .preconditionFailed || error.status == 409
            || (ifMatch != nil && error.status == 404)
    }
}
