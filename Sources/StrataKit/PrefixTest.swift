import Foundation

/// Whether a key starts with one of the policies' prefixes, as `String.hasPrefix` says, tested on
/// the bytes where that is the same answer: a report's rows are millions of keys.
struct PrefixTest: Sendable {
    private let prefixes: [String]
    private let bytes: [[UInt8]]
    private let allASCII: Bool

    init(_ prefixes: [String]) {
        self.prefixes = prefixes
        bytes = prefixes.map { Array($0.utf8) }
        allASCII = bytes.allSatisfy { $0.allSatisfy { $0 < 0x80 } }
    }

    /// Whether `key` starts with one of the prefixes.
    func matches(_ key: String) -> Bool {
        var key = key
        // `hasPrefix` matches canonically equivalent text ending on a character boundary; for
        // ASCII that is the same bytes, but for a CR followed by LF (one character). Keys or
        // prefixes that are not ASCII, and that one case, take the `String` test.
        let byBytes: Bool? = key.withUTF8 { utf8 in
            guard allASCII, !utf8.contains(where: { $0 >= 0x80 }) else { return nil }
            for prefix in bytes where prefix.count <= utf8.count && prefix.elementsEqual(UnsafeBufferPointer(rebasing: utf8[..<prefix.count])) {
                if prefix.last == 13, prefix.count < utf8.count, utf8[prefix.count] == 10 { return nil }
                return true
            }
            return false
        }
        return byBytes ?? prefixes.contains { key.hasPrefix($0) }
    }
}
