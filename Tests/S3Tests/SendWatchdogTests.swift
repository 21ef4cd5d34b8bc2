@testable import S3
import Testing

/// The watchdog that ends an attempt whose server stopped taking the request body.
struct SendWatchdogTests {
    static let timeout = Duration.seconds(60)

    /// (milliseconds since the last block, or nil before the first; finished; verdict).
    static let rules: [(Int?, Bool, SendWatchdog.Verdict)] = [
        (nil, false, .wait(timeout)),  // waiting for a pooled connection is not a stall
        (0, false, .wait(timeout)),
        (59_999, false, .wait(.milliseconds(1))),
        (60_000, false, .stalled(idle: timeout)),
        (95_000, false, .stalled(idle: .seconds(95))),
        (95_000, true, .finished),  // after the last block the read timeout takes over
        (nil, true, .finished),
    ]

    @Test("verdicts by time since the last block", arguments: rules)
    func verdicts(sinceLast: Int?, finished: Bool, expected: SendWatchdog.Verdict) {
        let watchdog = SendWatchdog(timeout: Self.timeout)
        let start = ContinuousClock.now
        if let sinceLast { watchdog.progressed(at: start) }
        if finished { watchdog.finished() }
        #expect(watchdog.verdict(at: start + .milliseconds(sinceLast ?? 0)) == expected)
    }

    @Test func aLaterBlockRestartsTheCount() {
        let watchdog = SendWatchdog(timeout: Self.timeout)
        let start = ContinuousClock.now
        watchdog.progressed(at: start)
        watchdog.progressed(at: start + .seconds(50))
        #expect(watchdog.verdict(at: start + .seconds(100)) == .wait(.seconds(10)))
    }

    @Test func aBodyThatStopsMovingIsReportedAfterTheTimeout() async throws {
        let watchdog = SendWatchdog(timeout: .milliseconds(200))
        watchdog.progressed()
        let started = ContinuousClock.now
        await #expect(throws: SendWatchdog.Stalled.self) { try await watchdog.watch() }
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }

    @Test func watchingEndsWhenTheBodyIsFinished() async throws {
        let watchdog = SendWatchdog(timeout: .milliseconds(100))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watchdog.watch() }
            try await Task.sleep(for: .milliseconds(300))
            // Both at once: however late the watcher wakes, it sees a finished body.
            watchdog.progressed()
            watchdog.finished()
            try await group.waitForAll()
        }
    }
}
