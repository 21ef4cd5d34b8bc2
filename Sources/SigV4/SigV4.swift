/// AWS Signature Version 4 request signing, pure and without I/O.
///
/// The module's entry point is ``Signer``: ``Signer/signHeaders(method:url:headers:payload:date:)``
/// for the `Authorization` header (with a ``ChunkSigner`` for aws-chunked uploads) and
/// ``Signer/presign(method:url:expires:date:extraHeaders:payload:)`` for presigned URLs.
/// ``URIEncoding`` builds wire paths and query strings in exactly the encoding SigV4 signs.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.
public enum SigV4Algorithm {
    /// The algorithm identifier that appears in `Authorization` headers and string-to-sign.
    public static let identifier = "AWS4-HMAC-SHA256"
}
