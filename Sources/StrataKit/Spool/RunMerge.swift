import Foundation

/// A k-way merge of sorted runs, read one element at a time (``RunHeap``), one element of
/// look-ahead each, in memory for the heads alone. Ties go to the earlier run, so the merge is
/// stable.
struct RunMerge<Element> {
    /// One sorted run: its head, and how to read the element after it.
    private struct Run {
        var head: Element?
        var advance: () throws -> Element?
    }

    private var runs: [Run]
    private var heap: RunHeap
    private let precedes: (Element, Element) -> Bool

    /// A merge of runs, each read by calling its function until it returns `nil`; `precedes` is
    /// the order every run is sorted in.
    init(_ readers: [() throws -> Element?], by precedes: @escaping (Element, Element) -> Bool) throws {
        self.precedes = precedes
        let runs = try readers.map { Run(head: try $0(), advance: $0) }
        self.runs = runs
        heap = RunHeap(runs.indices.filter { runs[$0].head != nil }) { a, b in Self.less(runs, a, b, precedes) }
    }

    /// The least head of all runs, or `nil` once every run is read.
    mutating func next() throws -> Element? {
        guard let top = heap.top, let element = runs[top].head else { return nil }
        runs[top].head = try runs[top].advance()
        let (runs, precedes) = (self.runs, self.precedes)
        heap.advanced(exhausted: runs[top].head == nil) { a, b in Self.less(runs, a, b, precedes) }
        return element
    }

    /// Whether run `a`'s head comes before run `b`'s; ties go to the earlier run.
    private static func less(_ runs: [Run], _ a: Int, _ b: Int, _ precedes: (Element, Element) -> Bool) -> Bool {
        guard let x = runs[a].head, let y = runs[b].head else { return false }
        return precedes(x, y) || (!precedes(y, x) && a < b)
    }
}
