/// Writes bytes into a buffer of fixed size (on the stack, or a new String's storage), checking
/// every write against the end: the short texts of the signing path (string to sign,
/// `Authorization`, hex signatures, timestamps) are assembled without intermediate arrays.
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// How many bytes have been written, from the start of the buffer.
    private(set) var count = 0

    /// Forgets what was written from `position` on.
    mutating func rewind(to position: Int) {
        precondition(position >= 0 && position <= count, "ByteWriter: rewinding past the start")
        count = position
    }

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// The bytes written so far.
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: buffer[..<count])
    }

    /// The bytes written so far, untyped (what hash functions take).
    var written: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(bytes)
    }

    mutating func append(_ byte: UInt8) {
        precondition(count < buffer.count, "ByteWriter: buffer too small")
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) {
        append(UnsafeBufferPointer(rebasing: bytes))
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= buffer.count - count, "ByteWriter: buffer too small")
        guard let source = bytes.baseAddress, let target = buffer.baseAddress else { return }
        (target + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ append($0) }) != nil { return }
        for byte in bytes { append(byte) }
    }

    mutating func append(_ text: String) {
        append(text.utf8)
    }

    /// Appends the last `width` decimal digits of `value`'s magnitude, zero-padded.
    mutating func append(_ value: Int64, width: Int) {
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value.magnitude
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Appends `bytes` as lowercase hex, two digits a byte (SigV4's `HexEncode`).
    mutating func appendHex(_ bytes: UnsafeRawBufferPointer) {
        precondition(2 * bytes.count <= buffer.count - count, "ByteWriter: buffer too small")
        var position = count
        for byte in bytes {
            buffer[position] = Self.hexDigit(byte >> 4)
            buffer[position + 1] = Self.hexDigit(byte & 0x0F)
            position += 2
        }
        count = position
    }

    /// Appends `bytes` with ASCII letters lowercased.
    mutating func appendLowercased(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= buffer.count - count, "ByteWriter: buffer too small")
        var position = count
        for byte in bytes {
            buffer[position] = lowercaseASCII(byte)
            position += 1
        }
        count = position
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }
}
