import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A fault-injecting HTTP proxy for tests: it sits between the client and the real RGW on
/// 127.0.0.1, forwards requests untouched (the signature stays valid: the `Host` header is
/// passed through), and injects the faults a test scripts: 503 `SlowDown`, 500, connection
/// resets, delays past the client's timeout, truncated bodies. It keeps every request head it
/// got, as the client sent it (``seen``), so a test can check what the client asked for.
public final class FaultProxy: Sendable {
    /// What to do with one request.
    public enum Fault: Sendable, Equatable {
        /// Forward it and relay the answer.
        case forward
        /// Answer with this status, S3 error code and extra headers, without forwarding.
        case error(status: Int, code: String, headers: [String: String] = [:])
        /// Answer with this status and XML body, without forwarding (a server that misbehaves).
        case answer(status: Int, body: String)
        /// Close the connection without answering.
        case reset
        /// Wait, then forward (to trip the client's read timeout).
        case delay(Duration)
        /// Forward, then send only the first half of the answer's body and close.
        case truncate
        /// Forward (the server acts on it), then close without answering: a lost answer.
        case dropAnswer
        /// Wait, forward, and answer with `extra` bytes appended to the body (a misbehaving server).
        case lengthen(extra: Int, after: Duration)
        /// Stop reading the request after its head for this long (a server that stalls while a
        /// body is sent: the client's writes block once the socket buffers are full), then forward.
        case stallBody(Duration)
        /// Wait, then forward without `If-None-Match` and `If-Match`, re-signed with the test
        /// servers' keys: a server (or proxy) that ignores conditional writes.
        case ignoreConditions(after: Duration = .zero)
        /// Forward without these request headers (lowercase names), re-signed with the test
        /// servers' keys: a server that takes headers the real one refuses (RGW without a KMS
        /// refuses `x-amz-server-side-encryption: aws:kms`), while ``seen`` keeps what was sent.
        case dropRequestHeaders(Set<String>)
        /// Forward, and answer with these headers set on the server's answer (replacing any of
        /// the same name): an answer RGW cannot give, such as the HEAD of an SSE-KMS object.
        case addAnswerHeaders([String: String])
        /// Forward with the request body's byte at `offset` inverted, the head untouched: a body
        /// corrupted in flight after it was signed.
        case corruptBody(offset: Int)
    }

    /// A scripted fault for the next request that matches.
    struct Rule: Sendable {
        var matches: @Sendable (HTTPRequestHead) -> Bool
        var fault: Fault
    }

    /// Chooses a fault for requests no queued rule matched (for soaks: random faults).
    public typealias Chooser = @Sendable (HTTPRequestHead) -> Fault

    /// The real server requests are forwarded to.
    public let upstream: String
    private let chooser: Chooser?
    private let rules = Mutex<[Rule]>([])
    /// Connections being served, and whether the proxy is stopping (then new ones are closed at once).
    private let connections = Mutex<(open: [ObjectIdentifier: any Channel], stopping: Bool)>(([:], false))
    private let counters = Mutex<(requests: Int, injected: Int)>((0, 0))
    private let heads = Mutex<[HTTPRequestHead]>([])

    init(upstream: String, chooser: Chooser? = nil) {
        self.upstream = upstream
        self.chooser = chooser
    }

    /// Queues `fault` for the next `times` requests that `matches`.
    public func inject(_ fault: Fault, times: Int = 1,
                when matches: @escaping @Sendable (HTTPRequestHead) -> Bool = { _ in true }) {
        rules.withLock { $0 += Array(repeating: Rule(matches: matches, fault: fault), count: times) }
    }

    /// Requests seen and faults injected so far.
    public var requests: Int { counters.withLock { $0.requests } }
    /// Faults injected so far.
    public var injected: Int { counters.withLock { $0.injected } }
    /// Every request head received so far, in order, as the client sent it (before any fault
    /// changed it).
    public var seen: [HTTPRequestHead] { heads.withLock { $0 } }

    private func fault(for head: HTTPRequestHead) -> Fault {
        heads.withLock { $0.append(head) }
        return rules.withLock { rules in
            counters.withLock { $0.requests += 1 }
            guard let index = rules.firstIndex(where: { $0.matches(head) }) else {
                let fault = chooser?(head) ?? .forward
                if fault != .forward { counters.withLock { $0.injected += 1 } }
                return fault
            }
            counters.withLock { $0.injected += 1 }
            return rules.remove(at: index).fault
        }
    }

    /// Starts the proxy on a free loopback port, runs `body` with its base URL, and stops it.
    public static func with<R: Sendable>(upstream: String, chooser: Chooser? = nil,
                                         _ body: (FaultProxy, String) async throws -> R) async throws -> R {
        let proxy = FaultProxy(upstream: upstream, chooser: chooser)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? 0
        // No task that iterates a stream of NIOAsyncChannels may be cancelled: the channels still
        // buffered in it would be dropped unfinished, and NIOAsyncWriter traps on that (a
        // connection accepted just as a test ended crashed the whole test run). So the proxy
        // stops by closing channels instead: the listening one (the accept loop then ends after
        // handing over what it buffered), then every connection, and waits for all to finish.
        let outcome = await withDiscardingTaskGroup(returning: Result<R, any Error>.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { serving in
                    try? await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            guard proxy.register(connection.channel) else {
                                try? await connection.executeThenClose { _, _ in }
                                continue
                            }
                            serving.addTask {
                                await proxy.serve(connection)
                                proxy.unregister(connection.channel)
                            }
                        }
                    }
                }
            }
            let outcome: Result<R, any Error>
            do {
                outcome = .success(try await body(proxy, "http://127.0.0.1:\(port)"))
            } catch {
                outcome = .failure(error)
            }
            proxy.connections.withLock { $0.stopping = true }
            try? await server.channel.close()
            for channel in proxy.connections.withLock({ Array($0.open.values) }) { channel.close(promise: nil) }
            return outcome
        }
        return try outcome.get()
    }

    /// Records a connection to close when the proxy stops; false if it is stopping already.
    private func register(_ channel: any Channel) -> Bool {
        connections.withLock { state in
            guard !state.stopping else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    private func unregister(_ channel: any Channel) {
        _ = connections.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    private var isStopping: Bool { connections.withLock { $0.stopping } }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var fault = Fault.forward
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                    fault = self.fault(for: h)
                    if case .stallBody(let duration) = fault {
                        // Not consuming `inbound` stops reads from the socket (back pressure).
                        guard await pause(duration) else { return }
                    }
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let request = head else { return }
                    switch fault {
                    case .reset:
                        return
                    case .dropAnswer:
                        _ = try await forward(request, body: body)
                        return
                    case .error(let status, let code, let extra):
                        let xml = "<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message></Message><RequestId>proxy</RequestId></Error>"
                        try await respond(outbound, status: status, headers: [("content-type", "application/xml")] + extra.sorted { $0.key < $1.key },
                                          body: ByteBuffer(string: xml), truncate: false)
                    case .delay(let duration):
                        guard await pause(duration) else { return }
                        let answer = try await forward(request, body: body)
                        try await respond(outbound, status: answer.status, headers: answer.headers, body: answer.body,
                                          truncate: false)
                    case .lengthen(let extra, let wait):
                        guard await pause(wait) else { return }
                        var answer = try await forward(request, body: body)
                        answer.body.writeBytes([UInt8](repeating: UInt8(ascii: "X"), count: extra))
                        try await respond(outbound, status: answer.status, headers: answer.headers, body: answer.body,
                                          truncate: false)
                    case .answer(let status, let body):
                        try await respond(outbound, status: status, headers: [("content-type", "application/xml")],
                                          body: ByteBuffer(string: body), truncate: false)
                    case .ignoreConditions(let wait):
                        guard await pause(wait) else { return }
                        let answer = try await forward(try Self.without(Self.conditionHeaders, in: request), body: body)
                        try await respond(outbound, status: answer.status, headers: answer.headers, body: answer.body,
                                          truncate: false)
                    case .dropRequestHeaders(let names):
                        let answer = try await forward(try Self.without(names, in: request), body: body)
                        try await respond(outbound, status: answer.status, headers: answer.headers, body: answer.body,
                                          truncate: false)
                    case .addAnswerHeaders(let extra):
                        let answer = try await forward(request, body: body)
                        let kept = answer.headers.filter { extra[$0.0.lowercased()] == nil }
                        try await respond(outbound, status: answer.status, headers: kept + extra.sorted { $0.key < $1.key },
                                          body: answer.body, truncate: false)
                    case .corruptBody(let offset):
                        if offset < body.readableBytes, let byte = body.getInteger(at: body.readerIndex + offset, as: UInt8.self) {
                            body.setInteger(byte ^ 0xFF, at: body.readerIndex + offset)
                        }
                        let answer = try await forward(request, body: body)
                        try await respond(outbound, status: answer.status, headers: answer.headers, body: answer.body,
                                          truncate: false)
                    case .forward, .truncate, .stallBody:
                        let answer = try await forward(request, body: body)
                        try await respond(outbound, status: answer.status, headers: answer.headers, body: answer.body,
                                          truncate: fault == .truncate)
                    }
                }
            }
        }
    }

    /// Waits `duration` in steps, so a stopping proxy is not held for the whole of it; false
    /// when the proxy is stopping (or the task is cancelled).
    private func pause(_ duration: Duration) async -> Bool {
        let until = ContinuousClock.now + duration
        while ContinuousClock.now < until {
            if isStopping { return false }
            do { try await Task.sleep(for: .milliseconds(50)) } catch { return false }
        }
        return !isStopping
    }

    /// The client requests are forwarded with: `HTTPClient.shared`'s settings, but it passes
    /// bodies on as the server sent them. The shared client decompresses gzip, so an object
    /// stored with `Content-Encoding: gzip` came out changed, and a HEAD of it failed.
    private static let upstreamClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    private func forward(_ head: HTTPRequestHead, body: ByteBuffer) async throws
        -> (status: Int, headers: [(String, String)], body: ByteBuffer) {
        var request = HTTPClientRequest(url: upstream + head.uri)
        request.method = head.method
        for (name, value) in head.headers where !["connection", "content-length", "transfer-encoding"].contains(name.lowercased()) {
            request.headers.add(name: name, value: value)
        }
        if body.readableBytes > 0 || ["PUT", "POST"].contains(head.method.rawValue) {
            request.body = .bytes(body)
        }
        let response = try await Self.upstreamClient.execute(request, timeout: .seconds(60))
        let responseBody = try await response.body.collect(upTo: 256 * 1024 * 1024)
        let headers = response.headers
            .filter { !["connection", "transfer-encoding"].contains($0.name.lowercased()) }
            .map { ($0.name, $0.value) }
        return (Int(response.status.code), headers, responseBody)
    }

    private func respond(_ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, status: Int,
                         headers: [(String, String)], body: ByteBuffer, truncate: Bool) async throws {
        var fields = HTTPHeaders(headers.filter { $0.0.lowercased() != "content-length" })
        let upstreamLength = headers.first { $0.0.lowercased() == "content-length" }?.1
        if let length = upstreamLength, body.readableBytes == 0 {
            fields.replaceOrAdd(name: "content-length", value: length)  // HEAD: the length of what is not sent
        } else {
            fields.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: fields)))
        if truncate {
            try await outbound.write(.body(.byteBuffer(body.getSlice(at: body.readerIndex, length: body.readableBytes / 2) ?? ByteBuffer())))
            throw CancellationError()  // closes the connection mid-body
        }
        if body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(body))) }
        try await outbound.write(.end(nil))
    }
}
