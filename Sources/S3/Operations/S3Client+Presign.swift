import Foundation
import SigV4

extension S3Client {
    /// A presigned URL for `method` on an object, valid for `expires` (1 s to 7 days).
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.
    public func presignedURL(method: String, bucket: String, key: String, expires: Duration) async throws -> String {
        let target = configuration.target(bucket: bucket, key: key, query: [])
        let signer = Signer(credentials: try await credentials.credentials(), region: configuration.region,
                            service: "s3", keyCache: signingKeys)
        let date = now().addingTimeInterval(clockCorrection.seconds)
        let presigned = try signer.presign(method: method, host: target.host, path: target.path, query: target.query,
                                           expires: expires, date: date)
        return "\(configuration.resolvedEndpoint.scheme)://\(target.host)\(target.path)?\(presigned.query)"
    }
}
