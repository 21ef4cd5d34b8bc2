import Foundation
import S3
import StrataTestSupport
import Testing

/// Glacier semantics (moto), object lock and lifecycle configuration (RGW).
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct ArchiveAndLockTests {
    @Test func archivedObjectNeedsRestoreThenReads() async throws {
        try await TestBucket.with(.moto, purpose: "glacier") { bucket in
            let body = Array("archived backup".utf8)
            try await bucket.client.putObject(bucket: bucket.name, key: "cold", body: body,
                                              options: PutOptions(storageClass: "GLACIER"))
            let before = try await bucket.client.headObject(bucket: bucket.name, key: "cold")
            #expect(before.storageClass == "GLACIER")
            #expect(before.restore == nil)
            #expect(before.needsRestore(at: Date()))
            let error = await #expect(throws: S3Error.self) {
                _ = try await bucket.client.getObject(bucket: bucket.name, key: "cold")
            }
            #expect(error?.code == .invalidObjectState)

            let outcome = try await bucket.client.restoreObject(bucket: bucket.name, key: "cold", days: 2, tier: .bulk)
            #expect(outcome == .started)
            let after = try await bucket.client.headObject(bucket: bucket.name, key: "cold")
            let restore = try #require(after.restore)
            #expect(!restore.ongoing)
            #expect((restore.expiry ?? .distantPast) > Date())
            #expect(!after.needsRestore(at: Date()))
            #expect(try await bucket.client.getObject(bucket: bucket.name, key: "cold").body == body)
        }
    }

    @Test func lockedVersionCannotBeDeleted() async throws {
        try await TestBucket.with(.rgw, purpose: "lock", objectLock: true) { bucket in
            let put = try await bucket.client.putObject(bucket: bucket.name, key: "locked", body: Array("keep me".utf8))
            let version = try #require(put.versionID)
            let until = Date().addingTimeInterval(3600)
            try await bucket.client.putObjectRetention(bucket: bucket.name, key: "locked",
                                                       retention: ObjectRetention(mode: "GOVERNANCE", retainUntil: until),
                                                       versionID: version)
            let retention = try #require(try await bucket.client.getObjectRetention(bucket: bucket.name, key: "locked",
                                                                                     versionID: version))
            #expect(retention.mode == "GOVERNANCE")
            #expect(abs(retention.retainUntil.timeIntervalSince(until)) < 2)

            let error = await #expect(throws: S3Error.self) {
                try await bucket.client.deleteObject(bucket: bucket.name, key: "locked", versionID: version)
            }
            #expect(error?.code == .accessDenied)
            #expect(error?.status == 403)
            let batch = try await bucket.client.deleteObjects(
                bucket: bucket.name, objects: [ObjectIdentifier(key: "locked", versionID: version)])
            #expect(batch.failures.map(\.code) == [.accessDenied])
            #expect(batch.deleted.isEmpty)
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: "locked", versionID: version).contentLength == 7)

            #expect(try await bucket.client.getObjectLegalHold(bucket: bucket.name, key: "locked", versionID: version) == false)
            try await bucket.client.putObjectLegalHold(bucket: bucket.name, key: "locked", on: true, versionID: version)
            #expect(try await bucket.client.getObjectLegalHold(bucket: bucket.name, key: "locked", versionID: version))
            try await bucket.client.putObjectLegalHold(bucket: bucket.name, key: "locked", on: false, versionID: version)
        }
    }

    @Test func lifecycleConfigurationRoundTrips() async throws {
        try await TestBucket.with(.rgw, purpose: "lifecycle") { bucket in
            #expect(try await bucket.client.getBucketLifecycle(bucket.name) == nil)
            let configuration = LifecycleConfiguration(rules: [
                LifecycleRule(id: "falkordb", prefix: "falkordb/", expirationDays: 7, abortIncompleteUploadDays: 7),
                LifecycleRule(id: "vault", prefix: "vault/",
                              transitions: [.init(days: 30, storageClass: "GLACIER")], expirationDays: 90),
            ])
            try await bucket.client.putBucketLifecycle(bucket.name, configuration: configuration)
            let read = try #require(try await bucket.client.getBucketLifecycle(bucket.name))
            #expect(read.rules.map(\.id).sorted() == ["falkordb", "vault"])
            let vault = try #require(read.rules.first { $0.id == "vault" })
            #expect(vault.prefix == "vault/")
            #expect(vault.transitions == [.init(days: 30, storageClass: "GLACIER")])
            #expect(vault.expirationDays == 90)
            try await bucket.client.deleteBucketLifecycle(bucket.name)
            #expect(try await bucket.client.getBucketLifecycle(bucket.name) == nil)
        }
    }
}
