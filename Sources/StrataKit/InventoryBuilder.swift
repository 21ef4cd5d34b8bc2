import Foundation
import Logging
import Retention
import S3

/// Builds the planner's ``Inventory`` from the bucket: every object (or, in a versioned
/// bucket, every version and delete marker) under the policies' prefixes, and the incomplete
/// multipart uploads there.
public struct InventoryBuilder: Sendable {
    /// The context to list through.
    public let context: StrataContext

    /// Creates a builder.
    public init(context: StrataContext) { self.context = context }

    /// Lists the bucket under each policy's prefix (only `components`, when given).
    public func build(policies: [Policy]) async throws -> Inventory {
        var objects: [InventoryObject] = []
        let uploads = try await list(policies: policies) { objects.append($0) }
        return Inventory(objects: objects, uploads: uploads)
    }

    /// Lists the bucket into `spool` (the objects) and returns the incomplete uploads: a
    /// listing of any size in memory that does not grow with it.
    /// `observe` sees each object as it is spooled (the streaming planner's pass one tallies it
    /// there). `versioned` is whether the bucket is versioned, when the caller has just asked
    /// (`nil`: ask).
    public func spool(policies: [Policy], into spool: ObjectSpool, versioned: Bool? = nil,
                      observe: @escaping (InventoryObject) -> Void = { _ in }) async throws -> [MultipartUploadRecord] {
        let uploads = try await list(policies: policies, versioned: versioned) { object in
            try spool.append(object)
            observe(object)
        }
        try spool.finish()
        return uploads
    }

    /// Hands every object (every version and delete marker, in a versioned bucket) under the
    /// policies' prefixes to `take`, page by page, and returns the incomplete uploads there.
    private func list(policies: [Policy], versioned known: Bool? = nil,
                      _ take: (InventoryObject) throws -> Void) async throws -> [MultipartUploadRecord] {
        let client = context.client
        let bucket = context.bucket
        let versioned: Bool
        if let known { versioned = known } else { versioned = try await Self.isVersioned(client: client, bucket: bucket) }
        var count = 0
        var uploads: [MultipartUploadRecord] = []
        for policy in policies {
            if versioned {
                for try await page in client.listObjectVersions(bucket: bucket, prefix: policy.prefix) {
                    for version in Self.keyRuns(page.versions) { try take(Self.object(from: version)) }
                    count += page.versions.count
                }
            } else {
                for try await page in client.listObjects(bucket: bucket, prefix: policy.prefix) {
                    for summary in page.objects { try take(Self.object(from: summary)) }
                    count += page.objects.count
                }
            }
            uploads += try await client.listMultipartUploads(bucket: bucket, prefix: policy.prefix).map {
                MultipartUploadRecord(key: $0.key, uploadID: $0.uploadID, initiated: $0.initiated)
            }
        }
        context.logger.info("listed bucket", metadata: [
            "bucket": "\(bucket)", "objects": "\(count)", "uploads": "\(uploads.count)",
            "versioned": "\(versioned)"])
        return uploads
    }

    /// A page of versions with each key's versions together, in key order: some servers (moto)
    /// give a page's versions first and its delete markers after, where S3 interleaves them by
    /// key. The streaming planner judges a key's versions as one run. A stable sort by the
    /// keys' bytes: the versions of one key keep their order, and the pages, which continue from
    /// the last key and version given, stay in key order.
    static func keyRuns(_ versions: [ObjectVersion]) -> [ObjectVersion] { KeyRuns.sorted(versions, key: \.key) }

    /// Whether versioning is (or was) on: then deletes must name versions to free storage.
    static func isVersioned(client: S3Client, bucket: String) async throws -> Bool {
        let status = try await client.getBucketVersioning(bucket)
        return status == "Enabled" || status == "Suspended"
    }

    static func object(from summary: ObjectSummary) -> InventoryObject {
        InventoryObject(key: summary.key, size: summary.size, lastModified: summary.lastModified,
                        storageClass: StorageClass(rawValue: summary.storageClass), eTag: summary.eTag,
                        versionID: nil, isLatest: true, isDeleteMarker: false, tags: nil, objectLock: nil)
    }

    static func object(from version: ObjectVersion) -> InventoryObject {
        InventoryObject(key: version.key, size: version.size, lastModified: version.lastModified,
                        storageClass: StorageClass(rawValue: version.storageClass), eTag: version.eTag,
                        versionID: version.versionID, isLatest: version.isLatest,
                        isDeleteMarker: version.isDeleteMarker, tags: nil, objectLock: nil)
    }
}
