/// Why a request could not be signed.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html> for the
/// expiry limits of presigned URLs.
public enum SigV4Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// A presigned URL's lifetime is outside AWS's 1 second ... 7 days (604800 s).
    case expiryOutOfRange(seconds: Double)
    /// The URL has no host, so there is nothing to put in the signed `host` header.
    case missingHost(url: String)
    /// The presigned URL could not be put back together as a `URL`.
    case invalidURL(String)
    /// A streaming payload was described with a chunk size that cannot frame it.
    case invalidChunkSize(Int)
    /// A streaming payload was described with a negative length.
    case invalidPayloadLength(Int)

    /// One line saying what was wrong with the input.
    public var description: String {
        switch self {
        case .expiryOutOfRange(let seconds):
            return "presigned URL expiry of \(seconds) s is out of range: it must be between 1 s and 604800 s (7 days)"
        case .missingHost(let url):
            return "cannot sign a request without a host: '\(url)'"
        case .invalidURL(let text):
            return "the presigned URL is not a valid URL: '\(text)'"
        case .invalidChunkSize(let size):
            return "chunk size \(size) is invalid: aws-chunked chunks must be at least 8192 bytes (except the last)"
        case .invalidPayloadLength(let length):
            return "payload length \(length) is invalid: it must not be negative"
        }
    }
}
