/// Runs blocking `body` (child processes, sleeps) off the cooperative pool and awaits it.
///
/// For a few blocking calls inside an otherwise asynchronous test; a suite made of blocking tests
/// carries ``BlockingTrait`` instead. `body` runs in the caller's task (on
/// ``ThreadPerJobExecutor``), so `#expect` inside it is recorded against the calling test.
public func offPool<T: Sendable>(_ body: () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try body() }
}
