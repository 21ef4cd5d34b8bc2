import Foundation

/// Writes a spool record: little-endian integers, LEB128 lengths, UTF-8 strings.
struct SpoolWriter {
    private(set) var bytes: [UInt8] = []

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

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}

/// Reads a spool record written by ``SpoolWriter``; every read is bounds-checked, and a short
/// or malformed record is an error, never a crash.
struct SpoolReader {
    private let buffer: [UInt8]
    private let end: Int
    private(set) var position: Int

    init(_ buffer: [UInt8], range: Range<Int>) {
        self.buffer = buffer
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    struct Malformed: Error {}

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

    mutating func string() throws -> String {
        let count = try varint()
        guard count <= UInt64(end - position) else { throw Malformed() }
        let start = position
        position += Int(count)
        return buffer.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<(start + Int(count))]), as: UTF8.self) }
    }
}
