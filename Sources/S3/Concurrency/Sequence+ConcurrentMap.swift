/// Bounded concurrency over a sequence: the one helper every "at most N requests in flight"
/// loop uses, instead of a hand-written task-group window each.
extension Sequence where Element: Sendable {
    /// `transform` applied to every element, with at most `maxConcurrentTasks` (at least 1)
    /// running at once; the results in the sequence's order. The first error cancels the tasks
    /// still running and is rethrown; no new task starts after it.
    public func concurrentMap<T: Sendable>(
        maxConcurrentTasks: Int, _ transform: @escaping @Sendable (Element) async throws -> T
    ) async throws -> [T] {
        let elements = Array(self)
        let width = Swift.max(1, maxConcurrentTasks)
        return try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: elements.count)
            var next = 0
            func startNext() {
                let index = next
                group.addTask { (index, try await transform(elements[index])) }
                next += 1
            }
            while next < Swift.min(width, elements.count) { startNext() }
            while let (index, value) = try await group.next() {
                results[index] = value
                if next < elements.count { startNext() }
            }
            // Every index was filled: each started task either returned or threw out of `next()`.
            return results.map { $0! }
        }
    }

    /// `transform`, which cannot fail, applied to every element with at most `maxConcurrentTasks`
    /// running at once; the results in the sequence's order.
    public func concurrentMap<T: Sendable>(
        maxConcurrentTasks: Int, _ transform: @escaping @Sendable (Element) async -> T
    ) async -> [T] {
        do {
            return try await concurrentMap(maxConcurrentTasks: maxConcurrentTasks) { (element: Element) async throws -> T in
                await transform(element)
            }
        } catch {
            // The transform cannot throw, and the group throws nothing else.
            preconditionFailure("concurrentMap: a non-throwing transform threw \(error)")
        }
    }
}
