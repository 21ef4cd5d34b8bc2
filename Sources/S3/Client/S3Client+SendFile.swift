import AsyncHTTPClient
import Glibc
import NIOCore

extension S3Configuration {
    /// Whether file bodies to `target` go out with sendfile(2): on plain-HTTP connections
    /// (TLS must see the bytes), unless ``TransferConfiguration/sendfile`` is off.
    func sendsFilesWithSendfile(to target: RequestTarget) -> Bool {
        transfer.sendfile && target.url.hasPrefix("http://")
    }
}

extension S3Client {
    /// Sends `http` (signed, without a body) with bytes `range` of the file at `path` as its
    /// body, written by the kernel (see ``FileRegionBody``), and hands the response to `accept`.
    ///
    /// async-http-client's async API takes only `ByteBuffer` bodies, so this goes through its
    /// delegate API, whose body writer takes `IOData.fileRegion`. Responses to uploads are small;
    /// the whole body is collected (up to ``maxResponseBody``) and handed over as bytes.
    func sendFile<Result: Sendable>(
        _ http: HTTPClientRequest, _ request: S3Request, path: String, range: Range<Int64>,
        deadline: NIODeadline, accept: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw TransferError.fileNotFound(path) }
            throw TransferError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let watchdog = SendWatchdog(timeout: configuration.readTimeout)
        let body = FileRegionBody(takingOwnershipOf: descriptor, path: path, range: range, watchdog: watchdog,
                                  eventLoop: httpClient.eventLoopGroup.next())
        do {
            let delegateRequest = try HTTPClient.Request(url: http.url, method: http.method, headers: http.headers,
                                                         body: body.body)
            let result = try await exchange(request, watchdog: watchdog, accept: accept) {
                // Delegate and channel on the body's loop: its descriptor is closed there (see FileRegionBody).
                let task = self.httpClient.execute(
                    request: delegateRequest,
                    delegate: UploadResponseDelegate(watchdog: watchdog, maxBodySize: Self.maxResponseBody),
                    eventLoop: .delegateAndChannel(on: body.eventLoop), deadline: deadline, logger: self.logger)
                return try await withTaskCancellationHandler {
                    try await task.futureResult.get()
                } onCancel: {
                    task.cancel()
                }
            }
            await body.close()
            return result
        } catch {
            await body.close()
            throw error
        }
    }
}
