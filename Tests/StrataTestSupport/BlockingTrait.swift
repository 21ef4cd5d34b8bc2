import Testing

/// Runs a suite's (or a test's) tests on ``ThreadPerJobExecutor``, off the cooperative pool.
///
/// Every suite that starts child processes, sleeps or waits on pipes carries it: `@Suite(.blocking)`.
/// The test bodies stay as written (synchronous ones too); only where they run changes. At most
/// ``BlockingTestSlots/shared``'s count of them run at once.
public struct BlockingTrait: SuiteTrait, TestTrait, TestScoping {
    /// Applies to every test and test case inside the suite.
    public var isRecursive: Bool { true }

    /// Runs `function`, once a blocking-test slot is free, with a preference for the
    /// thread-per-job executor, which its child tasks inherit.
    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await BlockingTestSlots.shared.withSlot {
            try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
        }
    }
}

extension Trait where Self == BlockingTrait {
    /// The tests block their thread (child processes, sleeps): run them off the cooperative pool.
    public static var blocking: Self { BlockingTrait() }
}
