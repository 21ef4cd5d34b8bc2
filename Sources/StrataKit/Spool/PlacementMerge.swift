import Foundation

/// A k-way merge (``RunHeap``) of sorted runs of placement records, compared undecoded
/// (``PlacementSortKey``); ties go to the earlier run, so the merge is stable.
enum PlacementMerge {
    /// Hands every record of `runs` to `body`, in order.
    static func merge(_ runs: [SpoolFile], into body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var cursors = try runs.map { try RunCursor(file: $0) }
        // Ties go to the earlier run.
        func less(_ a: Int, _ b: Int) -> Bool {
            let order = cursors[a].compare(to: cursors[b])
            return order < 0 || (order == 0 && a < b)
        }
        var heap = RunHeap(cursors.indices.filter { cursors[$0].sortKey != nil }, by: less)
        while let top = heap.top {
            try cursors[top].reader.record.withUnsafeBufferPointer { try body($0) }
            try cursors[top].advance()
            heap.advanced(exhausted: cursors[top].sortKey == nil, by: less)
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
