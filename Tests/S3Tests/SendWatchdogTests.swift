@testable import S3
import Testing

/// The watchdog that ends an attempt whose server stopped taking the request body.
struct SendWatchdogTests {
    @Test func aBodyThatStopsMovingIsReportedAfterTheTimeout() async throws {
        let watchdog = SendWatchdog(timeout: .milliseconds(200))
        watchdog.progressed()
        let started = ContinuousClock.now
        await #expect(throws: SendWatchdog.Stalled.self) { try await watchdog.watch() }
        #expect(ContinuousClock.now - started >= .milliseconds(200))
    }

    @Test func aBodyThatKeepsMovingIsNotReported() async throws {
        let watchdog = SendWatchdog(timeout: .seconds(1))
        watchdog.progressed()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watchdog.watch() }
            // Blocks every 100 ms for a second: never a second without one.
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(100))
                watchdog.progressed()
            }
            watchdog.finished()
            try await group.waitForAll()
        }
    }

    @Test func waitingForTheFirstBlockDoesNotCount() async throws {
        // A request queued for a pooled connection takes no block yet: not a stall.
        let watchdog = SendWatchdog(timeout: .milliseconds(100))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watchdog.watch() }
            try await Task.sleep(for: .milliseconds(500))
            watchdog.progressed()
            watchdog.finished()
            try await group.waitForAll()
        }
    }
}
