import Foundation

/// The heap of a k-way merge: the indices of the runs that still have a head, ordered by a
/// comparison of their heads that the caller supplies, least first. Merging many runs then costs
/// a logarithm of their number per element.
struct RunHeap {
    private var heap: [Int]

    /// A heap of the runs `live` (indices), ordered by `less`.
    init(_ live: [Int], by less: (Int, Int) -> Bool) {
        heap = live
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i, by: less) }
    }

    /// The run whose head is least, `nil` when every run is read.
    var top: Int? { heap.first }

    /// After the top run moved to its next head: takes it out when it has none (`exhausted`), and
    /// restores the order.
    mutating func advanced(exhausted: Bool, by less: (Int, Int) -> Bool) {
        guard !heap.isEmpty else { return }
        if exhausted {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
        }
        if !heap.isEmpty { siftDown(0, by: less) }
    }

    private mutating func siftDown(_ start: Int, by less: (Int, Int) -> Bool) {
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
