import Foundation

/// A k-way merge of sorted runs of placement records, compared undecoded (``PlacementSortKey``);
/// ties go to the earlier run, so the merge is stable.
enum PlacementMerge {
    /// Hands every record of `runs` to `body`, in order.
    static func merge(_ runs: [SpoolFile], into body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var cursors = try runs.map { try RunCursor(file: $0) }
        // A binary heap of run indices by their head record.
        var heap = cursors.indices.filter { cursors[$0].sortKey != nil }
        func less(_ a: Int, _ b: Int) -> Bool {
            let order = cursors[a].compare(to: cursors[b])
            return order < 0 || (order == 0 && a < b)
        }
        func siftDown(_ start: Int) {
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
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        while let top = heap.first {
            try cursors[top].reader.record.withUnsafeBufferPointer { try body($0) }
            try cursors[top].advance()
            if cursors[top].sortKey == nil {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
    }

    /// The head record of one sorted run, read through a small buffer so many runs merge in
    /// little memory, with its sort fields.
    private struct RunCursor {
        var reader: FrontCodedReader
        /// The head record's sort fields, indexing ``record``; `nil` after the last record.
        var sortKey: PlacementSortKey?
        var record: [UInt8] { reader.record }

        init(file: SpoolFile) throws {
            reader = FrontCodedReader(file: file, bufferSize: 256 << 10)
            try advance()
        }

        mutating func advance() throws {
            guard try reader.next() else { return sortKey = nil }
            do {
                sortKey = try reader.record.withUnsafeBufferPointer { try PlacementSortKey.read($0, 0..<$0.count) }
            } catch is SpoolReader.Malformed {
                throw StrataError(.failure, "a spool file is damaged: a placement does not decode")
            }
        }

        func compare(to other: RunCursor) -> Int {
            guard let a = sortKey, let b = other.sortKey else { return 0 }
            return reader.record.withUnsafeBufferPointer { x in
                other.reader.record.withUnsafeBufferPointer { y in PlacementSortKey.compare(a, in: x, b, in: y) }
            }
        }
    }
}
