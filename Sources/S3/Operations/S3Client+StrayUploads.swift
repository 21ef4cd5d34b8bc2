import Foundation

extension S3Client {
    /// Aborts the incomplete uploads of exactly `key` started at or after `since`, except
    /// `keeping`: what a `CreateMultipartUpload` whose answer was lost may have created.
    /// Returns how many were aborted.
    @discardableResult
    func abortUploads(bucket: String, key: String, startedSince since: Date, keeping: String? = nil) async throws -> Int {
        var aborted = 0
        for upload in try await listMultipartUploads(bucket: bucket, prefix: key)
        where upload.key == key && upload.uploadID != keeping && upload.initiated >= since {
            try await abortMultipartUpload(bucket: bucket, key: key, uploadID: upload.uploadID)
            aborted += 1
        }
        return aborted
    }

    /// After `uploadID` was completed or aborted: if its create needed a retry after an ambiguous
    /// failure, aborts the other uploads of `key` started since the first attempt: a late
    /// arrival of that attempt, which nobody else holds. Best effort: a failure is logged, since
    /// the object itself is fine and lifecycle `AbortIncompleteMultipartUpload` or the sweep's
    /// stale-upload abort remove leftovers later.
    ///
    /// An attempt that reaches the server even later than this cleanup is not caught here.
    func abortStrayUploads(bucket: String, key: String, keeping uploadID: String) async {
        guard let since = lostCreates.take(uploadID: uploadID) else { return }
        do {
            let aborted = try await abortUploads(bucket: bucket, key: key, startedSince: since, keeping: uploadID)
            if aborted > 0 {
                logger.notice("aborted uploads left by a late CreateMultipartUpload", metadata: ["key": "\(key)", "uploads": "\(aborted)"])
            }
        } catch {
            logger.warning("could not look for uploads left by a late CreateMultipartUpload",
                           metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }
}
