import Foundation

extension S3Client {
    /// Moves an object to another storage class in place, keeping its content, user metadata,
    /// tags, content headers (`Content-Type`, `Cache-Control`, `Content-Encoding`,
    /// `Content-Disposition`, `Content-Language`, `Expires`) and server-side encryption (SSE-S3,
    /// SSE-KMS with its key and Bucket Key setting, DSSE-KMS): `CopyObject` up to the
    /// multipart-copy threshold (5 GiB, S3's limit), `UploadPartCopy` in parallel above it.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html> and
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html>.
    ///
    /// Either way the object is replaced atomically when the copy completes: until then the old
    /// object is untouched, and a failed multipart copy is aborted. Every part is pinned to the
    /// source's ETag, so an object rewritten meanwhile fails the copy instead of mixing versions.
    ///
    /// A server that refuses the in-place copy because only the storage class changes (SeaweedFS;
    /// MinIO had the same bug) gets the copy again with the metadata replaced by HEAD's, which
    /// must then leave the same bytes: same ETag or same stored checksum, else
    /// ``TransferError/copyNotIdentical(key:detail:)``.
    ///
    /// Throws ``CopyRefusal``, before writing anything, for an object the copy could not keep as
    /// it is: one encrypted with a customer-provided key (SSE-C), or whose HEAD reports a value to
    /// send again that cannot be sent (see ``ObjectHead/copyOptions(key:)``).
    @discardableResult
    public func transition(bucket: String, key: String, to storageClass: String,
                           head knownHead: ObjectHead? = nil) async throws -> PutResult {
        let head: ObjectHead
        if let knownHead { head = knownHead } else { head = try await headObject(bucket: bucket, key: key) }
        guard head.contentLength > configuration.transfer.multipartCopyThreshold else {
            return try await transitionByCopy(bucket: bucket, key: key, to: storageClass, head: head)
        }
        return try await transitionInParts(bucket: bucket, key: key, to: storageClass, head: head)
    }

    /// One `CopyObject` onto the key with the `COPY` directives, which keep metadata, content
    /// headers and tags; S3 encrypts a copy with the bucket's default unless the request names
    /// the object's own encryption. A server that refuses the in-place copy gets one that
    /// replaces the metadata instead (``transitionByReplacingCopy(bucket:key:to:head:)``).
    private func transitionByCopy(bucket: String, key: String, to storageClass: String,
                                  head: ObjectHead) async throws -> PutResult {
        let encryption = try ServerSideEncryption(head: head, key: key)
        do {
            return try await copyObject(sourceBucket: bucket, sourceKey: key, bucket: bucket, key: key,
                                        storageClass: storageClass, ifMatchETag: head.eTag.isEmpty ? nil : head.eTag,
                                        serverSideEncryption: encryption)
        } catch let error as S3Error where error.code == .invalidRequest {
            // S3 refuses a copy onto itself that changes nothing: a retry whose first
            // attempt, answer lost, already moved the object.
            if let now = try await headObjectIfExists(bucket: bucket, key: key), now.storageClass == storageClass,
               now.eTag == head.eTag {
                return PutResult(eTag: now.eTag, versionID: now.versionID)
            }
            // SeaweedFS (and MinIO before minio/minio#9357) refuses, in a bucket without
            // versioning, a copy onto the same key that changes only the storage class.
            logger.notice("the server refused the in-place storage-class copy; copying with the metadata replaced",
                          metadata: ["key": "\(key)", "storage_class": "\(storageClass)", "error": "\(error.code)"])
            return try await transitionByReplacingCopy(bucket: bucket, key: key, to: storageClass, head: head)
        }
    }

    /// The in-place copy with `x-amz-metadata-directive: REPLACE`: the user metadata, content
    /// headers and encryption are sent again from HEAD (checked like a multipart copy's, see
    /// ``ObjectHead/copyOptions(key:)``), the tags are copied and set again if the server lost
    /// them, and the result must be byte-identical to what was there (``CopyIdentity``).
    private func transitionByReplacingCopy(bucket: String, key: String, to storageClass: String,
                                           head: ObjectHead) async throws -> PutResult {
        let options = try head.copyOptions(key: key)
        let tags = try await getObjectTagging(bucket: bucket, key: key)
        // The checksum the server stored is the content's fingerprint once the ETag changes.
        let before = try await headObject(bucket: bucket, key: key, checksumMode: true)
        let result = try await copyObject(sourceBucket: bucket, sourceKey: key, bucket: bucket, key: key,
                                          storageClass: storageClass, ifMatchETag: head.eTag.isEmpty ? nil : head.eTag,
                                          replacing: options)
        let after = try await headObject(bucket: bucket, key: key, checksumMode: true)
        try CopyIdentity.check(before: before, after: after, key: key)
        if !tags.isEmpty, try await getObjectTagging(bucket: bucket, key: key) != tags {
            try await putObjectTagging(bucket: bucket, key: key, tags: tags)
        }
        return result
    }

    /// Above the multipart-copy threshold: `UploadPartCopy` in parallel into a new upload that
    /// carries the object's options and tags.
    private func transitionInParts(bucket: String, key: String, to storageClass: String,
                                   head: ObjectHead) async throws -> PutResult {
        var options = try head.copyOptions(key: key)
        let tags = try await getObjectTagging(bucket: bucket, key: key)
        options.storageClass = storageClass
        options.tags = tags
        let uploadID = try await createMultipartUpload(bucket: bucket, key: key, options: options)
        do {
            let parts = try await copyParts(bucket: bucket, key: key, uploadID: uploadID, head: head,
                                            partSize: max(configuration.transfer.copyPartSize, 5 * 1024 * 1024))
            let result = try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts)
            // Ceph RGW ignores x-amz-tagging on CreateMultipartUpload: set the tags again, so a
            // `strata-hold` tag can never be lost by a transition.
            if !tags.isEmpty, try await getObjectTagging(bucket: bucket, key: key) != tags {
                try await putObjectTagging(bucket: bucket, key: key, tags: tags)
            }
            return result
        } catch {
            await abortQuietly(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    private func copyParts(bucket: String, key: String, uploadID: String, head: ObjectHead,
                           partSize: Int64) async throws -> [UploadedPart] {
        let size = head.contentLength
        let count = Int((size + partSize - 1) / partSize)
        let concurrency = max(1, configuration.transfer.concurrency)
        return try await withThrowingTaskGroup(of: UploadedPart.self) { group in
            var next = 0
            var parts: [UploadedPart] = []
            func addPart(_ index: Int) {
                let start = Int64(index) * partSize
                let end = min(start + partSize, size) - 1
                group.addTask {
                    try await self.uploadPartCopy(bucket: bucket, key: key, uploadID: uploadID, partNumber: index + 1,
                                                  sourceBucket: bucket, sourceKey: key, range: start...end,
                                                  ifMatchETag: head.eTag.isEmpty ? nil : head.eTag)
                }
            }
            while next < min(concurrency, count) { addPart(next); next += 1 }
            while let part = try await group.next() {
                parts.append(part)
                if next < count { addPart(next); next += 1 }
            }
            return parts.sorted { $0.partNumber < $1.partNumber }
        }
    }
}
