import Foundation

/// An error S3 answered with: its code, message, HTTP status and request id, and the operation,
/// bucket and key it was about. See <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>.
///
/// `message` may be empty (Ceph RGW sends `<Message/>`); `code` is never empty: for bodiless
/// answers (HEAD) it is derived from the status (`NotFound`, `Forbidden`, ...).
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// S3's error code, e.g. `.noSuchKey`, `.accessDenied`, `.signatureDoesNotMatch`.
    public var code: S3ErrorCode
    /// S3's message; may be empty.
    public var message: String
    /// HTTP status code.
    public var status: Int
    /// `x-amz-request-id` (or the body's `RequestId`), for the server's logs.
    public var requestID: String?
    /// The operation that failed, e.g. `PutObject`.
    public var operation: String
    /// The bucket, when the request had one.
    public var bucket: String?
    /// The object key, when the request had one.
    public var key: String?
    /// The region the bucket lives in, when S3 said (`x-amz-bucket-region`, `<Region>`).
    public var bucketRegion: String?
    /// The server's `Date`, used to correct clock skew.
    public var serverDate: Date?

    /// Creates an error value (the client does this from responses).
    public init(
        code: S3ErrorCode, message: String = "", status: Int, requestID: String? = nil,
        operation: String, bucket: String? = nil, key: String? = nil,
        bucketRegion: String? = nil, serverDate: Date? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.requestID = requestID
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.bucketRegion = bucketRegion
        self.serverDate = serverDate
    }

    /// One line for people: `PutObject s3://bucket/key: AccessDenied (403): message [request id]`,
    /// with a hint for the codes an operator can act on.
    public var description: String {
        var target = ""
        if let bucket { target = " s3://\(bucket)" + (key.map { "/\($0)" } ?? "") }
        var line = "\(operation)\(target): \(code) (HTTP \(status))"
        if !message.isEmpty { line += ": \(message)" }
        if let hint { line += "; \(hint)" }
        if let requestID { line += " [request id \(requestID)]" }
        return line
    }

    /// What to do about the common codes.
    public var hint: String? {
        switch code {
        case .permanentRedirect, .authorizationHeaderMalformed:
            if let bucketRegion { return "the bucket is in region \(bucketRegion): pass --region \(bucketRegion)" }
            // A malformed authorization header has other causes; a redirect always means the region.
            return code == .permanentRedirect ? "the bucket is in another region: pass its --region" : nil
        case .signatureDoesNotMatch: return "check the secret access key"
        case .invalidAccessKeyId: return "the access key id is not known to this endpoint"
        case .requestTimeTooSkewed: return "this machine's clock is off; sync it (chrony/ntp)"
        case .noSuchBucket: return "the bucket does not exist at this endpoint and region"
        case .accessDenied where operation == "DeleteObject" || operation == "DeleteObjects":
            return "needs s3:DeleteObject (and s3:DeleteObjectVersion for versions), or the object is locked"
        case .accessDenied where operation.hasPrefix("List"):
            return "needs s3:ListBucket (s3:ListBucketVersions for versions)"
        case .invalidObjectState: return "the object is archived: restore it first (strata retrieve)"
        // S3 and RGW answer a bodiless 400 to a HEAD without the customer key of an SSE-C object.
        case .badRequest where operation == "HeadObject":
            return "an object encrypted with a customer-provided key (SSE-C) answers 400 to a HEAD without "
                + "that key; Strata does not hold SSE-C keys and leaves such objects as they are"
        default: return nil
        }
    }

    /// Whether S3 says the request may succeed if sent again.
    public var isRetryable: Bool {
        switch code {
        case .slowDown, .requestTimeout, .internalError, .serviceUnavailable, .requestTimeTooSkewed,
             .operationAborted where status == 409:
            return true
        default:
            return [500, 502, 503, 504].contains(status)
        }
    }
}

/// A request that got no usable HTTP answer: connection refused or reset, timeout, TLS failure,
/// or a response S3 would never send (an unparsable body).
public struct S3TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in words.
    public enum Kind: String, Sendable {
        /// The connection could not be made, was reset, or closed mid-response.
        case connection
        /// No answer within the timeout.
        case timeout
        /// The answer could not be understood (e.g. truncated XML).
        case malformedResponse
        /// The downloaded bytes do not match the object's checksum.
        case integrity
    }
    /// The class of failure.
    public var kind: Kind
    /// The operation that failed.
    public var operation: String
    /// The bucket, when the request had one.
    public var bucket: String?
    /// The object key, when the request had one.
    public var key: String?
    /// What the underlying layer said.
    public var detail: String

    /// Creates a transport error.
    public init(kind: Kind, operation: String, bucket: String? = nil, key: String? = nil, detail: String) {
        self.kind = kind
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.detail = detail
    }

    /// One line for people.
    public var description: String {
        var target = ""
        if let bucket { target = " s3://\(bucket)" + (key.map { "/\($0)" } ?? "") }
        return "\(operation)\(target): \(kind.rawValue) error: \(detail)"
    }

    /// Connection failures and timeouts may succeed when tried again; a malformed answer might
    /// be a truncated one; an integrity failure is retried by downloading again.
    public var isRetryable: Bool { true }
}
