import Foundation
import Synchronization

/// A bound on how many blocking test cases run at once, waited for without blocking a thread.
///
/// Off the cooperative pool, nothing else limits them: every suite's child processes (RGW
/// clients, redis, nats, pgBackRest) then start together, and on two cores a server's start-up
/// missed its 10 s limit. Twice the core count keeps both cores busy while a test waits.
public final class BlockingTestSlots: Sendable {
    /// The slots ``BlockingTrait`` takes.
    public static let shared = BlockingTestSlots(count: 2 * max(1, ProcessInfo.processInfo.activeProcessorCount))

    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(free: count))
    }

    /// Runs `body` once a slot is free, and frees it after.
    public func withSlot<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        // A waiter takes the freed slot over directly.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
