import Foundation

/// A task executor that runs every job on a thread of its own, outside Swift's cooperative pool.
///
/// Tests that wait on child processes, sleep or read pipes block the thread they run on. On the
/// cooperative pool (as wide as the machine: two threads here) two such tests starve every other
/// test's tasks, and the starved tasks then trip their own timeouts (a CI run once held the pool
/// for about 90 s, and clients counted retries that no fault had caused). Jobs run here may
/// block as long as they like. A thread per job costs tens of microseconds, which is nothing next
/// to the subprocesses these tests start.
///
/// Used through ``BlockingTrait`` (`@Suite(.blocking)`) and ``offPool(_:)``; both keep the test's
/// task, so `#expect` inside them is recorded against the right test.
public final class ThreadPerJobExecutor: TaskExecutor {
    /// The one executor the test support uses: it holds no state, so one is enough.
    public static let shared = ThreadPerJobExecutor()

    private init() {}

    /// Starts a thread that runs `job` and ends.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread { job.runSynchronously(on: executor) }
        thread.start()
    }
}
