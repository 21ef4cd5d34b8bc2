/// The outcome of ``Signer/signHeaders(method:url:headers:payload:date:)``: what to send, and the
/// intermediate texts for diagnosing a `SignatureDoesNotMatch`.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#add-signature-to-request>.
public struct SignedRequest: Sendable {
    /// Every header to send, in order: the caller's, the added ones, and `Authorization` last.
    public var headers: [HTTPHeader]
    /// The `Authorization` header value.
    public var authorization: String
    /// The hex signature; for a streaming payload, the seed signature the chunks chain from.
    public var signature: String
    /// For a streaming payload, the signer of its chunks, seeded with ``signature``.
    public var chunkSigner: ChunkSigner?

    // What the diagnostic texts are made from, only when asked for: a request that is simply
    // sent never needs them as Strings.
    private let canonical: CanonicalRequest
    private let timestamp: String
    private let scope: String

    init(headers: [HTTPHeader], authorization: String, signature: String, canonical: CanonicalRequest,
         timestamp: String, scope: String, chunkSigner: ChunkSigner?) {
        self.headers = headers
        self.authorization = authorization
        self.signature = signature
        self.chunkSigner = chunkSigner
        self.canonical = canonical
        self.timestamp = timestamp
        self.scope = scope
    }

    /// The canonical request that was signed (compare with the server's in an error response).
    public var canonicalRequest: String { canonical.text }
    /// The string to sign.
    public var stringToSign: String { Signer.stringToSign(canonical, timestamp: timestamp, scope: scope) }
}
