/// AWS Signature Version 4 request signing, pure and without I/O.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.
public enum SigV4Algorithm {
    /// The algorithm identifier that appears in `Authorization` headers and string-to-sign.
    public static let identifier = "AWS4-HMAC-SHA256"
}
