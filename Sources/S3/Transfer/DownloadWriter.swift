import NIOCore
import NIOPosix
import Synchronization
import _NIOFileSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a download's ranges into its file, from one thread, around the page cache where the
/// file system allows (`O_DIRECT`).
///
/// Why around the page cache: copying a GiB into fresh page-cache pages was most of a
/// download's client CPU, and the most variable part (`perf`: `copy_folio_from_iter_atomic`,
/// 1.2 to 2.5 s per GiB; `dd` here: 0.26 to 2.06 s of system time buffered against 0.11 s with
/// `oflag=direct`). A restored backup is read once, by its restore, so caching it buys nothing.
///
/// Why one thread: ranges writing the same file from several threads contend for the inode's
/// write lock, and the kernel spins on it (`rwsem_spin_on_owner`, 9% of a download's CPU).
///
/// Direct writes need aligned memory, offsets and lengths. Each range fills 1 MiB ``AlignedBlock``
/// blocks (4 KiB-aligned memory) and writes them at range offsets that stay aligned when the
/// range size is a multiple of 4 KiB; the file's last block is padded with zeros and the file
/// cut to size by ``finish(size:)``. Anything else (an unaligned range size, a file system that
/// refuses `O_DIRECT`, such as tmpfs) goes through the page cache, with the same bytes.
final class DownloadWriter: Sendable {
    /// Bytes staged per write.
    static let blockSize = AlignedBlock.size

    /// The file's descriptor, valid while the handle it came from is open. Its `O_DIRECT` flag
    /// is set while ``isDirect`` and cleared before the handle is given back.
    private let descriptor: CInt
    /// Cleared when a direct write is refused; from then on every write goes through the page cache.
    private let directWorks: Atomic<Bool>
    private let thread: NIOThreadPool

    private init(descriptor: CInt, direct: Bool, thread: NIOThreadPool) {
        self.descriptor = descriptor
        self.directWorks = Atomic(direct)
        self.thread = thread
    }

    /// Runs `body` with a writer for the file open as `handle`, written in ranges of
    /// `rangeSize` bytes (see ``with(descriptor:rangeSize:_:)``).
    static func with<R: Sendable>(_ handle: some WritableFileHandleProtocol, rangeSize: Int64,
                                  _ body: (DownloadWriter) async throws -> R) async throws -> R {
        let descriptor = try await handle.withUnsafeDescriptor { $0.rawValue }
        return try await with(descriptor: descriptor, rangeSize: rangeSize, body)
    }

    /// Runs `body` with a writer for the file open as `descriptor`, written in ranges of
    /// `rangeSize` bytes. The descriptor gets `O_DIRECT` for the duration (the file may not be
    /// linked at any path yet, so it cannot be opened again by name).
    static func with<R: Sendable>(descriptor: CInt, rangeSize: Int64,
                                  _ body: (DownloadWriter) async throws -> R) async throws -> R {
        let direct = DirectIO.isAligned(rangeSize) && DirectIO.set(descriptor, true)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let writer = DownloadWriter(descriptor: descriptor, direct: direct, thread: pool)
        defer { if direct { _ = DirectIO.set(descriptor, false) } }
        do {
            let result = try await body(writer)
            try await pool.shutdownGracefully()
            return result
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    /// Whether writes still bypass the page cache (for tests and logs).
    var isDirect: Bool { directWorks.load(ordering: .relaxed) }

    /// Writes the staged bytes at `offset` (a multiple of ``blockSize`` into the range), then
    /// empties `staging`.
    func write(_ staging: AlignedBlock, at offset: Int64) async throws {
        let count = staging.count
        guard count > 0 else { return }
        let block = SendableBlock(base: staging.base, count: count)
        try await thread.runIfActive { [self] in
            if directWorks.load(ordering: .relaxed), DirectIO.isAligned(offset) {
                // The file's last block: zeros up to the alignment, cut off by finish(size:).
                let padded = DirectIO.roundUp(count)
                if padded > count { (block.base + count).initializeMemory(as: UInt8.self, repeating: 0, count: padded - count) }
                do {
                    try Self.writeAll(descriptor, block.base, padded, at: offset)
                    return
                } catch let error as Errno where error == .invalidArgument {
                    // The file system takes no direct I/O here after all: the page cache it is.
                    directWorks.store(false, ordering: .relaxed)
                    _ = DirectIO.set(descriptor, false)
                }
            } else if directWorks.load(ordering: .relaxed) {
                directWorks.store(false, ordering: .relaxed)
                _ = DirectIO.set(descriptor, false)
            }
            try Self.writeAll(descriptor, block.base, count, at: offset)
        }
        staging.count = 0
    }

    /// Cuts the file to `size` (after a padded last block).
    func finish(size: Int64) async throws {
        let descriptor = self.descriptor
        try await thread.runIfActive {
            while ftruncate(descriptor, off_t(size)) != 0 {
                guard errno == EINTR else { throw Errno(rawValue: errno) }
            }
        }
    }

    /// `pwrite` until every byte is written, resuming after short writes and interruptions.
    private static func writeAll(_ fd: CInt, _ base: UnsafeMutableRawPointer, _ count: Int, at offset: Int64) throws {
        var done = 0
        while done < count {
            let written = pwrite(fd, base + done, count - done, off_t(offset + Int64(done)))
            if written < 0 {
                if errno == EINTR { continue }
                throw Errno(rawValue: errno)
            }
            guard written > 0 else { throw Errno.ioError }
            done += written
        }
    }
}

/// A block handed to the writer thread while its owner waits.
private struct SendableBlock: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int
}
