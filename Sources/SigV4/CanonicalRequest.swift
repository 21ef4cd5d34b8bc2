import Crypto
import Foundation

/// Task 1 of SigV4: the canonical request, the exact text whose hash is signed.
///
/// ```
/// HTTPMethod \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload
/// ```
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.
public struct CanonicalRequest: @unchecked Sendable, Hashable {
    // @unchecked: swift-crypto does not mark its digests Sendable, but `SHA256.Digest` is an
    // immutable value of 32 bytes held inline; the other properties are Sendable.
    /// The canonical request as UTF-8, exactly the bytes that are hashed.
    let bytes: [UInt8]
    /// Where the signed-headers line lies in ``bytes``.
    let signedHeadersRange: Range<Int>
    /// `SHA256(bytes)`.
    let digest: SHA256.Digest

    /// The canonical request text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    /// The `;`-separated, sorted, lowercase names of the signed headers.
    public var signedHeaders: String { String(decoding: bytes[signedHeadersRange], as: UTF8.self) }
    /// `HexEncode(SHA256(text))`, the last line of the string to sign.
    public var hash: String { Hex.encode(digest) }

    /// Builds the canonical request of a request as it goes on the wire.
    /// - Parameters:
    ///   - method: The HTTP method; uppercased.
    ///   - path: The path as sent in the request line (percent-encoded), without the query.
    ///   - query: The query string as sent, without `?` (empty when there is none).
    ///   - headers: Every header that will be sent and signed, including `host`.
    ///   - payloadHash: The hex SHA-256 of the body, or one of the payload literals.
    ///   - rules: Whether the path is normalized and encoded again (``CanonicalizationRules``).
    public init(method: String, path: String, query: String, headers: [HTTPHeader], payloadHash: String, rules: CanonicalizationRules) {
        let uri = Self.canonicalURI(path: path, rules: rules)
        let canonicalQuery = Self.canonicalQuery(query)
        // One byte buffer for the whole text, sized up front and hashed as is: this runs for
        // every request sent. The text becomes a String only when asked for (diagnostics).
        let capacity = method.utf8.count + uri.utf8.count + canonicalQuery.utf8.count + payloadHash.utf8.count + 4
            + CanonicalHeaders.maximumLength(headers)
        var signedHeadersRange = 0..<0
        bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initializedCount in
            var text = ByteWriter(buffer)
            method.withUTF8Bytes { method in
                for byte in method { text.append(uppercaseASCII(byte)) }
            }
            text.append(Self.newline)
            text.append(uri)
            text.append(Self.newline)
            text.append(canonicalQuery)
            text.append(Self.newline)
            signedHeadersRange = CanonicalHeaders.write(headers, to: &text)
            text.append(Self.newline)
            text.append(payloadHash)
            initializedCount = text.count
        }
        self.signedHeadersRange = signedHeadersRange
        digest = bytes.withUnsafeBytes { SHA256.hash(data: $0) }
    }

    private static let newline = UInt8(ascii: "\n")

    /// The canonical URI: for S3 the wire path itself; otherwise the path with dot segments
    /// and repeated slashes removed, then UriEncoded (so `%` in the wire path becomes `%25`).
    public static func canonicalURI(path: String, rules: CanonicalizationRules) -> String {
        if path.isEmpty { return "/" }
        let normalized = rules.normalizesPath ? removeDotSegments(path) : path
        return rules.encodesPath ? URIEncoding.encode(normalized, keepSlash: true) : normalized
    }

    /// The canonical query string: each name and value decoded from the wire and UriEncoded
    /// again, sorted by name then value (byte order), `name=` for an empty value.
    public static func canonicalQuery(_ query: some StringProtocol) -> String {
        if query.isEmpty { return "" }
        var pairs: [(name: [UInt8], value: [UInt8])] = []
        for piece in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = piece.firstIndex(of: UInt8(ascii: "="))
            let rawName = equals.map { piece[piece.startIndex..<$0] } ?? piece[...]
            let rawValue = equals.map { piece[piece.index(after: $0)...] } ?? piece[piece.endIndex...]
            pairs.append((canonicalComponent(rawName), canonicalComponent(rawValue)))
        }
        pairs.sort { lhs, rhs in
            lhs.name == rhs.name ? lhs.value.lexicographicallyPrecedes(rhs.value) : lhs.name.lexicographicallyPrecedes(rhs.name)
        }
        var out: [UInt8] = []
        out.reserveCapacity(query.utf8.count + 16)
        for (index, pair) in pairs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            out.append(contentsOf: pair.name)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: pair.value)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func canonicalComponent(_ raw: some Collection<UInt8>) -> [UInt8] {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        URIEncoding.decode(raw, into: &decoded)
        if URIEncoding.isCanonical(decoded, keepSlash: false) { return decoded }
        var encoded: [UInt8] = []
        encoded.reserveCapacity(decoded.count * 3)
        URIEncoding.append(encoding: decoded, keepSlash: false, to: &encoded)
        return encoded
    }

    /// The canonical headers block (each `name:value\n`) and the signed-headers list; see
    /// ``CanonicalHeaders``.
    static func canonicalHeaders(_ headers: [HTTPHeader]) -> (canonical: String, signed: String) {
        var signed = 0..<0
        let bytes = [UInt8](unsafeUninitializedCapacity: CanonicalHeaders.maximumLength(headers)) { buffer, initializedCount in
            var text = ByteWriter(buffer)
            signed = CanonicalHeaders.write(headers, to: &text)
            initializedCount = text.count
        }
        // Between the block and the list lies the newline of the blank line.
        let block = bytes[..<(signed.lowerBound - 1)]
        return (String(decoding: block, as: UTF8.self), String(decoding: bytes[signed], as: UTF8.self))
    }

    /// RFC 3986 `remove_dot_segments`, and repeated slashes collapsed as AWS services expect.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !output.isEmpty { output.removeLast() }
            default: output.append(segment)
            }
        }
        var result = path.hasPrefix("/") ? "/" : ""
        result += output.joined(separator: "/")
        if path.hasSuffix("/") && !output.isEmpty { result += "/" }
        return result
    }
}
