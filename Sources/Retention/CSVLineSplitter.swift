#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits one CSV line into fields where it lies, without copying: a field is a range of the
/// line's bytes. Fields may be quoted, with `""` for a quote inside; such a field is unescaped in
/// place (it only ever shrinks), so the line buffer must be writable and is changed.
///
/// This is the inner loop of reading an S3 Inventory report (a dozen fields a row, millions of
/// rows), so it works on a raw buffer and finds quotes and commas with `memchr` rather than
/// going through generic collection code byte by byte.
enum CSVLineSplitter {
    /// Why a line is not CSV.
    enum Failure: Error, Equatable {
        case unterminatedQuote
        case textAfterClosingQuote

        /// The error text the report reader gives (the words of the original reader).
        var message: String {
            switch self {
            case .unterminatedQuote: "unterminated quoted field"
            case .textAfterClosingQuote: "text after a closing quote"
            }
        }
    }

    static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ",")

    /// Replaces `fields` with the field ranges of `line` (offsets from its start). A line with no
    /// comma is one field; a trailing comma ends with an empty field.
    static func split(_ line: UnsafeMutableBufferPointer<UInt8>, into fields: inout [Range<Int>]) throws(Failure) {
        fields.removeAll(keepingCapacity: true)
        guard let base = line.baseAddress else {
            fields.append(0..<0)
            return
        }
        let end = line.count
        var index = 0
        while true {
            if index < end, base[index] == quote {
                let (range, next) = try quoted(base, from: index + 1, end: end)
                fields.append(range)
                index = next
                guard index == end || base[index] == comma else { throw .textAfterClosingQuote }
            } else {
                let next = find(comma, in: base, from: index, end: end)
                fields.append(index..<next)
                index = next
            }
            if index == end { return }
            index += 1  // the comma
        }
    }

    /// Reads a quoted field whose text starts at `start`: its value's range (unescaped in place)
    /// and the offset just past the closing quote.
    private static func quoted(_ base: UnsafeMutablePointer<UInt8>, from start: Int, end: Int) throws(Failure) -> (Range<Int>, Int) {
        var read = start, write = start
        while true {
            let close = find(quote, in: base, from: read, end: end)
            guard close < end else { throw .unterminatedQuote }
            // The regions overlap once a `""` has shifted the value left; memmove allows that.
            if write != read { memmove(base + write, base + read, close - read) }
            write += close - read
            guard close + 1 < end, base[close + 1] == quote else { return (start..<write, close + 1) }
            // `""`: one quote of the value.
            base[write] = quote
            write += 1
            read = close + 2
        }
    }

    /// The offset of the first `byte` in `base[from..<end]`, or `end`.
    @inline(__always)
    private static func find(_ byte: UInt8, in base: UnsafeMutablePointer<UInt8>, from: Int, end: Int) -> Int {
        guard from < end, let found = memchr(base + from, Int32(byte), end - from) else { return end }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}
