import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects the (small) response to a request whose body async-http-client streams through its
/// delegate API, and tells the ``SendWatchdog`` what the channel actually wrote: every body part
/// written is progress, and the body is finished once the whole request is sent.
final class UploadResponseDelegate: HTTPClientResponseDelegate {
    typealias Response = HTTPClientResponse

    private let watchdog: SendWatchdog
    private let maxBodySize: Int
    private struct State {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
    }
    private let state = Mutex(State())

    /// A delegate reporting to `watchdog` and refusing response bodies over `maxBodySize` bytes.
    init(watchdog: SendWatchdog, maxBodySize: Int) {
        self.watchdog = watchdog
        self.maxBodySize = maxBodySize
    }

    func didSendRequestPart(task: HTTPClient.Task<Response>, _ part: IOData) {
        watchdog.progressed()
    }

    func didSendRequest(task: HTTPClient.Task<Response>) {
        watchdog.finished()
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { $0.head = head }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let tooBig = state.withLock { state -> Bool in
            guard state.body.readableBytes + buffer.readableBytes <= maxBodySize else { return true }
            var buffer = buffer
            state.body.writeBuffer(&buffer)
            return false
        }
        guard !tooBig else { return task.eventLoop.makeFailedFuture(NIOTooManyBytesError(maxBytes: maxBodySize)) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        let (head, body) = state.withLock { ($0.head, $0.body) }
        guard let head else { throw HTTPClientError.remoteConnectionClosed }
        return HTTPClientResponse(version: head.version, status: head.status, headers: head.headers, body: .bytes(body))
    }
}
