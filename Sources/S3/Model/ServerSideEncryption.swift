import Foundation
import NIOHTTP1

/// How S3 encrypts an object at rest: with S3's keys (SSE-S3), with a KMS key (SSE-KMS, with or
/// without an S3 Bucket Key) or twice with a KMS key (DSSE-KMS).
///
/// A copy, even onto itself, is encrypted with the bucket's default unless the request says
/// otherwise, so a copy that must keep an object's encryption says it again.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html> and
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html>.
public struct ServerSideEncryption: Sendable, Hashable {
    /// The `x-amz-server-side-encryption` values.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// SSE-S3.
        case aes256 = "AES256"
        /// SSE-KMS.
        case kms = "aws:kms"
        /// DSSE-KMS.
        case dsseKMS = "aws:kms:dsse"
    }

    /// The algorithm.
    public var algorithm: Algorithm
    /// The KMS key (id, ARN or alias) of SSE-KMS and DSSE-KMS; `nil` for S3's default KMS key.
    public var kmsKeyID: String?
    /// Whether SSE-KMS uses an S3 Bucket Key.
    public var bucketKeyEnabled: Bool

    /// An encryption setting.
    public init(algorithm: Algorithm, kmsKeyID: String? = nil, bucketKeyEnabled: Bool = false) {
        self.algorithm = algorithm
        self.kmsKeyID = kmsKeyID
        self.bucketKeyEnabled = bucketKeyEnabled
    }

    /// The encryption `head` reports for the object at `key`, checked so it can be sent again;
    /// `nil` when HEAD reports none (the server does not encrypt, or does not say).
    ///
    /// Throws ``CopyRefusal`` for an object encrypted with a customer-provided key (SSE-C), an
    /// algorithm S3 does not know, and a KMS key id longer than 2,048 bytes or with a control
    /// character: HEAD's answer is outside input.
    public init?(head: ObjectHead, key: String) throws(CopyRefusal) {
        if head.customerKeyAlgorithm != nil { throw .customerProvidedKey(key: key) }
        guard let raw = head.serverSideEncryption else { return nil }
        let header = "x-amz-server-side-encryption"
        guard let algorithm = Algorithm(rawValue: try CopyRefusal.checked(raw, header: header, key: key, limit: 64)) else {
            throw .unusableHeader(key: key, header: header, problem: .unknownAlgorithm)
        }
        self.algorithm = algorithm
        // A key id or Bucket Key beside SSE-S3 means nothing to S3, which refuses them on a write.
        if algorithm != .aes256, let value = head.kmsKeyID {
            kmsKeyID = try CopyRefusal.checked(value, header: "\(header)-aws-kms-key-id", key: key,
                                               limit: CopyRefusal.kmsKeyIDLimit)
        } else {
            kmsKeyID = nil
        }
        bucketKeyEnabled = algorithm == .kms && head.bucketKeyEnabled
    }

    /// The request headers that ask for this encryption. With SSE-KMS the Bucket Key setting is
    /// always sent, so a copy keeps the object's and does not take the bucket's.
    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-server-side-encryption", value: algorithm.rawValue)
        if let kmsKeyID { headers.add(name: "x-amz-server-side-encryption-aws-kms-key-id", value: kmsKeyID) }
        if algorithm == .kms {
            headers.add(name: "x-amz-server-side-encryption-bucket-key-enabled", value: bucketKeyEnabled ? "true" : "false")
        }
        return headers
    }
}
