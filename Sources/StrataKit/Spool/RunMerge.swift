import Foundation

/// A k-way merge of sorted runs, read one element at a time: a binary heap of the runs by their
/// head element, one element of look-ahead each, so merging many runs costs a logarithm of
/// their number per element, in memory for the heads alone. Ties go to the earlier run, so the
/// merge is stable.
struct RunMerge<Element> {
    /// One sorted run: its head, and how to read the element after it.
    private struct Run {
        var head: Element?
        var advance: () throws -> Element?
    }

    private var runs: [Run]
    private var heap: [Int]
    private let precedes: (Element, Element) -> Bool

    /// A merge of runs, each read by calling its function until it returns `nil`; `precedes` is
    /// the order every run is sorted in.
    init(_ readers: [() throws -> Element?], by precedes: @escaping (Element, Element) -> Bool) throws {
        self.precedes = precedes
        let runs = try readers.map { Run(head: try $0(), advance: $0) }
        self.runs = runs
        heap = runs.indices.filter { runs[$0].head != nil }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    /// The least head of all runs, or `nil` once every run is read.
    mutating func next() throws -> Element? {
        guard let top = heap.first, let element = runs[top].head else { return nil }
        runs[top].head = try runs[top].advance()
        if runs[top].head == nil {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
        }
        if !heap.isEmpty { siftDown(0) }
        return element
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        guard let x = runs[a].head, let y = runs[b].head else { return false }
        return precedes(x, y) || (!precedes(y, x) && a < b)
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(heap[l], heap[m]) { m = l }
            if r < heap.count && less(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
