import Foundation
import Logging
import Retention
import S3

/// Strata's own objects under `.strata/`: the sweep lease (`.strata/lock`), the journal entries
/// and the journals' planned actions. In a versioned bucket every rewrite of the lease or of a
/// journal entry leaves a noncurrent version, and every lease release a delete marker: a few
/// per sweep, for ever. ``removeOldVersions(limit:)`` deletes them (an applying sweep calls it
/// while it holds the lease); ``tally()`` measures what there is, for `strata audit`.
///
/// Only what cannot be read any more goes: noncurrent versions, noncurrent delete markers, and
/// a current delete marker once every other version of its key is gone (then the key has no
/// history left to hide). A current object version is never deleted, so the lease and the
/// journal stay as they are. Everything under `.strata/` is Strata's: policies cannot reach it
/// (``PolicyDirectory``), so a version planted there is removed like Strata's own.
public struct StrataFiles: Sendable {
    /// What is under `.strata/`.
    public struct Tally: Codable, Sendable, Hashable {
        /// Current object versions (the lease, journal entries, planned-action parts).
        public var objects = 0
        /// Their bytes.
        public var bytes: Int64 = 0
        /// Noncurrent versions (versioned buckets).
        public var noncurrentVersions = 0
        /// Their bytes.
        public var noncurrentBytes: Int64 = 0
        /// Delete markers.
        public var deleteMarkers = 0

        /// Nothing counted.
        public init() {}

        /// One line for the audit table.
        public var line: String {
            var parts = ["\(objects) objects (\(PlanTable.formatBytes(bytes)))"]
            if noncurrentVersions > 0 || deleteMarkers > 0 {
                parts.append("\(noncurrentVersions) noncurrent versions (\(PlanTable.formatBytes(noncurrentBytes)))")
                parts.append("\(deleteMarkers) delete markers")
            }
            return "Strata's own files (\(StrataPaths.reservedPrefix)): " + parts.joined(separator: ", ")
        }
    }

    /// The bucket and its client.
    public let context: StrataContext

    /// Creates the view of `context`'s bucket.
    public init(context: StrataContext) { self.context = context }

    /// Counts what is under `.strata/`, one listing of its versions, in constant memory.
    public func tally() async throws -> Tally {
        var tally = Tally()
        for try await page in context.client.listObjectVersions(bucket: context.bucket, prefix: StrataPaths.reservedPrefix) {
            for version in page.versions {
                if version.isDeleteMarker {
                    tally.deleteMarkers += 1
                } else if version.isLatest {
                    tally.objects += 1
                    tally.bytes.saturatingIncrease(by: max(0, version.size))
                } else {
                    tally.noncurrentVersions += 1
                    tally.noncurrentBytes.saturatingIncrease(by: max(0, version.size))
                }
            }
        }
        return tally
    }

    /// Deletes at most `limit` noncurrent versions and delete markers under `.strata/` (see the
    /// type's description for which), a thousand per request, and returns how many went. A
    /// deletion the bucket refuses (object lock, permissions) is logged and left: this is
    /// housekeeping, never a reason for a sweep to fail.
    public func removeOldVersions(limit: Int = 10_000) async -> Int {
        var plan = Removal(limit: limit)
        do {
            for try await page in context.client.listObjectVersions(bucket: context.bucket, prefix: StrataPaths.reservedPrefix) {
                for version in page.versions { plan.consider(version) }
                if plan.isFull { break }
            }
        } catch {
            context.logger.warning("could not list Strata's own files to clean them up", metadata: ["error": "\(error)"])
            return 0
        }
        var removed = 0
        var refused = 0
        var complete = true
        func delete(_ objects: [S3.ObjectIdentifier]) async {
            for batch in objects.chunked(into: 1_000) {
                do {
                    let result = try await context.client.deleteObjects(bucket: context.bucket, objects: batch)
                    removed += result.deleted.count
                    refused += result.failures.count
                } catch {
                    context.logger.warning("could not remove old versions of Strata's own files", metadata: ["error": "\(error)"])
                    complete = false
                    return
                }
            }
        }
        await delete(plan.targets)
        // A current marker goes last, and only when every older version of the bucket's
        // `.strata/` went: one left behind would become current again.
        if complete, refused == 0 { await delete(plan.removableMarkers) }
        if refused > 0 {
            context.logger.warning("some old versions of Strata's own files could not be removed (object lock or permissions?)",
                                   metadata: ["refused": "\(refused)"])
        }
        if removed > 0 {
            context.logger.info("removed old versions of Strata's own files", metadata: ["versions": "\(removed)"])
        }
        return removed
    }

    /// Which versions a cleanup deletes, chosen as the listing goes by.
    struct Removal {
        let limit: Int
        /// The versions to delete, in listing order.
        private(set) var targets: [S3.ObjectIdentifier] = []
        /// Current delete markers (a key's latest entry, so it has no current version), by key,
        /// deleted once the key has nothing else left; at most `limit` are remembered.
        private var currentMarkers: [String: String] = [:]
        /// Whether the limit was reached: then no current marker is deleted, since a noncurrent
        /// version of its key may be among those not listed, and would become current.
        private(set) var isFull = false

        init(limit: Int) { self.limit = max(0, limit) }

        /// Takes one listed version into account.
        mutating func consider(_ version: ObjectVersion) {
            if version.isLatest {
                if version.isDeleteMarker, currentMarkers.count < limit { currentMarkers[version.key] = version.versionID }
                return
            }
            guard targets.count < limit else {
                isFull = true
                return
            }
            targets.append(S3.ObjectIdentifier(key: version.key, versionID: version.versionID))
        }

        /// The current delete markers to delete once ``targets`` are gone: none when the
        /// listing was cut short by the limit, else those of keys without a current version,
        /// within what is left of the limit.
        var removableMarkers: [S3.ObjectIdentifier] {
            guard !isFull else { return [] }
            return currentMarkers
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .prefix(max(0, limit - targets.count))
                .map { S3.ObjectIdentifier(key: $0.key, versionID: $0.value) }
        }
    }
}
