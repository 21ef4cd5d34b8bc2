/// How the canonical URI is derived from the path a request sends on the wire.
///
/// S3 signs the path exactly as sent; every other service normalizes it and percent-encodes
/// it once more. See
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>
/// and, for S3, <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>.
public struct CanonicalizationRules: Sendable, Hashable {
    /// Remove `.` and `..` segments and collapse repeated slashes (RFC 3986, section 5.2.4).
    public var normalizesPath: Bool
    /// UriEncode the (already percent-encoded) wire path again, keeping `/`.
    public var encodesPath: Bool
    /// Always send and sign `x-amz-content-sha256` (S3 requires it; other services accept it).
    public var setsContentSHA256Header: Bool

    /// Creates rules from their parts; most callers want ``s3`` or ``generic``.
    public init(normalizesPath: Bool, encodesPath: Bool, setsContentSHA256Header: Bool) {
        self.normalizesPath = normalizesPath
        self.encodesPath = encodesPath
        self.setsContentSHA256Header = setsContentSHA256Header
    }

    /// S3: the wire path is the canonical URI (no normalization, no second encoding) and
    /// `x-amz-content-sha256` is always set.
    public static let s3 = CanonicalizationRules(normalizesPath: false, encodesPath: false, setsContentSHA256Header: true)

    /// Every other service: normalized, double-encoded path; `x-amz-content-sha256` only for
    /// streaming and unsigned payloads, where the service cannot compute it.
    public static let generic = CanonicalizationRules(normalizesPath: true, encodesPath: true, setsContentSHA256Header: false)
}
