import Foundation
import NIOHTTP1

extension S3Client {
    /// `CreateBucket` (for tests and the demo), optionally with object lock enabled (which
    /// also turns on versioning). See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>.
    public func createBucket(_ bucket: String, objectLockEnabled: Bool = false) async throws {
        var headers = HTTPHeaders()
        if objectLockEnabled { headers.add(name: "x-amz-bucket-object-lock-enabled", value: "true") }
        var body = S3RequestBody.empty
        if configuration.region != "us-east-1" {
            var writer = XMLWriter()
            writer.element("CreateBucketConfiguration", namespace: true) { xml in
                xml.element("LocationConstraint", text: configuration.region)
            }
            body = .text(writer.output)
        }
        _ = try await execute(S3Request(operation: "CreateBucket", method: .PUT, bucket: bucket,
                                        headers: headers, body: body))
    }

    /// `DeleteBucket`; the bucket must be empty.
    public func deleteBucket(_ bucket: String) async throws {
        _ = try await execute(S3Request(operation: "DeleteBucket", method: .DELETE, bucket: bucket))
    }

    /// `HeadBucket`: succeeds when the bucket exists and is readable.
    public func headBucket(_ bucket: String) async throws {
        _ = try await execute(S3Request(operation: "HeadBucket", method: .HEAD, bucket: bucket))
    }

    /// `PutBucketVersioning` to `Enabled` or `Suspended`.
    public func putBucketVersioning(_ bucket: String, enabled: Bool) async throws {
        var writer = XMLWriter()
        writer.element("VersioningConfiguration", namespace: true) { xml in
            xml.element("Status", text: enabled ? "Enabled" : "Suspended")
        }
        _ = try await execute(S3Request(operation: "PutBucketVersioning", method: .PUT, bucket: bucket,
                                        query: [("versioning", "")], body: .text(writer.output)))
    }

    /// `GetBucketVersioning`: `Enabled`, `Suspended`, or `nil` for never enabled.
    public func getBucketVersioning(_ bucket: String) async throws -> String? {
        let request = S3Request(operation: "GetBucketVersioning", method: .GET, bucket: bucket,
                                query: [("versioning", "")])
        return try await execute(request).xml(request).string("Status")
    }
}
