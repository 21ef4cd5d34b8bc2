import Foundation

/// Task 1 of SigV4: the canonical request, the exact text whose hash is signed.
///
/// ```
/// HTTPMethod \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload
/// ```
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.
public struct CanonicalRequest: Sendable, Hashable {
    /// The canonical request text.
    public let text: String
    /// The `;`-separated, sorted, lowercase names of the signed headers.
    public let signedHeaders: String
    /// `HexEncode(SHA256(text))`, the last line of the string to sign.
    public let hash: String

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
        let entries = Self.headerEntries(headers)
        // One byte buffer for the whole text, sized up front, hashed as is and turned into a
        // String once: this runs for every request sent, and String appends cost more.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.utf8.count + uri.utf8.count + canonicalQuery.utf8.count + payloadHash.utf8.count
            + entries.reduce(8) { $0 + 2 * $1.name.utf8.count + $1.value.utf8.count + 2 })
        bytes += Self.asciiUppercased(method).utf8
        bytes.append(Self.newline)
        bytes += uri.utf8
        bytes.append(Self.newline)
        bytes += canonicalQuery.utf8
        bytes.append(Self.newline)
        let signedHeaders = Self.appendCanonicalHeaders(entries, to: &bytes)
        bytes.append(Self.newline)
        bytes += signedHeaders.utf8
        bytes.append(Self.newline)
        bytes += payloadHash.utf8
        self.text = String(decoding: bytes, as: UTF8.self)
        self.signedHeaders = signedHeaders
        self.hash = Hex.sha256(bytes)
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

    /// The canonical headers block (each `name:value\n`) and the signed-headers list.
    /// Names are lowercased; values trimmed with inner whitespace runs collapsed to one space;
    /// repeated names joined with `,` in the order given.
    static func canonicalHeaders(_ headers: [HTTPHeader]) -> (canonical: String, signed: String) {
        var canonical: [UInt8] = []
        let signed = appendCanonicalHeaders(headerEntries(headers), to: &canonical)
        return (String(decoding: canonical, as: UTF8.self), signed)
    }

    typealias HeaderEntry = (name: String, value: String)

    /// The signed headers, lowercased and trimmed, sorted by name (stable for repeated names).
    static func headerEntries(_ headers: [HTTPHeader]) -> [HeaderEntry] {
        var entries: [HeaderEntry] = []
        entries.reserveCapacity(headers.count)
        for header in headers {
            let name = asciiLowercased(header.name)
            if isUnsigned(name) { continue }
            entries.append((name, trimmed(header.value)))
        }
        // Insertion sort: requests carry a handful of headers, it is stable (repeated names
        // keep their order), and it avoids the general sort's buffer and closure calls.
        var sorted = 1
        while sorted < entries.count {
            var index = sorted
            while index > 0, utf8Precedes(entries[index].name, entries[index - 1].name) {
                entries.swapAt(index, index - 1)
                index -= 1
            }
            sorted += 1
        }
        return entries
    }

    /// Byte-wise order of the UTF-8 forms, by `memcmp` on the contiguous storage.
    private static func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                // An empty buffer may have no base address; it sorts first either way.
                guard let first = a.baseAddress, let second = b.baseAddress else { return a.count < b.count }
                let order = memcmp(first, second, min(a.count, b.count))
                return order != 0 ? order < 0 : a.count < b.count
            }
        }
    }

    /// Appends `name:value\n` per header name to `text` and returns the signed-headers list.
    static func appendCanonicalHeaders(_ entries: [HeaderEntry], to text: inout [UInt8]) -> String {
        var signed: [UInt8] = []
        signed.reserveCapacity(entries.reduce(0) { $0 + $1.name.utf8.count + 1 })
        var index = 0
        while index < entries.count {
            let name = entries[index].name
            if !signed.isEmpty { signed.append(UInt8(ascii: ";")) }
            signed += name.utf8
            text += name.utf8
            text.append(UInt8(ascii: ":"))
            text += entries[index].value.utf8
            index += 1
            while index < entries.count, entries[index].name == name {
                text.append(UInt8(ascii: ","))
                text += entries[index].value.utf8
                index += 1
            }
            text.append(newline)
        }
        return String(decoding: signed, as: UTF8.self)
    }

    /// Headers that are never signed: hop-by-hop fields a proxy may drop or rewrite, and the
    /// tracing and user-agent fields that infrastructure adds; the same list as botocore.
    /// A switch rather than a set: it runs for every header of every request, and comparing
    /// short strings beats hashing them.
    static func isUnsigned(_ lowercasedName: String) -> Bool {
        switch lowercasedName {
        case "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
             "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id":
            return true
        default:
            return false
        }
    }

    private static func asciiUppercased(_ method: String) -> String {
        if !method.utf8.contains(where: { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) { return method }
        return method.uppercased()
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || (byte >= 0x09 && byte <= 0x0D)
    }

    /// `Trimall`: leading and trailing whitespace removed, runs of whitespace made one space.
    static func trimmed(_ value: String) -> String {
        var value = value
        let needsWork = value.withUTF8 { bytes -> Bool in
            guard let first = bytes.first, let last = bytes.last else { return false }
            if isWhitespace(first) || isWhitespace(last) { return true }
            var previousWasSpace = false
            for byte in bytes {
                guard isWhitespace(byte) else { previousWasSpace = false; continue }
                if previousWasSpace || byte != UInt8(ascii: " ") { return true }
                previousWasSpace = true
            }
            return false
        }
        if !needsWork { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if isWhitespace(byte) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
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
