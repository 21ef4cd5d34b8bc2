import Foundation
import SigV4

/// Reading one S3 Inventory field's value from its raw bytes: the URL-encoded key, the byte
/// count, the time, and exact comparisons with fixed words. Each reads exactly what the
/// `String`-based reading it replaces accepted (``S3InventoryCSV`` kept those answers, down to
/// `+5` and `-0` as sizes), but without building a `String` first, because a report has
/// millions of rows and each `String` costs an allocation and a UTF-8 check.
enum InventoryFieldBytes {
    /// Whether `bytes` are exactly the ASCII word `word`. The words compared are all ASCII letters
    /// with no other canonically equivalent spelling, so this is what `String ==` answered.
    @inline(__always)
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount && memcmp(bytes.baseAddress!, word.utf8Start, bytes.count) == 0
    }

    /// The text of a field as `String(decoding:as:)` gives it (bad UTF-8 repaired), for values kept
    /// verbatim and for error messages.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The key from its URL encoding (`%XX`, `+` for a space); `nil` for a malformed escape or
    /// decoded bytes that are not UTF-8.
    ///
    /// A key with no `%` or `+` is its own text. An all-ASCII key with escapes is decoded into a
    /// scratch buffer and validated once. A key with raw non-ASCII bytes takes the original path
    /// (repair, then decode), whose answer for broken raw UTF-8 next to escapes is subtle.
    static func key(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var escaped = false, ascii = true
        for byte in bytes {
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") { escaped = true }
            if byte >= 0x80 { ascii = false }
        }
        guard escaped else { return text(bytes) }
        guard ascii else { return URIEncoding.formDecoded(text(bytes)) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { out -> String? in
            var count = 0, index = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "+"): out[count] = UInt8(ascii: " ")
                case UInt8(ascii: "%"):
                    guard index + 1 < bytes.count, let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                        return nil
                    }
                    out[count] = high << 4 | low
                    index += 2
                default: out[count] = byte
                }
                count += 1
            }
            return String(validating: UnsafeBufferPointer(rebasing: out[..<count]), as: UTF8.self)
        }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// A byte count as `Int64(String)` reads it and the reader then accepts (not negative): an
    /// optional `+` or `-`, then decimal digits, at most `Int64.max`; `-0` is 0. `nil` otherwise.
    static func byteCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(digit))
            // Past Int64.max: no byte count, and for a negative text no value of 0 either.
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        // A negative count is refused, but `-0` is 0 as `Int64("-0")` says.
        return negative && value != 0 ? nil : value
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, as the report writes times (1 to 9 fraction digits).
    static func date(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        let count = b.count
        guard count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[count - 1] == UInt8(ascii: "Z") else { return nil }
        @inline(__always) func number(_ from: Int, _ to: Int) -> Int64? {
            var value: Int64 = 0
            for i in from..<to {
                let digit = b[i] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 7), let day = number(8, 10),
              let hour = number(11, 13), let minute = number(14, 16), let second = number(17, 19),
              (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if count > 20 {
            guard b[19] == UInt8(ascii: "."), count > 21, count <= 30, let digits = number(20, count - 1) else { return nil }
            fraction = Double(digits) / powersOfTen[count - 21]
        }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction)
    }

    /// 10^0 ... 10^9, each exact in a Double (what `pow(10, n)` gives for them).
    private static let powersOfTen: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]
}
