import NIOCore
import Synchronization
import _NIOFileSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large-block file reads through reused buffers, on the file system's thread pool (downloads
/// write through ``DownloadWriter``).
///
/// Why not `readChunks`/`write(contentsOf:)`: they allocate a fresh buffer for every chunk and
/// hop to the thread pool once per chunk. At transfer sizes that is tens of thousands of page
/// faults (fresh memory the kernel must zero) and thread wake-ups per GiB, which cost about as
/// much client CPU as the SHA-256 the transfer needs (measured with `perf` on a 1 GiB upload:
/// 47,000 minor faults per 256 MiB). Here each transfer task reuses a few buffers, and every
/// read moves a whole block in one system call.
enum FileBlocks {
    /// Block size for file I/O in transfers: large enough that system calls and thread hops are
    /// rare, small enough that buffers per transfer stay a few MiB (128 KiB to 1 MiB measured
    /// the same CPU on a 1 GiB upload).
    static let blockSize = 1024 * 1024
    /// Buffers a request body cycles through. async-http-client may read a block or two ahead
    /// of what the channel has written; with three, a buffer is nearly always free again when
    /// its turn comes (measured: 2 of 3 blocks reused with two buffers, 9 of 10 with three).
    static let sendBuffers = 3

    /// Reads `length` bytes at `offset` into `buffer`, replacing its content. The buffer's
    /// storage is reused when nothing else holds it (otherwise fresh storage is taken: a
    /// buffer still queued in a channel is never overwritten).
    ///
    /// With `direct` (the handle's descriptor has `O_DIRECT` and `offset` is aligned), the
    /// bytes are read around the page cache straight into the buffer's storage, at the first
    /// aligned address in it: the buffer's readable bytes start there, no copy is made. See
    /// ``DirectIO/read(_:into:length:at:direct:)`` for the fallback.
    ///
    /// - Throws: ``TransferError/fileChanged(_:)`` when the file ends before `offset + length`:
    ///   it shrank since its size was taken, and its checksum would no longer describe it.
    static func read(_ handle: some FileHandleProtocol, offset: Int64, length: Int, into buffer: inout ByteBuffer,
                     path: String, direct: inout Bool) async throws {
        buffer.clear(minimumCapacity: direct ? DirectIO.roundUp(length) + DirectIO.alignment : length)
        guard length > 0 else { return }
        let target = buffer.withUnsafeMutableWritableBytes { SendableBytes(UnsafeRawBufferPointer($0)) }
        guard let base = target.bytes.baseAddress else { throw TransferError.fileChanged(path) }
        let address = Int(bitPattern: base)
        let skip = direct ? (DirectIO.alignment - address % DirectIO.alignment) % DirectIO.alignment : 0
        let asDirect = direct
        let (count, stillDirect) = try await handle.withUnsafeDescriptor { descriptor -> (Int, Bool) in
            // The pointer stays valid: `buffer` (inout, so exclusively ours) keeps the storage
            // alive and untouched until this returns.
            var useDirect = asDirect
            guard let start = target.bytes.baseAddress else { return (0, useDirect) }
            let count = try DirectIO.read(descriptor.rawValue, into: UnsafeMutableRawPointer(mutating: start) + skip,
                                          length: length, at: offset, direct: &useDirect)
            return (count, useDirect)
        }
        direct = stillDirect
        guard count == length else { throw TransferError.fileChanged(path) }
        buffer.moveWriterIndex(forwardBy: skip + count)
        buffer.moveReaderIndex(forwardBy: skip)
    }

    /// ``read(_:offset:length:into:path:direct:)`` through the page cache.
    static func read(_ handle: some FileHandleProtocol, offset: Int64, length: Int, into buffer: inout ByteBuffer,
                     path: String) async throws {
        var direct = false
        try await read(handle, offset: offset, length: length, into: &buffer, path: path, direct: &direct)
    }

    /// The bytes `range` of an open file as a request body: `blockSize` blocks read into
    /// `sendBuffers` buffers used in turn. By the time a buffer comes round again the channel
    /// has usually written it, so its storage is reused; if not, copy-on-write gives the new
    /// block fresh storage, so a block still queued in the channel never changes.
    struct Chunks<Handle: FileHandleProtocol & Sendable>: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let handle: Handle
        let range: Range<Int64>
        let path: String
        /// Whether the handle's descriptor has `O_DIRECT` (with `range` starting aligned).
        var direct = false
        /// Told of every block handed over, and of the end (see ``SendWatchdog``).
        var watchdog: SendWatchdog?

        struct AsyncIterator: AsyncIteratorProtocol {
            let chunks: Chunks
            var next: Int64
            let lease = BlockLease(count: FileBlocks.sendBuffers)
            var turn = 0
            var direct: Bool

            mutating func next() async throws -> ByteBuffer? {
                guard next < chunks.range.upperBound else {
                    chunks.watchdog?.finished()
                    return nil
                }
                chunks.watchdog?.progressed()
                let length = Int(Swift.min(Int64(FileBlocks.blockSize), chunks.range.upperBound - next))
                turn = (turn + 1) % lease.buffers.count
                try await FileBlocks.read(chunks.handle, offset: next, length: length, into: &lease.buffers[turn],
                                          path: chunks.path, direct: &direct)
                next += Int64(length)
                return lease.buffers[turn]
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(chunks: self, next: range.lowerBound, direct: direct && DirectIO.isAligned(range.lowerBound))
        }
    }

    /// Block buffers kept between transfers (at most `poolLimit`), so a transfer's parts reuse
    /// memory the process already has instead of faulting in fresh pages for every part.
    static let pool = Mutex<[ByteBuffer]>([])
    static let poolLimit = 32
}

/// Block buffers taken from ``FileBlocks/pool`` for one reader, given back when it is dropped
/// (a request body's iterator is dropped by async-http-client when the body is sent). A
/// buffer given back while a channel still holds it is safe: its next user's `clear` sees the
/// storage shared and takes fresh storage.
final class BlockLease: @unchecked Sendable {
    // Only the owning reader touches `buffers` (one task at a time); the pool is locked.
    var buffers: [ByteBuffer]

    init(count: Int) {
        buffers = FileBlocks.pool.withLock { pool in
            (0..<count).map { _ in pool.popLast() ?? ByteBuffer() }
        }
    }

    deinit {
        let buffers = self.buffers
        FileBlocks.pool.withLock { pool in
            for buffer in buffers where pool.count < FileBlocks.poolLimit { pool.append(buffer) }
        }
    }
}

/// A buffer pointer handed to the thread pool for one system call while its owner waits.
private struct SendableBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}
