import Foundation

/// Signs requests with AWS Signature Version 4: the credentials, region, service and
/// canonicalization rules it signs for, and a cache of derived signing keys.
///
/// A value: copy it freely and use it from any task; copies share the key cache.
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>
/// and, for S3, <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>.
public struct Signer: Sendable {
    /// The credentials requests are signed with.
    public var credentials: Credentials
    /// The region in the credential scope, e.g. `us-east-1`.
    public var region: String
    /// The service in the credential scope, e.g. `s3`.
    public var service: String
    /// How the wire path becomes the canonical URI.
    public var rules: CanonicalizationRules
    /// Whether `X-Amz-Security-Token` is part of what is signed (the norm). A few services want
    /// the token added after signing instead; then it is still sent, just not signed.
    public var signsSessionToken: Bool
    /// Derived signing keys, shared by copies of this signer.
    public let keyCache: SigningKeyCache

    /// Creates a signer.
    /// - Parameters:
    ///   - rules: Defaults to ``CanonicalizationRules/s3`` for the `s3` service and
    ///     ``CanonicalizationRules/generic`` for any other.
    ///   - keyCache: Pass one cache to several signers to share derived keys between them.
    public init(
        credentials: Credentials, region: String, service: String = "s3",
        rules: CanonicalizationRules? = nil, signsSessionToken: Bool = true,
        keyCache: SigningKeyCache = SigningKeyCache()
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.rules = rules ?? (service == "s3" ? .s3 : .generic)
        self.signsSessionToken = signsSessionToken
        self.keyCache = keyCache
    }

    // MARK: Header signing

    /// Signs a request for the `Authorization` header.
    ///
    /// Returns the headers to send: the given ones plus `host` (when absent), `x-amz-date`,
    /// `x-amz-content-sha256`, `x-amz-security-token` (with a session token), the aws-chunked
    /// headers for a streaming payload, and `Authorization`.
    /// - Parameters:
    ///   - url: The request URL; its percent-encoded path and query are what goes on the wire.
    ///   - date: The signing time (also sent as `x-amz-date`).
    public func signHeaders(method: String, url: URL, headers: [HTTPHeader] = [], payload: Payload, date: Date) throws(SigV4Error) -> SignedRequest {
        let target = try WireTarget(url)
        return signHeaders(method: method, host: target.host, path: target.path, query: target.query,
                           headers: headers, payload: payload, date: date)
    }

    /// Signs a request given as it goes on the wire: `host` (with `:port` when not the default),
    /// the percent-encoded path and the query string without `?`.
    public func signHeaders(
        method: String, host: String, path: String, query: String = "",
        headers: [HTTPHeader] = [], payload: Payload, date: Date
    ) -> SignedRequest {
        let signingDate = SigningDate(date)
        let token = credentials.effectiveSessionToken
        var headers = headers
        headers.reserveCapacity(headers.count + 8)
        headers.removeAll { header in
            header.name.caseInsensitiveEquals("authorization") || header.name.caseInsensitiveEquals("x-amz-date")
                || (token != nil && header.name.caseInsensitiveEquals("x-amz-security-token"))
        }
        if headers.first(named: "host") == nil { headers.insert(HTTPHeader("host", host), at: 0) }
        if case .streaming(let streaming) = payload { Self.addChunkedHeaders(streaming, to: &headers) }
        headers.append(HTTPHeader("x-amz-date", signingDate.timestamp))
        let payloadHash = payload.contentSHA256
        if rules.setsContentSHA256Header || payload.needsContentSHA256Header {
            headers.removeAll { $0.name.caseInsensitiveEquals("x-amz-content-sha256") }
            headers.append(HTTPHeader("x-amz-content-sha256", payloadHash))
        }
        if let token, signsSessionToken { headers.append(HTTPHeader("x-amz-security-token", token)) }

        let canonicalRequest = CanonicalRequest(method: method, path: path, query: query, headers: headers,
                                                payloadHash: payloadHash, rules: rules)
        let key = signingKey(signingDate)
        let scope = key.scope
        let stringToSign = stringToSign(canonicalRequest, timestamp: signingDate.timestamp, scope: scope)
        let signature = key.signature(of: stringToSign)
        let authorization = "\(SigV4Algorithm.identifier) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(canonicalRequest.signedHeaders), Signature=\(signature)"
        if let token, !signsSessionToken { headers.append(HTTPHeader("x-amz-security-token", token)) }
        headers.append(HTTPHeader("Authorization", authorization))

        var chunkSigner: ChunkSigner?
        if case .streaming(let streaming) = payload {
            chunkSigner = ChunkSigner(mode: streaming.mode, seedSignature: signature, signingKey: key,
                                      timestamp: signingDate.timestamp, scope: scope)
        }
        return SignedRequest(headers: headers, authorization: authorization, signature: signature,
                             canonicalRequest: canonicalRequest.text, stringToSign: stringToSign, chunkSigner: chunkSigner)
    }

    private static func addChunkedHeaders(_ streaming: StreamingPayload, to headers: inout [HTTPHeader]) {
        headers.removeAll { $0.name.caseInsensitiveEquals("content-length") || $0.name.caseInsensitiveEquals("x-amz-decoded-content-length") }
        if let index = headers.firstIndex(where: { $0.name.caseInsensitiveEquals("content-encoding") }) {
            if !headers[index].value.contains("aws-chunked") { headers[index].value = "aws-chunked," + headers[index].value }
        } else {
            headers.append(HTTPHeader("content-encoding", "aws-chunked"))
        }
        headers.append(HTTPHeader("content-length", String(streaming.encodedContentLength)))
        headers.append(HTTPHeader("x-amz-decoded-content-length", String(streaming.decodedContentLength)))
        if let checksum = streaming.mode.trailerChecksum {
            headers.removeAll { $0.name.caseInsensitiveEquals("x-amz-trailer") }
            headers.append(HTTPHeader("x-amz-trailer", checksum.headerName))
        }
    }

    // MARK: The steps, named as in the specification

    /// Task 2: `AWS4-HMAC-SHA256 \n timestamp \n scope \n HexEncode(SHA256(canonicalRequest))`.
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign>.
    func stringToSign(_ canonicalRequest: CanonicalRequest, timestamp: String, scope: String) -> String {
        var text = ""
        text.reserveCapacity(SigV4Algorithm.identifier.utf8.count + timestamp.utf8.count + scope.utf8.count + 67)
        text += SigV4Algorithm.identifier
        text += "\n"
        text += timestamp
        text += "\n"
        text += scope
        text += "\n"
        text += canonicalRequest.hash
        return text
    }

    /// Task 3: the signing key for the day, from the cache when already derived.
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key>.
    func signingKey(_ date: SigningDate) -> SigningKey {
        keyCache.signingKey(secretAccessKey: credentials.secretAccessKey, day: date.day, region: region, service: service)
    }

    /// Task 3: `HexEncode(HMAC-SHA256(signingKey, stringToSign))` for the signing time `date`.
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#calculate-signature>.
    public func signature(stringToSign: String, date: Date) -> String {
        signingKey(SigningDate(date)).signature(of: stringToSign)
    }
}

extension Payload {
    /// Servers cannot derive these from the body, so they must be told, whatever the rules.
    var needsContentSHA256Header: Bool {
        switch self {
        case .bytes, .sha256: return false
        case .unsigned, .streaming: return true
        }
    }
}
