/// An S3 error code (`NoSuchKey`, `AccessDenied`, ...), compared as a typed constant and never as
/// a string literal: a misspelt constant does not compile, a misspelt literal never matches.
/// Codes a server sends that have no constant here are kept as they came.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList>.
public struct S3ErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The code as the server spelt it.
    public let rawValue: String

    /// The code a server sent.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The code as the server spelt it.
    public var description: String { rawValue }

    /// Access to the resource was refused (or the object is locked).
    public static let accessDenied = S3ErrorCode("AccessDenied")
    /// The authorization header names the wrong region.
    public static let authorizationHeaderMalformed = S3ErrorCode("AuthorizationHeaderMalformed")
    /// The body does not match its `Content-MD5` (or checksum).
    public static let badDigest = S3ErrorCode("BadDigest")
    /// A bodiless 400 (HEAD).
    public static let badRequest = S3ErrorCode("BadRequest")
    /// A bodiless 409.
    public static let conflict = S3ErrorCode("Conflict")
    /// A bodiless 403 (HEAD).
    public static let forbidden = S3ErrorCode("Forbidden")
    /// The server failed; retried.
    public static let internalError = S3ErrorCode("InternalError")
    /// The access key id is not known.
    public static let invalidAccessKeyId = S3ErrorCode("InvalidAccessKeyId")
    /// The object is archived and must be restored first.
    public static let invalidObjectState = S3ErrorCode("InvalidObjectState")
    /// 400: a request value the server does not take (Ceph RGW answers this for a storage class
    /// it does not offer).
    public static let invalidArgument = S3ErrorCode("InvalidArgument")
    /// 400: a storage class AWS does not know or does not offer here.
    public static let invalidStorageClass = S3ErrorCode("InvalidStorageClass")
    /// A bodiless 416.
    public static let invalidRange = S3ErrorCode("InvalidRange")
    /// The request is not valid (e.g. a copy onto itself that changes nothing).
    public static let invalidRequest = S3ErrorCode("InvalidRequest")
    /// A bodiless 405.
    public static let methodNotAllowed = S3ErrorCode("MethodNotAllowed")
    /// The bucket does not exist.
    public static let noSuchBucket = S3ErrorCode("NoSuchBucket")
    /// The object does not exist.
    public static let noSuchKey = S3ErrorCode("NoSuchKey")
    /// AWS: the object or bucket has no Object Lock setting.
    public static let noSuchObjectLockConfiguration = S3ErrorCode("NoSuchObjectLockConfiguration")
    /// RGW: the object or bucket has no Object Lock setting.
    public static let objectLockConfigurationNotFound = S3ErrorCode("ObjectLockConfigurationNotFoundError")
    /// The bucket has no lifecycle configuration.
    public static let noSuchLifecycleConfiguration = S3ErrorCode("NoSuchLifecycleConfiguration")
    /// The multipart upload does not exist (completed or aborted).
    public static let noSuchUpload = S3ErrorCode("NoSuchUpload")
    /// The version does not exist.
    public static let noSuchVersion = S3ErrorCode("NoSuchVersion")
    /// A bodiless 404 (HEAD).
    public static let notFound = S3ErrorCode("NotFound")
    /// A bodiless 501.
    public static let notImplemented = S3ErrorCode("NotImplemented")
    /// A bodiless 304.
    public static let notModified = S3ErrorCode("NotModified")
    /// A conflicting operation is in progress; retried when the status is 409.
    public static let operationAborted = S3ErrorCode("OperationAborted")
    /// The bucket is in another region.
    public static let permanentRedirect = S3ErrorCode("PermanentRedirect")
    /// A condition (`If-Match`, `If-None-Match`) did not hold.
    public static let preconditionFailed = S3ErrorCode("PreconditionFailed")
    /// A restore of the object is already running.
    public static let restoreAlreadyInProgress = S3ErrorCode("RestoreAlreadyInProgress")
    /// The request's time is too far from the server's.
    public static let requestTimeTooSkewed = S3ErrorCode("RequestTimeTooSkewed")
    /// The server timed out reading the request; retried.
    public static let requestTimeout = S3ErrorCode("RequestTimeout")
    /// The server is unavailable; retried.
    public static let serviceUnavailable = S3ErrorCode("ServiceUnavailable")
    /// The signature does not match (wrong secret key).
    public static let signatureDoesNotMatch = S3ErrorCode("SignatureDoesNotMatch")
    /// The body does not match its signed `x-amz-content-sha256`.
    public static let xAmzContentSHA256Mismatch = S3ErrorCode("XAmzContentSHA256Mismatch")
    /// Too many requests; retried.
    public static let slowDown = S3ErrorCode("SlowDown")

    /// The code S3 implies by a bodiless answer's status (HEAD has no body to name one).
    public static func forStatus(_ status: Int) -> S3ErrorCode {
        switch status {
        case 301: .permanentRedirect
        case 304: .notModified
        case 400: .badRequest
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 409: .conflict
        case 412: .preconditionFailed
        case 416: .invalidRange
        case 500: .internalError
        case 501: .notImplemented
        case 503: .serviceUnavailable
        default: S3ErrorCode("HTTP\(status)")
        }
    }
}
