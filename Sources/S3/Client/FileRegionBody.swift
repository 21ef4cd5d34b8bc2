import AsyncHTTPClient
import Glibc
import NIOCore
import Synchronization

/// A request body that is a range of a file, handed to the channel as `FileRegion`s so the
/// kernel sends it with sendfile(2): the bytes never pass through the process.
///
/// Only for plain-HTTP connections (a TLS handler has to encrypt the bytes, so it cannot take a
/// file region). Regions of ``regionSize`` are handed over as async-http-client asks for more
/// (its body writer's futures are backpressure, not write completions). Pages already sent are
/// dropped from the page cache (`POSIX_FADV_DONTNEED`), as the O_DIRECT reads of the other paths
/// keep a multi-GiB backup from flushing the cache.
///
/// The descriptor must outlive every region the channel may still write: a region written after
/// its descriptor was closed (and the number reused) would send another file's bytes. So the
/// request runs with its channel on ``eventLoop``, and ``close()`` is called on that loop after
/// the request ended, one turn later: by then a failed or cancelled request's connection is
/// closed and its unwritten regions dropped, and a successful one wrote them all.
final class FileRegionBody: Sendable {
    /// Bytes per region: large enough that per-write overhead vanishes, small enough that the
    /// watchdog sees steady progress.
    static let regionSize: Int64 = 1024 * 1024

    /// The loop the request's delegate and channel run on, and where regions are issued.
    let eventLoop: any EventLoop
    private let handle: NIOFileHandle
    private let path: String
    private let range: Range<Int64>
    private let watchdog: SendWatchdog
    private let closed = Mutex(false)

    /// A body of `range` of the file at `path`, open as `descriptor`, which this body now owns.
    init(takingOwnershipOf descriptor: CInt, path: String, range: Range<Int64>, watchdog: SendWatchdog,
         eventLoop: any EventLoop) {
        // Sequential: a larger readahead, so the kernel reads the file in fewer, bigger requests.
        posix_fadvise(descriptor, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_SEQUENTIAL)
        self.handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        self.path = path
        self.range = range
        self.watchdog = watchdog
        self.eventLoop = eventLoop
    }

    /// The body for async-http-client's delegate API.
    var body: HTTPClient.Body {
        .stream(contentLength: Int64(range.count)) { writer in self.write(from: self.range.lowerBound, to: writer) }
    }

    private func write(from start: Int64, to writer: HTTPClient.Body.StreamWriter) -> EventLoopFuture<Void> {
        guard start < range.upperBound else { return eventLoop.makeSucceededVoidFuture() }
        let end = min(start + Self.regionSize, range.upperBound)
        // sendfile(2) past the end of a file that shrank sends nothing and NIO would try again
        // until the watchdog gave up; the buffered path reads short and says the file changed.
        guard fileSize() >= end else { return eventLoop.makeFailedFuture(TransferError.fileChanged(path)) }
        let written: EventLoopFuture<Void>? = closed.withLock { closed in
            guard !closed else { return nil }
            // Taken under backpressure: the server is reading (arms the watchdog on the first).
            watchdog.progressed()
            // The region before this one; what a socket still held then goes at close().
            if start > range.lowerBound { dropFromCache(max(range.lowerBound, start - Self.regionSize)..<start) }
            return writer.write(.fileRegion(FileRegion(fileHandle: handle, readerIndex: Int(start), endIndex: Int(end))))
        }
        guard let written else { return eventLoop.makeFailedFuture(CancellationError()) }
        return written.flatMap { self.write(from: end, to: writer) }
    }

    /// The file's size now (0 if it cannot be read, which fails the send as a changed file).
    private func fileSize() -> Int64 {
        var status = stat()
        let result = try? handle.withUnsafeFileDescriptor { fstat($0, &status) }
        return result == 0 ? Int64(status.st_size) : 0
    }

    /// Advises the kernel that `range` of the file is not needed again. Best effort: pages a
    /// socket still holds stay until it lets them go.
    private func dropFromCache(_ range: Range<Int64>) {
        _ = try? handle.withUnsafeFileDescriptor { fd in
            posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_DONTNEED)
        }
    }

    /// Stops further regions and closes the descriptor on ``eventLoop``, one turn after the
    /// request ended (however it ended).
    func close() async {
        let eventLoop = self.eventLoop
        try? await eventLoop.submit {
            eventLoop.execute {
                let wasOpen = self.closed.withLock { closed in
                    defer { closed = true }
                    return !closed
                }
                guard wasOpen else { return }
                self.dropFromCache(self.range)
                try? self.handle.close()
            }
        }.get()
    }
}
