import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SigV4
import _NIOFileSystem

extension S3Client {
    /// Largest response body collected in memory (list pages and error bodies are far smaller).
    static let maxResponseBody = 64 * 1024 * 1024

    /// The default cap of ``getObject(bucket:key:range:versionID:maxBytes:)``: 64 MiB.
    public static let defaultInMemoryLimit = maxResponseBody

    /// Sends `request` (with retries) and collects the successful response's body.
    func execute(_ request: S3Request) async throws -> S3Response {
        try await execute(request) { response in
            let body = try await response.body.collect(upTo: Self.maxResponseBody)
            return S3Response(status: Int(response.status.code), headers: response.headers, body: body)
        }
    }

    /// Sends `request`, retrying under ``RetryPolicy``, and hands a 2xx response to `accept`,
    /// which consumes its body. `accept` runs again on retry, so it must start over each time
    /// (downloads rewrite from their first byte). An ``S3TransportError`` it throws (truncated
    /// body, checksum mismatch) is retried; any other error ends the call.
    func execute<Result: Sendable>(
        _ request: S3Request,
        accept: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        var attempt = 0
        var correctedSkew = false
        var random = SystemRandomNumberGenerator()
        while true {
            attempt += 1
            statistics.countAttempt(operation: request.operation, isRetry: attempt > 1)
            let failure: any Error
            do {
                return try await send(request, attempt: attempt, accept: accept)
            } catch let error as S3Error {
                if error.code == .requestTimeTooSkewed, !correctedSkew, let serverDate = error.serverDate {
                    // The server's clock is the one that counts for signatures: sign in its time.
                    correctedSkew = true
                    clockCorrection.set(serverDate.timeIntervalSince(now()))
                    logger.warning("clock skew corrected", metadata: [
                        "operation": "\(request.operation)", "offset_seconds": "\(clockCorrection.seconds)"])
                    continue
                }
                guard error.isRetryable, error.code != .requestTimeTooSkewed else { throw error }
                failure = error
            } catch let error as S3TransportError {
                guard request.retryOnTransportError || error.kind == .integrity else { throw error }
                failure = error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                guard let transport = Self.transportError(error, request: request) else { throw error }
                guard request.retryOnTransportError else { throw transport }
                failure = transport
            }
            guard attempt < configuration.retry.maxAttempts else { throw failure }
            let delay = configuration.retry.delay(beforeRetry: attempt, random: &random)
            logger.debug("retrying", metadata: [
                "operation": "\(request.operation)", "attempt": "\(attempt + 1)",
                "delay_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
                "error": "\(failure)"])
            try await Task.sleep(for: delay)
        }
    }

    /// One attempt: sign, send, check status, hand over.
    private func send<Result: Sendable>(
        _ request: S3Request, attempt: Int,
        accept: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        let target = configuration.target(bucket: request.bucket, key: request.key, query: request.query)
        let signer = Signer(credentials: try await credentials.credentials(), region: configuration.region,
                            service: "s3", keyCache: signingKeys)
        var headers: [HTTPHeader] = [HTTPHeader("host", target.host)]
        for (name, value) in request.headers { headers.append(HTTPHeader(name, value)) }
        let payload: Payload
        switch request.body {
        case .empty:
            payload = .sha256(Payload.emptySHA256)
        case .bytes(let buffer, let sha256, let md5):
            payload = .sha256(sha256)
            headers.append(HTTPHeader("content-md5", md5))
            headers.append(HTTPHeader("content-length", "\(buffer.readableBytes)"))
        case .file(_, _, let length, let sha256, let md5):
            payload = .sha256(sha256)
            if let md5 { headers.append(HTTPHeader("content-md5", md5)) }
            headers.append(HTTPHeader("content-length", "\(length)"))
        }
        let date = now().addingTimeInterval(clockCorrection.seconds)
        let signed = signer.signHeaders(method: request.method.rawValue, host: target.host, path: target.path,
                                        query: target.query, headers: headers, payload: payload, date: date)
        var http = HTTPClientRequest(url: target.url)
        http.method = request.method
        for header in signed.headers where header.name.lowercased() != "content-length" {
            http.headers.add(name: header.name, value: header.value)
        }
        logger.trace("request", metadata: [
            "operation": "\(request.operation)", "method": "\(request.method.rawValue)",
            "url": "\(target.url)", "attempt": "\(attempt)"])
        // A generous overall deadline; stalls are caught sooner by the read timeout.
        let seconds = 300 + request.body.length / (1024 * 1024)
        let deadline = NIODeadline.now() + .seconds(seconds)

        switch request.body {
        case .empty:
            return try await exchange(http, request, deadline: deadline, accept: accept)
        case .bytes(let buffer, _, _):
            http.body = .bytes(buffer)
            return try await exchange(http, request, deadline: deadline, accept: accept)
        case .file(let path, let offset, let length, _, _) where configuration.sendsFilesWithSendfile(to: target) && length > 0:
            return try await sendFile(http, request, path: path, range: offset..<(offset + length),
                                      deadline: deadline, accept: accept)
        case .file(let path, let offset, let length, _, _):
            return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                var http = http
                // 1 MiB blocks through a few reused buffers (see FileBlocks): no allocation per
                // chunk; read around the page cache where the file system allows (see DirectIO).
                var direct = false
                if DirectIO.isAligned(offset) {
                    direct = try await handle.withUnsafeDescriptor { DirectIO.set($0.rawValue, true) }
                }
                let watchdog = SendWatchdog(timeout: configuration.readTimeout)
                http.body = .stream(FileBlocks.Chunks(handle: handle, range: offset..<(offset + length), path: path,
                                                      direct: direct, watchdog: watchdog),
                                    length: .known(length))
                return try await exchange(http, request, deadline: deadline, watchdog: watchdog, accept: accept)
            }
        }
    }

    private func exchange<Result: Sendable>(
        _ http: HTTPClientRequest, _ request: S3Request, deadline: NIODeadline, watchdog: SendWatchdog? = nil,
        accept: (HTTPClientResponse) async throws -> Result
    ) async throws -> Result {
        try await exchange(request, watchdog: watchdog, accept: accept) {
            try await self.httpClient.execute(http, deadline: deadline, logger: self.logger)
        }
    }

    /// Runs `perform` (the request itself), under `watchdog` when the body is streamed, checks
    /// the status and hands a 2xx response to `accept`.
    func exchange<Result: Sendable>(
        _ request: S3Request, watchdog: SendWatchdog?,
        accept: (HTTPClientResponse) async throws -> Result,
        perform: @escaping @Sendable () async throws -> HTTPClientResponse
    ) async throws -> Result {
        let response: HTTPClientResponse
        if let watchdog {
            response = try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
                group.addTask { try await perform() }
                group.addTask {
                    try await watchdog.watch()
                    return nil
                }
                do {
                    while let next = try await group.next() {
                        if let next {
                            group.cancelAll()
                            return next
                        }
                    }
                } catch let stalled as SendWatchdog.Stalled {
                    // Leaving the group cancels the request, which closes its connection.
                    throw S3TransportError(kind: .timeout, operation: request.operation, bucket: request.bucket,
                                           key: request.key,
                                           detail: "request body not taken by the server for \(stalled.idle)")
                }
                throw CancellationError()
            }
        } else {
            response = try await perform()
        }
        let status = Int(response.status.code)
        logger.debug("response", metadata: [
            "operation": "\(request.operation)", "status": "\(status)",
            "request_id": "\(response.headers.first(name: "x-amz-request-id") ?? "")"])
        if (200..<300).contains(status) {
            return try await accept(response)
        }
        let body = try await response.body.collect(upTo: 1024 * 1024)
        throw S3ErrorParser.error(request: request, status: status, headers: response.headers,
                                  body: Data(body.readableBytesView))
    }

    /// Maps transport-level failures (connection refused/reset, timeouts) to ``S3TransportError``;
    /// `nil` for errors that are not about the network and must not be retried.
    static func transportError(_ error: any Error, request: S3Request) -> S3TransportError? {
        func make(_ kind: S3TransportError.Kind) -> S3TransportError {
            S3TransportError(kind: kind, operation: request.operation, bucket: request.bucket, key: request.key,
                             detail: String(describing: error))
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .connectTimeout, .deadlineExceeded, .writeTimeout: return make(.timeout)
            case .cancelled: return nil
            default: return make(.connection)
            }
        }
        if error is NIOConnectionError || error is ChannelError || error is IOError || error is HTTPParserError {
            return make(.connection)
        }
        if error is NIOTooManyBytesError { return make(.malformedResponse) }
        return nil
    }
}
