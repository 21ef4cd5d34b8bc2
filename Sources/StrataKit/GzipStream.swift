import CompressNIO
import NIOCore

/// Decompresses one gzip stream (RFC 1952) fed a chunk at a time, through compress-nio's
/// `ZlibDecompressor`, and tells a whole stream from a damaged one, which compress-nio's
/// streaming helpers do not: they take a stream cut short for a finished one, and loop without
/// end on bytes after the stream's end.
///
/// - A stream cut short is caught by the member's trailer: its last four bytes (ISIZE) are the
///   uncompressed length modulo 2^32, which the bytes of a cut stream match by chance only.
/// - Bytes after the end of the stream (a second member, or anything else) are refused: a report's
///   data file is one gzip stream.
/// See https://www.rfc-editor.org/rfc/rfc1952#section-2.3.1
struct GzipStream {
    /// What is wrong with a stream.
    enum Damage: Error, Equatable, CustomStringConvertible {
        /// The stream ended before its last block and trailer.
        case cutShort
        /// Bytes follow the end of the stream.
        case trailingBytes

        var description: String {
            switch self {
            case .cutShort: "the gzip stream is cut short (its length does not match its trailer)"
            case .trailingBytes: "bytes follow the end of the gzip stream"
            }
        }
    }

    private let decompressor: ZlibDecompressor
    private var window: ByteBuffer
    /// Whether inflate reported the end of the stream with input left over.
    private var ended = false
    /// Uncompressed bytes so far, modulo 2^32 as ISIZE counts them.
    private var produced: UInt32 = 0
    /// The last four bytes of input seen: the trailer's ISIZE once the input is all in.
    private var tail: [UInt8] = []

    /// A decompressor that hands out up to `windowSize` bytes at a time.
    init(windowSize: Int = 1 << 20) throws {
        decompressor = try ZlibDecompressor(algorithm: .gzip)
        window = ByteBuffer(repeating: 0, count: windowSize)
        window.clear()
    }

    /// Decompresses `chunk`, the stream's next bytes, handing each filled window to `body`.
    /// - Throws: ``Damage/trailingBytes``; `CompressNIOError` for data that is not deflate; what `body` throws.
    mutating func feed(_ chunk: ByteBuffer, _ body: (ByteBuffer) throws -> Void) throws {
        var input = chunk
        tail = Array((tail + input.readableBytesView.suffix(4)).suffix(4))
        while input.readableBytes > 0 {
            if ended { throw Damage.trailingBytes }
            let before = input.readableBytes
            let written = window.writerIndex
            var windowFull = false
            do {
                try decompressor.inflate(from: &input, to: &window)
                // A call that returns without an error took all the input it was given, or
                // reached the stream's end: input left over is past the end.
                if input.readableBytes > 0 { ended = true }
            } catch let error as CompressNIOError where error == .bufferOverflow {
                windowFull = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // All input taken; the stream goes on in the next chunk.
            }
            produced &+= UInt32(truncatingIfNeeded: window.writerIndex - written)
            if windowFull {
                try body(window)
                window.clear()
            } else if input.readableBytes == before && window.writerIndex == written {
                // No progress and no error: never loop on it.
                ended = true
            }
        }
        if window.readableBytes > 0 {
            try body(window)
            window.clear()
        }
    }

    /// Checks, once every chunk is fed, that the stream was whole.
    /// - Throws: ``Damage/cutShort``.
    func finish() throws {
        guard tail.count == 4 else { throw Damage.cutShort }
        let size = UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24
        guard size == produced else { throw Damage.cutShort }
    }
}
