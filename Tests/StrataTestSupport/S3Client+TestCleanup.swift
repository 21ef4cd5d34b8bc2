import S3

extension S3Client {
    /// Removes a test bucket whatever it holds: aborts its uploads, deletes every version and
    /// delete marker (bypassing GOVERNANCE locks the test placed), then the bucket.
    public func emptyAndDeleteBucket(_ bucket: String) async throws {
        for upload in try await listMultipartUploads(bucket: bucket) {
            try await abortMultipartUpload(bucket: bucket, key: upload.key, uploadID: upload.uploadID)
        }
        for try await page in listObjectVersions(bucket: bucket) {
            let ids = page.versions.map { ObjectIdentifier(key: $0.key, versionID: $0.versionID) }
            for start in stride(from: 0, to: ids.count, by: 1000) {
                _ = try await deleteObjects(bucket: bucket, objects: Array(ids[start..<min(start + 1000, ids.count)]),
                                            bypassGovernanceRetention: true)
            }
        }
        try await deleteBucket(bucket)
    }
}
