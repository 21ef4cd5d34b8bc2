import Foundation

/// Control characters in S3's XML answers, which XML 1.0 cannot carry: C0 characters other than
/// tab, line feed and carriage return, whether written as bytes or as character references
/// (`&#x01;`). Servers send them anyway: Ceph RGW spells a key's U+0001 `&#x01;` in the elements
/// it does not URL-encode under `encoding-type=url` (`NextKeyMarker`, `NextContinuationToken`,
/// `KeyMarker`, `StartAfter`), and moto writes the byte itself. libxml2 refuses such a document
/// outright, so one key could stop a listing whatever it asked for.
///
/// ``protect(_:)`` rewrites them before parsing into pairs of characters XML 1.0 allows, and
/// ``restore(_:)`` turns the parser's text back into the characters the server meant, as
/// XML 1.1 reads them (<https://www.w3.org/TR/xml11/#charsets>; NUL too, which not even XML 1.1
/// allows, rather than refusing the whole answer for one key). A pair is ``lead`` (a
/// noncharacter) followed by U+E000 plus the control character's value; a ``lead`` in the
/// document itself becomes two of them, so nothing else reads as a pair.
enum XMLControlCharacters {
    /// U+FDD0, a noncharacter: opens every pair.
    // Swift's literals refuse noncharacters, hence the initialiser.
    static let lead = Unicode.Scalar(UInt32(0xFDD0))!
    /// The second scalar of a pair is `base` plus the control character's value.
    static let base: UInt32 = 0xE000

    /// `data` with its control characters and ``lead`` characters rewritten, or `nil` when it
    /// has none (then there is nothing to restore). Character references inside CDATA sections
    /// and comments are text, not references, and are left as they are.
    static func protect(_ data: Data) -> Data? {
        // Most answers have none: they are scanned in place, not copied.
        guard data.withUnsafeBytes({ needsProtection($0.bindMemory(to: UInt8.self)) }) else { return nil }
        let bytes = [UInt8](data)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if let end = verbatimSectionEnd(bytes, at: index) {
                // CDATA or a comment: only raw control bytes and leads are rewritten.
                while index < end {
                    index = protectByte(bytes, at: index, into: &out)
                }
                continue
            }
            if byte == UInt8(ascii: "&"), let (value, end) = characterReference(bytes, at: index) {
                if isForbiddenControl(value) {
                    appendPair(for: value, to: &out)
                    index = end
                    continue
                }
                if value == lead.value {
                    appendScalar(lead, to: &out)
                    appendScalar(lead, to: &out)
                    index = end
                    continue
                }
            }
            index = protectByte(bytes, at: index, into: &out)
        }
        return Data(out)
    }

    /// `text` as the server meant it: each pair back to its control character, each doubled
    /// ``lead`` back to one.
    static func restore(_ text: String) -> String {
        guard text.unicodeScalars.contains(lead) else { return text }
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == lead, let next = scalars.next() else {
                out.append(scalar)
                continue
            }
            if next == lead {
                out.append(lead)
            } else if next.value >= base, next.value < base + 0x20, let control = Unicode.Scalar(next.value - base) {
                out.append(control)
            } else {
                // Not a pair protect(_:) wrote (it never leaves a lone lead): kept as it came.
                out.append(scalar)
                out.append(next)
            }
        }
        return String(out)
    }

    /// Characters XML 1.0 forbids but a server may mean: C0 controls but tab, LF and CR.
    static func isForbiddenControl(_ value: UInt32) -> Bool {
        value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D
    }

    /// Whether `bytes` holds a raw control character, a lead, or something that may be a
    /// reference to one (`&#`): the common document has none and is parsed as it is.
    private static func needsProtection(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0
        for (index, byte) in bytes.enumerated() {
            if isForbiddenControl(UInt32(byte)) { return true }
            if previous == UInt8(ascii: "&"), byte == UInt8(ascii: "#") { return true }
            if startsLead(bytes, at: index) { return true }
            previous = byte
        }
        return false
    }

    /// Copies the character at `index`, rewriting a raw control byte or a lead. Returns the
    /// index after it.
    private static func protectByte(_ bytes: [UInt8], at index: Int, into out: inout [UInt8]) -> Int {
        let byte = bytes[index]
        if isForbiddenControl(UInt32(byte)) {
            appendPair(for: UInt32(byte), to: &out)
            return index + 1
        }
        if startsLead(bytes, at: index) {
            appendScalar(lead, to: &out)
            appendScalar(lead, to: &out)
            return index + 3
        }
        out.append(byte)
        return index + 1
    }

    /// Whether ``lead``'s UTF-8 (EF B7 90) starts at `index`.
    private static func startsLead<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: Int) -> Bool
    where Bytes.Index == Int {
        index + 2 < bytes.endIndex && bytes[index] == 0xEF && bytes[index + 1] == 0xB7 && bytes[index + 2] == 0x90
    }

    /// The end (exclusive) of a CDATA section or comment starting at `index`, or `nil`. An
    /// unterminated one runs to the end: the parser reports it.
    private static func verbatimSectionEnd(_ bytes: [UInt8], at index: Int) -> Int? {
        let open: [UInt8], close: [UInt8]
        if bytes[index...].starts(with: "<![CDATA[".utf8) {
            (open, close) = (Array("<![CDATA[".utf8), Array("]]>".utf8))
        } else if bytes[index...].starts(with: "<!--".utf8) {
            (open, close) = (Array("<!--".utf8), Array("-->".utf8))
        } else {
            return nil
        }
        var end = index + open.count
        while end < bytes.count {
            if bytes[end...].starts(with: close) { return end + close.count }
            end += 1
        }
        return bytes.count
    }

    /// The value and end (exclusive) of a character reference (`&#1;`, `&#x01;`) at `index`.
    private static func characterReference(_ bytes: [UInt8], at index: Int) -> (UInt32, Int)? {
        var position = index + 1
        guard position < bytes.count, bytes[position] == UInt8(ascii: "#") else { return nil }
        position += 1
        var radix: UInt32 = 10
        if position < bytes.count, bytes[position] == UInt8(ascii: "x") {
            radix = 16
            position += 1
        }
        var value: UInt32 = 0
        var digits = 0
        while position < bytes.count, let digit = digitValue(bytes[position], radix: radix) {
            // Past U+10FFFF it is no character at all; the parser reports it.
            guard value <= 0x10FFFF else { return nil }
            value = value * radix + digit
            digits += 1
            position += 1
        }
        guard digits > 0, position < bytes.count, bytes[position] == UInt8(ascii: ";") else { return nil }
        return (value, position + 1)
    }

    private static func digitValue(_ byte: UInt8, radix: UInt32) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    private static func appendPair(for value: UInt32, to out: inout [UInt8]) {
        appendScalar(lead, to: &out)
        appendScalar(Unicode.Scalar(base + value)!, to: &out)
    }

    private static func appendScalar(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        out.append(contentsOf: Array(String(scalar).utf8))
    }
}
