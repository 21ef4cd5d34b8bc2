import Foundation

extension S3Client {
    /// `GetObjectLockConfiguration`: whether Object Lock is enabled on `bucket`. Without it no
    /// version in the bucket can carry a retention period or a legal hold, so one request here
    /// spares a HEAD per version when deciding what a sweep may delete.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html>.
    /// - Returns: `false` when the bucket has no Object Lock configuration (AWS answers
    ///   `ObjectLockConfigurationNotFoundError`, as RGW does) or it is not `Enabled`.
    /// - Throws: ``S3Error`` for anything else (`AccessDenied` without
    ///   `s3:GetBucketObjectLockConfiguration`, `NoSuchBucket`).
    public func objectLockEnabled(bucket: String) async throws -> Bool {
        let request = S3Request(operation: "GetObjectLockConfiguration", method: .GET, bucket: bucket,
                                query: [("object-lock", "")])
        do {
            return try await execute(request).xml(request).string("ObjectLockEnabled") == "Enabled"
        } catch let error as S3Error where Self.meansNoLockConfiguration(error) && error.code != .noSuchBucket {
            return false
        }
    }
}
