import Foundation
import Logging
import S3

/// The bucket-wide sweep lock: an object created only if absent (`If-None-Match: *`), holding
/// who took it and until when. A second sweep finds it and stops; a lock whose holder died is
/// taken over once it has expired.
public struct SweepLock: Sendable {
    /// What the lock object holds.
    public struct Record: Codable, Sendable, Hashable {
        /// `host:pid` of the holder.
        public var holder: String
        /// The holder's sweep run id.
        public var runID: String
        /// When it was taken.
        public var acquiredAt: Date
        /// When it may be taken over.
        public var expiresAt: Date
    }

    /// The record this process wrote.
    public let record: Record
    let context: StrataContext

    /// Takes the lock for `ttl`, or throws ``StrataError`` (`lockHeld`) naming the holder.
    public static func acquire(context: StrataContext, runID: String, ttl: TimeInterval) async throws -> SweepLock {
        let now = context.now()
        let record = Record(holder: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)",
                            runID: runID, acquiredAt: now, expiresAt: now.addingTimeInterval(ttl))
        let body = try JSONCoding.encoder.encode(record)
        var attempt = 0
        var lostAnswers = 0
        while attempt < 2 {
            attempt += 1
            do {
                try await context.client.putObject(bucket: context.bucket, key: StrataPaths.lockKey, body: Array(body),
                                                   options: PutOptions(contentType: "application/json", ifNoneMatch: true))
                context.logger.info("sweep lock taken", metadata: ["run_id": "\(runID)"])
                return SweepLock(record: record, context: context)
            } catch let error as S3TransportError where lostAnswers < 5 {
                // The client does not resend a conditional create after a lost answer: the
                // create may have happened. The lock itself says whether it did.
                lostAnswers += 1
                let held = try await current(context: context)
                if held?.runID == runID { return SweepLock(record: record, context: context) }
                if let held { throw StrataError(.lockHeld, Self.heldMessage(context: context, held)) }
                context.logger.warning("no answer to the lock request; trying again", metadata: ["error": "\(error)"])
                attempt -= 1  // nothing was created: this attempt does not count
            } catch let error as S3Error where error.status == 412 || error.code == "PreconditionFailed" {
                let held = try await current(context: context)
                if held?.runID == runID { return SweepLock(record: record, context: context) }
                guard let held, held.expiresAt > now else {
                    guard attempt == 1 else { break }
                    // Expired (or unreadable) lock: its holder is gone. Delete and race for it
                    // once more; the conditional create lets only one contender win.
                    context.logger.warning("taking over an expired sweep lock", metadata: [
                        "holder": "\(held?.holder ?? "unknown")", "expired": "\(held.map { JSONCoding.timestamp($0.expiresAt) } ?? "?")"])
                    try await context.client.deleteObject(bucket: context.bucket, key: StrataPaths.lockKey)
                    continue
                }
                throw StrataError(.lockHeld, heldMessage(context: context, held))
            }
        }
        throw StrataError(.lockHeld, "could not take the sweep lock on s3://\(context.bucket)/\(StrataPaths.lockKey): another sweep took it first")
    }

    static func heldMessage(context: StrataContext, _ held: Record?) -> String {
        guard let held else { return "the sweep lock on s3://\(context.bucket)/\(StrataPaths.lockKey) is held" }
        return "another sweep holds the lock on s3://\(context.bucket)/\(StrataPaths.lockKey): \(held.holder), run \(held.runID), since \(JSONCoding.timestamp(held.acquiredAt)), expires \(JSONCoding.timestamp(held.expiresAt))"
    }

    /// The lock's current record, `nil` if there is none or it cannot be read as one.
    public static func current(context: StrataContext) async throws -> Record? {
        do {
            let object = try await context.client.getObject(bucket: context.bucket, key: StrataPaths.lockKey)
            return try? JSONCoding.decoder.decode(Record.self, from: Data(object.body))
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// Releases the lock if it is still this process's.
    public func release() async {
        do {
            if let held = try await Self.current(context: context), held.runID == record.runID {
                try await context.client.deleteObject(bucket: context.bucket, key: StrataPaths.lockKey)
            }
        } catch {
            context.logger.error("could not release the sweep lock; it expires by itself",
                                 metadata: ["expires": "\(JSONCoding.timestamp(record.expiresAt))", "error": "\(error)"])
        }
    }
}

/// JSON as Strata writes it: ISO 8601 dates, sorted keys, so files diff cleanly.
public enum JSONCoding {
    /// Encoder with ISO 8601 dates and sorted keys.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
    /// Decoder with ISO 8601 dates.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
    /// `2026-11-25T10:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
