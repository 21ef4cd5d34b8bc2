import Synchronization

/// Notices a streamed request body that stops moving: the server no longer reads, the socket
/// stays full, and async-http-client stops asking for the next block.
///
/// Neither of async-http-client's timeouts sees this. Its read timeout starts only once the
/// whole body is sent, and its write timeout runs only while the channel is writable (it
/// measures a slow producer, not a stuck peer). Without a watchdog, an attempt whose server
/// stalled mid-body waited for the request's overall deadline: five minutes and more per
/// attempt for a 16 MiB part (a full Ceph RGW does this).
///
/// The body's reader calls ``progressed()`` for every block it hands over and ``finished()``
/// at the end; ``watch()`` throws once `timeout` passes without either. It is armed by the
/// first block, so time spent waiting for a pooled connection does not count.
final class SendWatchdog: Sendable {
    /// Longest time without a block being taken before the attempt is abandoned.
    let timeout: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, finished: Bool)>((nil, false))

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// A block was taken from the body.
    func progressed() {
        state.withLock { $0.last = ContinuousClock.now }
    }

    /// The body has been handed over whole; from here the read timeout takes over.
    func finished() {
        state.withLock { $0.finished = true }
    }

    /// Returns once the body is finished; throws ``Stalled`` when it stops moving for
    /// `timeout`, and `CancellationError` when cancelled.
    func watch() async throws {
        while true {
            let (last, finished) = state.withLock { ($0.last, $0.finished) }
            if finished { return }
            guard let last else {
                try await Task.sleep(for: timeout)
                continue
            }
            let idle = ContinuousClock.now - last
            if idle >= timeout { throw Stalled(idle: idle) }
            try await Task.sleep(for: timeout - idle)
        }
    }

    /// The body stopped moving.
    struct Stalled: Error {
        /// Time since the last block was taken.
        let idle: Duration
    }
}
