import Foundation

/// Writes a spool record: little-endian integers, LEB128 lengths, UTF-8 strings. Its buffer
/// can be lent to it (`swap`) so records are encoded in place, with no array per record.
struct SpoolWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func double(_ value: Double) { int64(Int64(bitPattern: value.bitPattern)) }

    /// Appends `record` to `buffer` with its length before it, as a spool file holds records;
    /// the length goes straight into `buffer`, with no array of its own.
    static func appendRecord(_ record: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        var writer = SpoolWriter()
        swap(&writer.bytes, &buffer)
        writer.varint(UInt64(record.count))
        swap(&writer.bytes, &buffer)
        buffer.append(contentsOf: record)
    }

    /// Writes `bytes` with their length before them.
    mutating func field(_ field: UnsafeBufferPointer<UInt8>) {
        varint(UInt64(field.count))
        bytes.append(contentsOf: field)
    }

    /// Writes `value`'s length and UTF-8; returns whether it is all ASCII.
    @discardableResult
    mutating func string(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
            var high: UInt8 = 0
            for byte in utf8 { high |= byte }
            return high < 0x80
        }
    }
}

/// Reads a spool record written by ``SpoolWriter`` from bytes it borrows (it must not outlive
/// them); every read is bounds-checked, and a short or malformed record is an error, never a
/// crash.
struct SpoolReader {
    private let buffer: UnsafeBufferPointer<UInt8>
    private let end: Int
    private(set) var position: Int

    /// A reader of `range` of `buffer`, which must lie within it.
    init(_ buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count, "a spool reader's range is outside its buffer")
        self.buffer = buffer
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    struct Malformed: Error {}

    /// Whether the whole range is read.
    var isAtEnd: Bool { position >= end }

    /// The length prefix at the position, moving past it; `nil` when it is not all there.
    mutating func peekLength() -> Int? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var at = position
        while at < end, shift < 64 {
            let byte = buffer[at]
            value |= UInt64(byte & 0x7F) << shift
            at += 1
            if byte & 0x80 == 0 {
                position = at
                return value > UInt64(Int.max) ? Int.max : Int(value)
            }
            shift += 7
        }
        return nil
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
            let byte = buffer[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw Malformed()
    }

    mutating func byte() throws -> UInt8 {
        guard position < end else { throw Malformed() }
        defer { position += 1 }
        return buffer[position]
    }

    mutating func int64() throws -> Int64 {
        guard end - position >= 8 else { throw Malformed() }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(buffer[position + i]) << (8 * UInt64(i)) }
        position += 8
        return Int64(bitPattern: value)
    }

    mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: try int64())) }

    /// A length-prefixed field's bytes, as a range of the buffer, moving past them.
    mutating func field() throws -> Range<Int> {
        let count = try varint()
        guard count <= UInt64(end - position) else { throw Malformed() }
        let start = position
        position += Int(count)
        return start..<position
    }

    mutating func string() throws -> String {
        let range = try field()
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// Calls `body` with the bytes of `range` (from ``field()``).
    func withBytes<T>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(UnsafeBufferPointer(rebasing: buffer[range]))
    }

    /// Appends what is left of the record to `bytes`, moving to the end.
    mutating func appendRest(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[position..<end]))
        position = end
    }
}
