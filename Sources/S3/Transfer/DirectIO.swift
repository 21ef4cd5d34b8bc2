import CStrataSystem
import NIOCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File I/O around the page cache (`O_DIRECT`), for the bulk passes of transfers: a download's
/// writes (``DownloadWriter``) and both of an upload's reads (hash, send). Copying a GiB through the page cache
/// was the largest share of a transfer's CPU after SHA-256; direct I/O moves it by DMA.
///
/// Direct I/O needs memory, file offsets and lengths aligned to ``alignment``. Callers keep to
/// that (blocks of ``AlignedBlock``, ranges and parts that are multiples of 4 KiB) and fall back
/// to the page cache, with the same bytes, where they cannot or the file system refuses.
enum DirectIO {
    /// Alignment of direct I/O: memory, file offsets and lengths.
    static let alignment = 4096

    /// Sets or clears `O_DIRECT` on `descriptor`; false when the platform or file system refuses.
    static func set(_ descriptor: CInt, _ on: Bool) -> Bool {
        let flag = cstrata_o_direct()
        let flags = fcntl(descriptor, F_GETFL)
        guard flag != 0, flags >= 0 else { return false }
        return fcntl(descriptor, F_SETFL, on ? flags | flag : flags & ~flag) == 0
    }

    /// Reads `length` bytes at `offset` into `destination`, fewer only at the end of the file.
    /// With `direct` (the descriptor has `O_DIRECT`, `destination` and `offset` are aligned,
    /// and `destination` has room for `length` rounded up), asks for whole aligned blocks: a
    /// read past the end is short, and what lies past `length` is ignored. If the file system
    /// refuses, clears `O_DIRECT` and `direct` for good and goes on through the page cache.
    static func read(_ descriptor: CInt, into destination: UnsafeMutableRawPointer, length: Int, at offset: Int64,
                     direct: inout Bool) throws -> Int {
        var done = 0
        var cleared = false
        while done < length {
            let want = direct ? roundUp(length) : length
            let read = pread(descriptor, destination + done, want - done, off_t(offset + Int64(done)))
            if read < 0 {
                if errno == EINTR { continue }
                if errno == EINVAL, !cleared {
                    // Refused as direct I/O (or a read the caller meant to be buffered met a
                    // descriptor that still has O_DIRECT): the page cache from here on.
                    cleared = true
                    direct = false
                    _ = set(descriptor, false)
                    continue
                }
                throw Errno(rawValue: errno)
            }
            if read == 0 { break }
            done += read
        }
        return min(done, length)
    }

    /// `count` rounded up to a multiple of ``alignment``.
    static func roundUp(_ count: Int) -> Int { (count + alignment - 1) / alignment * alignment }

    /// Whether `value` (an offset or size) is a multiple of ``alignment``.
    static func isAligned(_ value: Int64) -> Bool { value % Int64(alignment) == 0 }
}

/// ``size`` bytes of memory aligned for direct I/O, owned by one task at a time (and lent to an
/// I/O thread while that task awaits the system call).
final class AlignedBlock: @unchecked Sendable {
    /// Bytes per block: ``FileBlocks/blockSize``, a multiple of ``DirectIO/alignment``.
    static let size = FileBlocks.blockSize

    let base: UnsafeMutableRawPointer
    /// Bytes held so far.
    var count = 0
    var isFull: Bool { count == Self.size }

    init() {
        base = UnsafeMutableRawPointer.allocate(byteCount: Self.size, alignment: DirectIO.alignment)
    }

    deinit { base.deallocate() }

    /// The bytes held.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Copies as much of `buffer`'s readable bytes as fit, consuming them.
    func append(_ buffer: inout ByteBuffer) {
        let take = min(buffer.readableBytes, Self.size - count)
        guard take > 0 else { return }
        buffer.withUnsafeReadableBytes { bytes in
            if let source = bytes.baseAddress { (base + count).copyMemory(from: source, byteCount: take) }
        }
        buffer.moveReaderIndex(forwardBy: take)
        count += take
    }
}
