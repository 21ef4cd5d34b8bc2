import Foundation

extension S3Client {
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
            for upload in try await listMultipartUploads(bucket: bucket, prefix: key)
            where upload.key == key && upload.uploadID != uploadID && upload.initiated >= since {
                try await abortMultipartUpload(bucket: bucket, key: key, uploadID: upload.uploadID)
                logger.notice("aborted an upload left by a late CreateMultipartUpload", metadata: ["key": "\(key)"])
            }
        } catch {
            logger.warning("could not look for uploads left by a late CreateMultipartUpload",
                           metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }
}
