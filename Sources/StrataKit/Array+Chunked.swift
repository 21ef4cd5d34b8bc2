extension Array {
    /// The array in consecutive pieces of at most `size` elements (at least one each), in
    /// order: the batches of a `DeleteObjects` loop.
    func chunked(into size: Int) -> [[Element]] {
        let step = Swift.max(1, size)
        return stride(from: 0, to: count, by: step).map { Array(self[$0..<Swift.min($0 + step, count)]) }
    }
}
