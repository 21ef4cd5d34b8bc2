import Foundation

extension SweepLease {
    /// What acquiring does about what `.strata/lock` holds.
    public enum AcquireStep: Sendable, Hashable {
        /// No lease: create one, only if still absent (`If-None-Match: *`).
        case create
        /// An expired (or unreadable) lease: its holder is gone or stuck. Replace exactly the
        /// version read (`If-Match`), so of two contenders only the first write lands.
        case takeOver(eTag: String)
        /// Our own run's record already (a create whose answer was lost landed after all):
        /// nothing to write, only to confirm.
        case confirm
        /// Another run's live lease: stop without writing anything.
        case refuse(Record)
    }

    /// Where we stand, judged from the record read back after a write or at a fence check.
    public enum Standing: Sendable, Hashable {
        /// The record holds our run id.
        case held(Record, eTag: String)
        /// Another run's record, or one that cannot be read (`nil`): someone else wrote last.
        case lost(to: Record?)
        /// No lease at all: it was released or removed (`strata unlock`).
        case absent
    }

    /// The acquire rule: pure, so the table of cases is tested without a server.
    public static func step(for observed: Observed?, runID: String, now: Date) -> AcquireStep {
        guard let observed else { return .create }
        guard let record = observed.record else { return .takeOver(eTag: observed.eTag) }
        if record.runID == runID { return .confirm }
        return record.hasExpired(at: now) ? .takeOver(eTag: observed.eTag) : .refuse(record)
    }

    /// The read-back and fence rule: only a record with our run id means we hold the lease.
    public static func standing(of observed: Observed?, runID: String) -> Standing {
        guard let observed else { return .absent }
        guard let record = observed.record, record.runID == runID else { return .lost(to: observed.record) }
        return .held(record, eTag: observed.eTag)
    }
}
