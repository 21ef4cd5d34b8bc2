import Crypto
import Foundation

/// Checks downloaded bytes against what S3 says they should be.
///
/// For single-part objects the ETag is the content's MD5 (unless SSE-KMS/SSE-C, which backups
/// here do not use); multipart ETags are not content hashes, so those objects are verified
/// against the SHA-256 Strata records in their metadata (`strata-sha256`) when present.
enum IntegrityCheck {
    /// Metadata key holding the hex SHA-256 of the whole object, written by Strata's uploads.
    static let sha256MetadataKey = "strata-sha256"

    static func verify(bytes: [UInt8], head: ObjectHead, request: S3Request) throws {
        if let expected = head.metadata[sha256MetadataKey] {
            let actual = Digests.hex(SHA256.hash(data: bytes))
            guard actual == expected.lowercased() else {
                throw mismatch(request, "SHA-256 \(actual) differs from the recorded \(expected)")
            }
            return
        }
        guard !head.eTag.isEmpty, !ETag.isMultipart(head.eTag), head.eTag.count == 32 else { return }
        let actual = Digests.hex(Insecure.MD5.hash(data: bytes))
        guard actual == head.eTag.lowercased() else {
            throw mismatch(request, "MD5 \(actual) differs from the ETag \(head.eTag)")
        }
    }

    static func mismatch(_ request: S3Request, _ detail: String) -> S3TransportError {
        S3TransportError(kind: .integrity, operation: request.operation, bucket: request.bucket,
                         key: request.key, detail: detail)
    }
}
