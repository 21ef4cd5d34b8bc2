import Foundation

/// Runs blocking `body` (child processes, sleeps) on its own thread and awaits it.
///
/// Tests that host an in-process server (the fault proxy) must not block the cooperative thread
/// pool while the server needs it: on a 2-core machine the pool has two threads, and two blocked
/// tests starve the proxy, which then never answers (seen as a hung test run).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
