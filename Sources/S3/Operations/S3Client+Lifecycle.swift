import Foundation

extension S3Client {
    /// `GetBucketLifecycleConfiguration`, or `nil` when the bucket has none.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html>.
    public func getBucketLifecycle(_ bucket: String) async throws -> LifecycleConfiguration? {
        let request = S3Request(operation: "GetBucketLifecycleConfiguration", method: .GET, bucket: bucket,
                                query: [("lifecycle", "")])
        do {
            return LifecycleConfiguration(xml: try await execute(request).xml(request))
        } catch let error as S3Error where error.code == .noSuchLifecycleConfiguration {
            return nil
        }
    }

    /// `PutBucketLifecycleConfiguration` (replaces the whole configuration).
    public func putBucketLifecycle(_ bucket: String, configuration: LifecycleConfiguration) async throws {
        _ = try await execute(S3Request(operation: "PutBucketLifecycleConfiguration", method: .PUT, bucket: bucket,
                                        query: [("lifecycle", "")], body: .text(configuration.xml)))
    }

    /// `DeleteBucketLifecycle`.
    public func deleteBucketLifecycle(_ bucket: String) async throws {
        _ = try await execute(S3Request(operation: "DeleteBucketLifecycle", method: .DELETE, bucket: bucket,
                                        query: [("lifecycle", "")]))
    }
}
