import Foundation
import Logging
import Retention
import S3

extension PlanMaker {
    /// `plan` without the deletions whose object changed since the inventory was taken.
    ///
    /// A sweep from a listing re-lists before deleting. A sweep from an S3 Inventory report
    /// cannot afford to (that is why the report is used), so it checks each object it is about to
    /// delete instead: one HEAD per deletion, which is a day's expiries, not the bucket. An object
    /// whose ETag (or, without one, Last-Modified) differs from the report's is a new object
    /// under an old key and is left alone; one already gone stays in the plan (deleting it is a
    /// no-op).
    public func confirmingDeletions(_ plan: Plan, inventory: Inventory) async throws -> Plan {
        struct Ref: Hashable, Sendable {
            var key: String
            var versionID: String?
        }
        var reported: [Ref: InventoryObject] = [:]
        for object in inventory.objects { reported[Ref(key: object.key, versionID: object.versionID)] = object }
        let refs: [Ref] = plan.actions.compactMap {
            if case .delete(let key, let version, _) = $0 { return Ref(key: key, versionID: version) }
            return nil
        }
        let client = context.client
        let bucket = context.bucket
        let reportedObjects = reported
        let unchanged = try await Self.boundedMap(refs, limit: concurrency) { ref -> Bool in
            try await Self.stillHolds(client: client, bucket: bucket, key: ref.key, versionID: ref.versionID,
                                      reported: reportedObjects[ref].map(ReportedIdentity.init(of:)))
        }
        var confirmed = plan
        confirmed.actions = plan.actions.filter { action in
            guard case .delete(let key, let version, _) = action else { return true }
            if unchanged[Ref(key: key, versionID: version)] == true { return true }
            context.logger.warning("object changed since the inventory report; not deleting it",
                                   metadata: ["key": "\(key)", "version": "\(version ?? "-")"])
            return false
        }
        return confirmed
    }

    /// For each deletion planned from the report (in order): whether its key still holds the
    /// object the report described (``DeletionRef/reported``), by HEAD, as
    /// ``confirmingDeletions(_:inventory:)`` checks; one already gone is "unchanged" (deleting it
    /// is a no-op), one without a reported identity is not.
    func unchangedSinceReport(_ refs: [DeletionRef]) async throws -> [Bool] {
        let client = context.client
        let bucket = context.bucket
        return try await refs.concurrentMap(maxConcurrentTasks: concurrency) { ref -> Bool in
            try await Self.stillHolds(client: client, bucket: bucket, key: ref.key, versionID: ref.versionID, reported: ref.reported)
        }
    }

    /// Whether `key` (at `versionID`) still holds the object the report described as `reported`,
    /// by HEAD. One already gone is unchanged (deleting it is a no-op); one the report did not
    /// describe is not. A delete marker, which a HEAD of its version answers with 405 (S3; RGW
    /// answers 404), holds no data to have changed: its version id names it alone.
    static func stillHolds(client: S3Client, bucket: String, key: String, versionID: String?,
                           reported: ReportedIdentity?) async throws -> Bool {
        do {
            let head = try await client.headObject(bucket: bucket, key: key, versionID: versionID)
            return reported?.matches(eTag: head.eTag, lastModified: head.lastModified) ?? false
        } catch let error as S3Error where error.status == 404 || (error.status == 405 && versionID != nil) {
            return true
        }
    }
}
