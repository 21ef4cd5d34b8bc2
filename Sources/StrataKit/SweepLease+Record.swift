import Foundation
import S3

extension SweepLease {
    /// What `.strata/lock` holds. The fields are those of the sweep lock older Strata versions
    /// wrote, so a lock left by one is read (and, once expired, taken over) as a lease.
    public struct Record: Codable, Sendable, Hashable {
        /// `host:pid` of the holder.
        public var holder: String
        /// The holder's sweep run id: what fencing compares.
        public var runID: String
        /// When the holder first took it.
        public var acquiredAt: Date
        /// Until when it holds; renewals move this forward, and past it anyone may take it over.
        public var expiresAt: Date

        /// A record.
        public init(holder: String, runID: String, acquiredAt: Date, expiresAt: Date) {
            self.holder = holder
            self.runID = runID
            self.acquiredAt = acquiredAt
            self.expiresAt = expiresAt
        }

        /// A record for `holder` and `runID` taken or renewed at `now` for `ttl` seconds. Times
        /// are whole seconds, as the JSON keeps them, so a record read back equals the one written.
        init(holder: String, runID: String, acquiredAt: Date, now: Date, ttl: TimeInterval) {
            func whole(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }
            self.init(holder: holder, runID: runID, acquiredAt: whole(acquiredAt), expiresAt: whole(now.addingTimeInterval(ttl)))
        }

        /// Whether it may be taken over at `now`.
        public func hasExpired(at now: Date) -> Bool { expiresAt <= now }

        /// `host:pid, run R, since T, expires T` for messages.
        public var summary: String {
            "\(holder), run \(runID), since \(JSONCoding.timestamp(acquiredAt)), expires \(JSONCoding.timestamp(expiresAt))"
        }
    }

    /// The lease object as one GET saw it: its record (`nil` when the object is not a record
    /// Strata can read) and its ETag, which a takeover or a renewal names in `If-Match`.
    public struct Observed: Sendable, Hashable {
        /// The record, if the object holds one.
        public var record: Record?
        /// The object's ETag, without quotes.
        public var eTag: String

        /// An observation.
        public init(record: Record?, eTag: String) {
            self.record = record
            self.eTag = eTag
        }
    }

    /// The lease object, or `nil` when there is none. One larger than `ReadLimits.lease` is not
    /// read: like any body that is not a record, it is a lease nobody holds (taken over by its ETag).
    public static func read(context: StrataContext) async throws -> Observed? {
        do {
            let object = try await context.client.getObject(bucket: context.bucket, key: StrataPaths.lockKey,
                                                            maxBytes: context.readLimits.lease)
            return Observed(record: try? JSONCoding.decoder.decode(Record.self, from: Data(object.body)),
                            eTag: object.head.eTag)
        } catch let error as ObjectTooLargeError {
            context.logger.warning("the sweep lease object is not a lease record (too large); treating it as expired",
                                   metadata: ["size": "\(error.size.map(String.init) ?? "unknown")"])
            return Observed(record: nil, eTag: error.head.eTag)
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// The lease's current record, `nil` if there is none or it cannot be read as one.
    public static func current(context: StrataContext) async throws -> Record? {
        try await read(context: context)?.record
    }

    /// Removes the lease whoever holds it (`strata unlock`) and returns what it held, `nil` when
    /// there was none. A sweep still running under it stops at its next fence check.
    public static func remove(context: StrataContext) async throws -> Observed? {
        guard let observed = try await read(context: context) else { return nil }
        try await context.client.deleteObject(bucket: context.bucket, key: StrataPaths.lockKey)
        context.logger.notice("sweep lease removed", metadata: [
            "holder": "\(observed.record?.holder ?? "unknown")", "run_id": "\(observed.record?.runID ?? "unknown")"])
        return observed
    }

    /// `s3://bucket/.strata/lock`, for messages.
    static func location(_ context: StrataContext) -> String { "s3://\(context.bucket)/\(StrataPaths.lockKey)" }
}
