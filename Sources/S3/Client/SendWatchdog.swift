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

    /// A block was taken from the body (at `instant`: now, outside tests).
    func progressed(at instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.last = instant }
    }

    /// The body has been handed over whole; from here the read timeout takes over.
    func finished() {
        state.withLock { $0.finished = true }
    }

    /// What the watchdog makes of the body at `instant`.
    enum Verdict: Equatable {
        /// Handed over whole: nothing left to watch.
        case finished
        /// No block taken for `idle`, at least the timeout.
        case stalled(idle: Duration)
        /// Look again after this long.
        case wait(Duration)
    }

    /// The verdict at `instant`: before the first block, always another full timeout to wait.
    func verdict(at instant: ContinuousClock.Instant) -> Verdict {
        let (last, finished) = state.withLock { ($0.last, $0.finished) }
        if finished { return .finished }
        guard let last else { return .wait(timeout) }
        let idle = instant - last
        return idle >= timeout ? .stalled(idle: idle) : .wait(timeout - idle)
    }

    /// Returns once the body is finished; throws ``Stalled`` when it stops moving for
    /// `timeout`, and `CancellationError` when cancelled.
    func watch() async throws {
        while true {
            switch verdict(at: .now) {
            case .finished: return
            case .stalled(let idle): throw Stalled(idle: idle)
            case .wait(let duration): try await Task.sleep(for: duration)
            }
        }
    }

    /// The body stopped moving.
    struct Stalled: Error {
        /// Time since the last block was taken.
        let idle: Duration
    }
}
