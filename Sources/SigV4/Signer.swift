import Crypto
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
        let payloadHash = payload.contentSHA256
        let sendsContentSHA256 = rules.setsContentSHA256Header || payload.needsContentSHA256Header

        // The headers to send and sign: `host` first when the caller has none, the caller's
        // (minus the ones this signer sets), the aws-chunked ones, then the signer's own.
        var sent: [HTTPHeader] = []
        sent.reserveCapacity(headers.count + 8)
        if headers.first(named: "host") == nil { sent.append(HTTPHeader("host", host)) }
        for header in headers where !Self.isSetBySigner(header.name, sessionToken: token != nil, contentSHA256: sendsContentSHA256) {
            sent.append(header)
        }
        if case .streaming(let streaming) = payload { Self.addChunkedHeaders(streaming, to: &sent) }
        sent.append(HTTPHeader("x-amz-date", signingDate.timestamp))
        if sendsContentSHA256 { sent.append(HTTPHeader("x-amz-content-sha256", payloadHash)) }
        if let token, signsSessionToken { sent.append(HTTPHeader("x-amz-security-token", token)) }

        let canonicalRequest = CanonicalRequest(method: method, path: path, query: query, headers: sent,
                                                payloadHash: payloadHash, rules: rules)
        let key = signingKey(signingDate)
        let signature = Self.withStringToSign(canonicalRequest, timestamp: signingDate.timestamp, scope: key.scope) {
            key.signature(of: $0)
        }
        let authorization = authorization(scope: key.scope, signedHeaders: canonicalRequest.bytes[canonicalRequest.signedHeadersRange],
                                          signature: signature)
        if let token, !signsSessionToken { sent.append(HTTPHeader("x-amz-security-token", token)) }
        sent.append(HTTPHeader("Authorization", authorization))

        var chunkSigner: ChunkSigner?
        if case .streaming(let streaming) = payload {
            chunkSigner = ChunkSigner(mode: streaming.mode, seedSignature: signature, signingKey: key,
                                      timestamp: signingDate.timestamp, scope: key.scope)
        }
        return SignedRequest(headers: sent, authorization: authorization, signature: signature, canonical: canonicalRequest,
                             timestamp: signingDate.timestamp, scope: key.scope, chunkSigner: chunkSigner)
    }

    /// Whether the caller's header `name` is dropped because the signer sets that header itself.
    private static func isSetBySigner(_ name: String, sessionToken: Bool, contentSHA256: Bool) -> Bool {
        name.caseInsensitiveEquals("authorization") || name.caseInsensitiveEquals("x-amz-date")
            || (sessionToken && name.caseInsensitiveEquals("x-amz-security-token"))
            || (contentSHA256 && name.caseInsensitiveEquals("x-amz-content-sha256"))
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

    /// Task 2: `AWS4-HMAC-SHA256 \n timestamp \n scope \n HexEncode(SHA256(canonicalRequest))`,
    /// written into a stack buffer and handed to `body` (signing only hashes it).
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign>.
    static func withStringToSign<Result>(
        _ canonicalRequest: CanonicalRequest, timestamp: String, scope: String,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        let algorithm = SigV4Algorithm.identifier
        let length = algorithm.utf8.count + timestamp.utf8.count + scope.utf8.count + 3 + 2 * SHA256.byteCount
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
            var text = ByteWriter(buffer)
            text.append(algorithm)
            text.append(UInt8(ascii: "\n"))
            text.append(timestamp)
            text.append(UInt8(ascii: "\n"))
            text.append(scope)
            text.append(UInt8(ascii: "\n"))
            canonicalRequest.digest.withUnsafeBytes { text.appendHex($0) }
            return body(text.written)
        }
    }

    /// Task 2 as text, for diagnostics and presigned URLs.
    static func stringToSign(_ canonicalRequest: CanonicalRequest, timestamp: String, scope: String) -> String {
        withStringToSign(canonicalRequest, timestamp: timestamp, scope: scope) { String(decoding: $0, as: UTF8.self) }
    }

    /// Task 4: `AWS4-HMAC-SHA256 Credential=<access key>/<scope>, SignedHeaders=<names>, Signature=<hex>`.
    /// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#add-signature-to-request>.
    func authorization(scope: String, signedHeaders: ArraySlice<UInt8>, signature: String) -> String {
        let (algorithm, credential, signedHeadersLabel, signatureLabel) =
            (SigV4Algorithm.identifier, " Credential=", ", SignedHeaders=", ", Signature=")
        let accessKeyID = credentials.accessKeyID
        let length = algorithm.utf8.count + credential.utf8.count + accessKeyID.utf8.count + 1 + scope.utf8.count
            + signedHeadersLabel.utf8.count + signedHeaders.count + signatureLabel.utf8.count + signature.utf8.count
        return String(unsafeUninitializedCapacity: length) { buffer in
            var text = ByteWriter(buffer)
            text.append(algorithm)
            text.append(credential)
            text.append(accessKeyID)
            text.append(UInt8(ascii: "/"))
            text.append(scope)
            text.append(signedHeadersLabel)
            text.append(signedHeaders)
            text.append(signatureLabel)
            text.append(signature)
            return text.count
        }
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
