import Foundation
import Logging
import S3

extension SweepLease {
    /// Renews the lease every ``Timing/renewEvery`` until cancelled or lost. A renewal that
    /// fails for a transient reason is logged and tried again at the next tick: two may fail
    /// before the lease expires. Past its expiry a contender may take it over, and the fence
    /// then stops this sweep.
    func keepRenewed() async {
        // Ticks on a fixed schedule, so the settle wait of each renewal does not add up.
        var tick = ContinuousClock.now
        while loss == nil {
            tick += timing.renewEvery
            do { try await Task.sleep(until: tick, clock: .continuous) } catch { return }
            await renew()
        }
    }

    /// One renewal: rewrite our record with a later expiry, on condition that it is still the
    /// version we last confirmed (`If-Match`), then read it back.
    func renew() async {
        let (previous, eTag) = state.withLock { ($0.record, $0.eTag) }
        let next = Record(holder: previous.holder, runID: runID, acquiredAt: previous.acquiredAt, now: context.now(), ttl: timing.ttl)
        do {
            // A conflict or a lost answer is judged by the read-back below, like a success.
            _ = try await Self.write(next, ifMatch: eTag, context: context)
            try await Task.sleep(for: timing.settle)
            apply(Self.standing(of: try await Self.read(context: context), runID: runID), wrote: next)
        } catch {
            // Cancelled: the sweep is over and the lease is about to be released.
            guard !Task.isCancelled else { return }
            context.logger.warning("could not renew the sweep lease; trying again at the next renewal",
                                   metadata: ["run_id": "\(runID)", "expires": "\(JSONCoding.timestamp(previous.expiresAt))", "error": "\(error)"])
        }
    }

    /// Takes in what a renewal's read-back showed.
    private func apply(_ standing: Standing, wrote next: Record) {
        switch standing {
        case .held(let record, let eTag):
            state.withLock { state in
                state.record = record
                state.eTag = eTag
                if record == next { state.renewals += 1 }
            }
            if record == next {
                context.logger.debug("sweep lease renewed", metadata: ["run_id": "\(runID)", "expires": "\(JSONCoding.timestamp(record.expiresAt))"])
            }
        case .lost(let winner):
            markLost(.takenBy(winner))
        case .absent:
            markLost(.removed)
        }
    }
}
