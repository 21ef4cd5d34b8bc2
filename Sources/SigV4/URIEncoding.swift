/// AWS's `UriEncode`: the one percent-encoding SigV4 accepts, for wire paths, query strings and
/// their canonical forms alike.
///
/// Unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept; every other byte of the UTF-8 form
/// becomes `%XX` with uppercase hex. `/` is kept only when asked (object key paths).
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.
public enum URIEncoding {
    /// Percent-encodes `text` the way SigV4 does.
    /// - Parameters:
    ///   - text: Any string; encoded from its UTF-8 bytes.
    ///   - keepSlash: Keep `/` as is (for paths) instead of encoding it as `%2F` (for query parts).
    public static func encode(_ text: some StringProtocol, keepSlash: Bool = false) -> String {
        if isCanonical(text.utf8, keepSlash: keepSlash) { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        append(encoding: text.utf8, keepSlash: keepSlash, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Percent-encodes a path, keeping `/`: `encode(path, keepSlash: true)`.
    public static func encodePath(_ path: some StringProtocol) -> String {
        encode(path, keepSlash: true)
    }

    /// Builds a query string from name/value pairs, each part encoded, in the given order.
    /// An empty value is written as `name=`, as the canonical form requires.
    public static func query(_ items: [(name: String, value: String)]) -> String {
        var out: [UInt8] = []
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            append(encoding: item.name.utf8, keepSlash: false, to: &out)
            out.append(UInt8(ascii: "="))
            append(encoding: item.value.utf8, keepSlash: false, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes to bytes. A `%` not followed by two hex digits is kept literally,
    /// and `+` stays `+`: SigV4 follows RFC 3986, not HTML forms.
    public static func decode(_ text: some StringProtocol) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        decode(text.utf8, into: &out)
        return out
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func isCanonical(_ bytes: some Sequence<UInt8>, keepSlash: Bool) -> Bool {
        for byte in bytes where !(isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/"))) {
            return false
        }
        return true
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func append(encoding bytes: some Sequence<UInt8>, keepSlash: Bool, to out: inout [UInt8]) {
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    /// Decodes the URL encoding S3 uses for listing keys (`encoding-type=url`) and S3 Inventory
    /// reports: `%XX` escapes, and `+` as a space (application/x-www-form-urlencoded; a literal
    /// `+` comes as `%2B`). `nil` when an escape is not two hex digits or the bytes are not UTF-8:
    /// unlike ``decode(_:)``, an answer that does not decode is an error, not a literal.
    public static func formDecoded(_ text: some StringProtocol) -> String? {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    static func decode<C: Collection<UInt8>>(_ bytes: C, into out: inout [UInt8]) {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                if first != bytes.endIndex {
                    let second = bytes.index(after: first)
                    if second != bytes.endIndex, let high = hexValue(bytes[first]), let low = hexValue(bytes[second]) {
                        out.append(high << 4 | low)
                        index = bytes.index(after: second)
                        continue
                    }
                }
            }
            out.append(byte)
            index = bytes.index(after: index)
        }
    }
}
