import Foundation

/// A presigned request: the query string that carries the signature, and the intermediate
/// texts. See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.
public struct PresignedRequest: Sendable {
    /// The full query string to send (the original one plus the `X-Amz-*` parameters), without `?`.
    public var query: String
    /// The headers the URL was signed with (`host` plus the extra headers); a client must send them unchanged.
    public var signedHeaders: [HTTPHeader]
    /// The hex signature (`X-Amz-Signature`).
    public var signature: String
    /// The canonical request that was signed.
    public var canonicalRequest: String
    /// The string to sign.
    public var stringToSign: String
}

extension Signer {
    /// The longest lifetime AWS accepts for a presigned URL: 7 days.
    public static let maximumPresignedExpiry: Duration = .seconds(604_800)

    /// A presigned URL: anyone holding it can make this one request until it expires.
    /// - Parameters:
    ///   - expires: How long the URL is valid, 1 s ... 7 days; otherwise ``SigV4Error/expiryOutOfRange(seconds:)``.
    ///   - date: The signing time; the URL is valid from then until `date + expires`.
    ///   - extraHeaders: Headers the request must carry unchanged (e.g. `x-amz-storage-class`).
    ///   - payload: What the body is signed as; S3 uses `UNSIGNED-PAYLOAD`.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>.
    public func presign(
        method: String, url: URL, expires: Duration, date: Date,
        extraHeaders: [HTTPHeader] = [], payload: Payload = .unsigned
    ) throws(SigV4Error) -> URL {
        let target = try WireTarget(url)
        let presigned = try presign(method: method, host: target.host, path: target.path, query: target.query,
                                    expires: expires, date: date, extraHeaders: extraHeaders, payload: payload)
        let text = "\(target.base)?\(presigned.query)"
        guard let result = URL(string: text) else { throw .invalidURL(text) }
        return result
    }

    /// Presigns a request given as it goes on the wire (see
    /// ``signHeaders(method:host:path:query:headers:payload:date:)``) and returns the signed query.
    public func presign(
        method: String, host: String, path: String, query: String = "", expires: Duration, date: Date,
        extraHeaders: [HTTPHeader] = [], payload: Payload = .unsigned
    ) throws(SigV4Error) -> PresignedRequest {
        let (wholeSeconds, attoseconds) = expires.components
        let seconds = Double(wholeSeconds) + Double(attoseconds) / 1e18
        guard seconds >= 1, expires <= Self.maximumPresignedExpiry else { throw .expiryOutOfRange(seconds: seconds) }

        let signingDate = SigningDate(date)
        let key = signingKey(signingDate)
        let scope = key.scope
        var headers = extraHeaders.filter { !$0.name.caseInsensitiveEquals("authorization") }
        if headers.first(named: "host") == nil { headers.insert(HTTPHeader("host", host), at: 0) }
        let signedHeaderNames = CanonicalRequest.canonicalHeaders(headers).signed

        var parameters: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", SigV4Algorithm.identifier),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", signingDate.timestamp),
            ("X-Amz-Expires", String(wholeSeconds)),
            ("X-Amz-SignedHeaders", signedHeaderNames),
        ]
        let token = credentials.effectiveSessionToken
        if let token, signsSessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        // The caller's parameters may not carry their own signature fields: drop any, ours win.
        let kept = query.split(separator: "&").filter { piece in
            let name = piece.prefix { $0 != "=" }
            return !parameters.contains { $0.name.caseInsensitiveEquals(name) } && !name.caseInsensitiveEquals("X-Amz-Signature")
        }
        var signedQuery = kept.joined(separator: "&")
        if !signedQuery.isEmpty { signedQuery += "&" }
        signedQuery += URIEncoding.query(parameters)

        let canonicalRequest = CanonicalRequest(method: method, path: path, query: signedQuery, headers: headers,
                                                payloadHash: payload.contentSHA256, rules: rules)
        let stringToSign = Self.stringToSign(canonicalRequest, timestamp: signingDate.timestamp, scope: scope)
        let signature = key.signature(of: stringToSign)
        var finalQuery = signedQuery
        if let token, !signsSessionToken { finalQuery += "&" + URIEncoding.query([("X-Amz-Security-Token", token)]) }
        finalQuery += "&X-Amz-Signature=" + signature
        return PresignedRequest(query: finalQuery, signedHeaders: headers, signature: signature,
                                canonicalRequest: canonicalRequest.text, stringToSign: stringToSign)
    }
}
