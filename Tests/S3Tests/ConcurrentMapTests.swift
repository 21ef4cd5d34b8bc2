import S3
import Testing

/// `concurrentMap`, the one bounded-concurrency helper: results in order, never more than the
/// bound in flight, the first error stops the rest.
@Suite struct ConcurrentMapTests {
    /// Counts tasks in flight and the most seen at once.
    actor Gauge {
        var current = 0
        var peak = 0
        var started = 0
        func enter() { current += 1; started += 1; peak = max(peak, current) }
        func leave() { current -= 1 }
    }

    @Test(arguments: [(0, 3), (1, 1), (7, 3), (50, 4), (10, 0), (5, 100)])
    func resultsComeInOrderWithinTheBound(count: Int, bound: Int) async throws {
        let gauge = Gauge()
        let results = try await Array(0..<count).concurrentMap(maxConcurrentTasks: bound) { value -> Int in
            await gauge.enter()
            // Later elements finish first, so order must come from the index, not completion.
            for _ in 0..<(count - value) { await Task.yield() }
            await gauge.leave()
            return value * 2
        }
        #expect(results == (0..<count).map { $0 * 2 })
        #expect(await gauge.peak <= max(1, bound))
        #expect(await gauge.started == count)
    }

    struct Planted: Error, Equatable {}

    @Test func theFirstErrorIsRethrownAndNoTaskStartsAfterIt() async {
        let gauge = Gauge()
        await #expect(throws: Planted.self) {
            _ = try await Array(0..<1_000).concurrentMap(maxConcurrentTasks: 2) { value -> Int in
                await gauge.enter()
                defer { Task { await gauge.leave() } }
                if value == 3 { throw Planted() }
                return value
            }
        }
        // At most the bound's worth of tasks beyond the failing one had started.
        #expect(await gauge.started <= 6)
    }

    @Test func aTransformThatCannotFailNeedsNoTry() async {
        let doubled = await [1, 2, 3].concurrentMap(maxConcurrentTasks: 2) { $0 * 2 }
        #expect(doubled == [2, 4, 6])
    }
}
