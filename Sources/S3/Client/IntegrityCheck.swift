import Crypto
import Foundation

/// Checks downloaded bytes against what S3 says they should be.
///
/// Objects Strata uploaded carry a ``ContentChecksum`` in their metadata, which is checked
/// first (it covers multipart objects, whose ETag is not a content hash). Otherwise a
/// single-part object's ETag is the content's MD5 (unless SSE-KMS/SSE-C, which backups here
/// do not use).
enum IntegrityCheck {
    static func verify(bytes: [UInt8], head: ObjectHead, request: S3Request) throws {
        if let recorded = ContentChecksum(metadata: head.metadata) {
            let actual = ContentChecksum.of(bytes, partSize: recorded.partSize)
            guard actual.digest == recorded.digest else {
                throw mismatch(request, "sha256-parts \(actual.digest) differs from the recorded \(recorded.digest)")
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
