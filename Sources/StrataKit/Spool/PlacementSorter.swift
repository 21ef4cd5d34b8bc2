import Foundation
import Retention

/// Sorts the streaming planner's placements into the plan's order (``Placement/precedes(_:_:)``)
/// in bounded memory: up to `runLength` are sorted in memory; more are written as sorted runs
/// to spool files and merged.
final class PlacementSorter {
    private let directory: String
    private let runLength: Int
    private var buffer: [Placement] = []
    private var runs: [SpoolFile] = []
    private var sorted: SpoolFile?

    /// A sorter that spills to `directory` every `runLength` placements.
    init(directory: String, runLength: Int = 200_000) {
        self.directory = directory
        self.runLength = max(1, runLength)
    }

    /// Adds one placement.
    func add(_ placement: Placement) throws {
        buffer.append(placement)
        if buffer.count >= runLength { try spill() }
    }

    private func spill() throws {
        // Swift's sort finds runs already in order, as a listing's keys mostly are.
        buffer.sort(by: Placement.precedes)
        let run = try SpoolFile(directory: directory)
        for placement in buffer { try run.append { Self.encode(placement, into: &$0) } }
        try run.flush()
        runs.append(run)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Bytes the sorted placements take on disk (0 when they fit in memory).
    var diskBytes: Int64 { sorted?.length ?? 0 }

    /// Ends adding: what was added is then read, in order, by ``forEach(_:)`` as often as needed.
    func finish() throws {
        guard !runs.isEmpty else {
            buffer.sort(by: Placement.precedes)
            return
        }
        if !buffer.isEmpty { try spill() }
        let merged = try SpoolFile(directory: directory)
        try merge(runs) { placement in try merged.append { Self.encode(placement, into: &$0) } }
        try merged.flush()
        sorted = merged
        runs = []
    }

    /// Every placement in order (after ``finish()``).
    func forEach(_ body: (Placement) throws -> Void) throws {
        var placements = makeIterator()
        while let placement = try placements.next() { try body(placement) }
    }

    /// Reads the placements in order one at a time (after ``finish()``), so a caller can await
    /// between them.
    struct Iterator {
        private var memory: IndexingIterator<[Placement]>?
        private var cursor: SpoolFile.Cursor?

        fileprivate init(_ sorter: PlacementSorter) {
            if let sorted = sorter.sorted { cursor = SpoolFile.Cursor(file: sorted, bufferSize: 1 << 20) } else { memory = sorter.buffer.makeIterator() }
        }

        /// The next placement, or `nil` after the last.
        mutating func next() throws -> Placement? {
            if memory != nil { return memory!.next() }
            return try cursor?.next { try PlacementSorter.decodeChecked(&$0) }
        }
    }

    /// An iterator over the placements in order (after ``finish()``).
    func makeIterator() -> Iterator { Iterator(self) }

    /// A k-way merge of sorted runs, one record of look-ahead each; ties go to the earlier run,
    /// so the merge is stable.
    private func merge(_ runs: [SpoolFile], into body: (Placement) throws -> Void) throws {
        var cursors = try runs.map { try RunCursor(file: $0) }
        // A binary heap of run indices by their head placement.
        var heap = cursors.indices.filter { cursors[$0].head != nil }
        func less(_ a: Int, _ b: Int) -> Bool {
            guard let x = cursors[a].head, let y = cursors[b].head else { return false }
            return Placement.precedes(x, y) || (!Placement.precedes(y, x) && a < b)
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
        while let top = heap.first, let placement = cursors[top].head {
            try body(placement)
            try cursors[top].advance()
            if cursors[top].head == nil {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
    }

    /// The head of one sorted run, read through a small buffer so many runs merge in little memory.
    private struct RunCursor {
        var cursor: SpoolFile.Cursor
        var head: Placement?

        init(file: SpoolFile) throws {
            cursor = SpoolFile.Cursor(file: file, bufferSize: 64 << 10)
            head = try cursor.next { try PlacementSorter.decodeChecked(&$0) }
        }

        mutating func advance() throws {
            head = try cursor.next { try PlacementSorter.decodeChecked(&$0) }
        }
    }

    static func encode(_ placement: Placement, into writer: inout SpoolWriter) {
        writer.varint(UInt64(placement.component))
        writer.varint(UInt64(placement.group))
        writer.string(placement.key)
        writer.byte((placement.versionID == nil ? 0 : 1) | (placement.isMember ? 2 : 0))
        if let version = placement.versionID { writer.string(version) }
        writer.int64(placement.size)
        switch placement.action {
        case .none: writer.byte(0)
        case .delete: writer.byte(1)
        case .transition(let from, let to):
            writer.byte(2)
            StorageClassCoding.write(from, into: &writer)
            StorageClassCoding.write(to, into: &writer)
        }
    }

    static func decodeChecked(_ reader: inout SpoolReader) throws -> Placement {
        do {
            let component = try reader.varint(), group = try reader.varint()
            guard component <= UInt64(Int32.max), group <= UInt64(Int32.max) else { throw SpoolReader.Malformed() }
            let key = try reader.string()
            let flags = try reader.byte()
            let version = flags & 1 != 0 ? try reader.string() : nil
            let size = try reader.int64()
            let action: Placement.Action
            switch try reader.byte() {
            case 0: action = .none
            case 1: action = .delete
            case 2: action = .transition(from: try StorageClassCoding.read(&reader), to: try StorageClassCoding.read(&reader))
            default: throw SpoolReader.Malformed()
            }
            return Placement(component: Int(component), group: Int(group), key: key, versionID: version, isMember: flags & 2 != 0,
                             size: size, action: action)
        } catch is SpoolReader.Malformed {
            throw StrataError(.failure, "a spool file is damaged: a placement does not decode")
        }
    }
}
