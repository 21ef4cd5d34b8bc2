import Foundation
import S3
import StrataTestSupport
import Testing

/// Pagination as an `AsyncSequence` and batch deletes, on more keys than one page or batch holds.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct ListingAndBatchDeleteTests {
    /// Puts `count` small objects named `prefix%05d`, 16 at a time.
    static func seed(_ bucket: TestBucket, count: Int, prefix: String) async throws -> [String] {
        let keys = (0..<count).map { String(format: "\(prefix)%05d", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let key = keys[next]
                next += 1
                group.addTask { try await bucket.client.putObject(bucket: bucket.name, key: key, body: Array(key.utf8)) }
            }
            for _ in 0..<min(16, keys.count) { add() }
            while try await group.next() != nil { if next < keys.count { add() } }
        }
        return keys
    }

    @Test func listsAndDeletesMoreThanOnePageAndBatch() async throws {
        try await TestBucket.with(.rgw, purpose: "paging") { bucket in
            let keys = try await Self.seed(bucket, count: 1_003, prefix: "many/")
            var pages = 0
            var listed: [String] = []
            for try await page in bucket.client.listObjects(bucket: bucket.name, prefix: "many/") {
                pages += 1
                listed += page.objects.map(\.key)
            }
            #expect(pages == 2)
            #expect(listed == keys)

            let small = try await bucket.client.listObjects(bucket: bucket.name, prefix: "many/", pageSize: 100)
                .reduce(into: 0) { count, page in count += page.objects.count }
            #expect(small == 1_003)

            let ids = keys.map { ObjectIdentifier(key: $0) }
            let first = try await bucket.client.deleteObjects(bucket: bucket.name, objects: Array(ids[..<1000]))
            #expect(first.deleted.count == 1000)
            #expect(first.failures.isEmpty)
            #expect(try await bucket.keys() == Array(keys[1000...]))
            await #expect(throws: (any Error).self) {
                _ = try await bucket.client.deleteObjects(bucket: bucket.name, objects: ids + ids)
            }
        }
    }

    @Test func delimiterRollsUpPrefixesAndStartAfterSkips() async throws {
        try await TestBucket.with(.rgw, purpose: "delimiter") { bucket in
            for key in ["a/1", "a/2", "b/1", "c", "d"] {
                try await bucket.client.putObject(bucket: bucket.name, key: key, body: [0])
            }
            let page = try await bucket.client.listObjectsPage(bucket: bucket.name, delimiter: "/")
            #expect(page.commonPrefixes == ["a/", "b/"])
            #expect(page.objects.map(\.key) == ["c", "d"])
            let after = try await bucket.client.listObjectsPage(bucket: bucket.name, startAfter: "b/1")
            #expect(after.objects.map(\.key) == ["c", "d"])
        }
    }

    @Test func versionsAndDeleteMarkersAreListed() async throws {
        try await TestBucket.with(.rgw, purpose: "versions") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            #expect(try await bucket.client.getBucketVersioning(bucket.name) == "Enabled")
            try await bucket.client.putObject(bucket: bucket.name, key: "v", body: [1])
            try await bucket.client.putObject(bucket: bucket.name, key: "v", body: [2, 2])
            try await bucket.client.deleteObject(bucket: bucket.name, key: "v")
            var entries: [ObjectVersion] = []
            for try await page in bucket.client.listObjectVersions(bucket: bucket.name) { entries += page.versions }
            #expect(entries.count == 3)
            #expect(entries.filter(\.isDeleteMarker).count == 1)
            #expect(entries.first { $0.isLatest }?.isDeleteMarker == true)
            #expect(Set(entries.filter { !$0.isDeleteMarker }.map(\.size)) == [1, 2])
            #expect(try await bucket.keys().isEmpty)
        }
    }
}
