/// One HTTP header field as sent on the wire: the name keeps its case, the value is raw.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>
/// for how SigV4 canonicalizes them (lowercased names, trimmed values, repeated names joined by `,`).
public struct HTTPHeader: Sendable, Hashable, CustomStringConvertible {
    /// The field name, e.g. `Content-Type`.
    public var name: String
    /// The field value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// `name: value`, except the values of `Authorization` and `X-Amz-Security-Token`, which
    /// are redacted so signed headers can be logged.
    public var description: String {
        switch name.lowercased() {
        case "authorization", "x-amz-security-token": return "\(name): <redacted>"
        default: return "\(name): \(value)"
        }
    }
}

extension Array where Element == HTTPHeader {
    /// The value of the first field named `name` (compared case-insensitively).
    public func first(named name: String) -> String? {
        first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

extension StringProtocol {
    func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return withUTF8Bytes { a in
            other.withUTF8Bytes { b in
                for index in a.indices where lowercaseASCII(a[index]) != lowercaseASCII(b[index]) { return false }
                return true
            }
        }
    }

    /// Runs `body` on the UTF-8 bytes, in place when the storage is contiguous (native and
    /// small strings): iterating `utf8` byte by byte costs several times more.
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(self)
        return copy.withUTF8(body)
    }
}

@inline(__always)
func lowercaseASCII(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}

/// ASCII-only lowercasing, returning `text` itself when there is nothing to change: header
/// names and hosts are ASCII, and `String.lowercased()` allocates and consults Unicode tables.
func asciiLowercased(_ text: String) -> String {
    if !text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) { return text }
    return String(unsafeUninitializedCapacity: text.utf8.count) { buffer in
        var count = 0
        for byte in text.utf8 {
            buffer[count] = lowercaseASCII(byte)
            count += 1
        }
        return count
    }
}

@inline(__always)
func uppercaseASCII(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte & 0xDF : byte
}
