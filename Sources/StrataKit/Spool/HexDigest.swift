import Foundation

/// An ETag that is an MD5 in 32 lowercase hex digits, as S3 gives most, kept in its 16 bytes:
/// half the room in a spool record, and the same text back.
struct HexDigest {
    private var high: UInt64 = 0, low: UInt64 = 0

    /// The digest `text` spells; `nil` unless it is exactly 32 lowercase hex digits.
    init?(_ text: String) {
        var text = text
        guard let value = text.withUTF8({ utf8 -> (UInt64, UInt64)? in
            guard utf8.count == 32 else { return nil }
            var words: (UInt64, UInt64) = (0, 0)
            for (index, byte) in utf8.enumerated() {
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                default: return nil
                }
                if index < 16 { words.0 = words.0 << 4 | UInt64(nibble) } else { words.1 = words.1 << 4 | UInt64(nibble) }
            }
            return words
        }) else { return nil }
        (high, low) = value
    }

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    func write(into writer: inout SpoolWriter) {
        writer.int64(Int64(bitPattern: high))
        writer.int64(Int64(bitPattern: low))
    }

    /// The digest's text, read from a record.
    static func read(_ reader: inout SpoolReader) throws -> String {
        let digest = HexDigest(high: UInt64(bitPattern: try reader.int64()), low: UInt64(bitPattern: try reader.int64()))
        return digest.text
    }

    var text: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            for index in 0..<32 {
                let word = index < 16 ? high : low
                let nibble = UInt8(truncatingIfNeeded: word >> UInt64(4 * (15 - index % 16))) & 15
                buffer[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 32
        }
    }
}
