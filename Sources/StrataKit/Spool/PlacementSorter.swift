import Foundation
import Retention

/// Sorts the streaming planner's placements into the plan's order (``Placement/precedes(_:_:)``)
/// in bounded memory: placements are held encoded (``PlacementRun``) and sorted there; more
/// than a run holds are written as sorted runs to spool files and merged record by record,
/// without decoding them.
final class PlacementSorter {
    private let directory: String
    private let runLength: Int
    private let runBytes: Int
    private var run = PlacementRun()
    private var runs: [SpoolFile] = []
    /// The run being sorted and written on a thread of its own while placements keep coming.
    private var spilling: RunSpill?
    private var sorted: SpoolFile?
    /// The action totals, counted as placements are added: a summary of the plan needs no walk.
    private(set) var tally = PlacementTally()

    /// A sorter that spills to `directory` every `runLength` placements, or sooner when their
    /// records reach `runBytes` (96 MiB by default: a million placements of typical keys
    /// sort in memory; ten million merge from about nine runs).
    init(directory: String, runLength: Int = .max, runBytes: Int = 96 << 20) {
        self.directory = directory
        self.runLength = max(1, runLength)
        self.runBytes = min(max(1, runBytes), PlacementRun.maximumBytes / 2)
    }

    /// Adds one placement.
    func add(_ placement: Placement) throws {
        tally.add(placement)
        try run.append(placement)
        if run.count >= runLength || run.byteCount >= runBytes { return try spill() }
        // Room for a whole run at once, when it is clearly going to be large: growing by
        // doubling would copy it, and hold the old copy and the new one, several times.
        if run.byteCount >= runBytes / 8 { run.reserveCapacity(runBytes + SpoolFile.maximumRecord) }
    }

    /// Sorts and writes the full run on a thread of its own, after the run before it is written:
    /// the planner fills the next run meanwhile (two runs in memory at most).
    private func spill() throws {
        try finishSpilling()
        var full = PlacementRun()
        swap(&full, &run)
        spilling = RunSpill(full, directory: directory)
    }

    /// Waits for the run being written, and keeps its file, in the order the runs were filled.
    private func finishSpilling() throws {
        guard let spill = spilling else { return }
        spilling = nil
        runs.append(try spill.file())
    }

    /// One full run, sorted and written to a spool file on a thread of its own.
    private final class RunSpill {
        private let thread: StageThread
        private let result: Unchecked<Result<SpoolFile, Error>?>

        init(_ run: PlacementRun, directory: String) {
            let result = Unchecked<Result<SpoolFile, Error>?>(nil)
            let run = Unchecked(run)
            thread = StageThread(Unchecked {
                result.value = Result {
                    run.value.sort()
                    let file = try SpoolFile(directory: directory)
                    var writer = FrontCodedWriter()
                    try run.value.forEachRecord { try writer.append($0, to: file) }
                    try file.flush()
                    // Its memory goes back on this thread, before the next run fills up.
                    run.value = PlacementRun()
                    return file
                }
            })
            self.result = result
        }

        /// The run's file, once written.
        func file() throws -> SpoolFile {
            thread.join()
            return try result.value!.get()
        }
    }

    /// Bytes the sorted placements take on disk (0 when they fit in memory).
    var diskBytes: Int64 { sorted?.length ?? runs.reduce(0) { $0 + $1.length } }

    /// Ends adding: what was added is then read, in order, by ``forEach(_:)`` as often as needed.
    /// Runs on disk are merged as they are read, not into a file of their own: the plan's JSON
    /// walks them twice, and merging twice costs less than writing the merge and reading it back.
    func finish() throws {
        guard !runs.isEmpty || spilling != nil else { return run.sort() }
        if !run.isEmpty { try spill() }
        try finishSpilling()
        run = PlacementRun()  // its memory is not needed again
        if runs.count == 1 { sorted = runs.removeFirst() }
    }

    /// The runs merged into one sorted file, once: what an ``Iterator`` reads, a record at a time.
    private func mergedFile() throws -> SpoolFile? {
        guard sorted == nil, !runs.isEmpty else { return sorted }
        let merged = try SpoolFile(directory: directory)
        var writer = FrontCodedWriter()
        try PlacementMerge.merge(runs) { try writer.append($0, to: merged) }
        try merged.flush()
        sorted = merged
        runs = []
        return merged
    }

    /// Every placement's record in order (after ``finish()``): from memory, the sorted file, or
    /// the runs merged as they are read.
    private func forEachRecord(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        if let sorted {
            var file = FrontCodedReader(file: sorted, bufferSize: 1 << 20)
            while try file.next() { try file.record.withUnsafeBufferPointer(body) }
        } else if !runs.isEmpty {
            try PlacementMerge.merge(runs, into: body)
        } else {
            try run.forEachRecord(body)
        }
    }

    /// Every placement in order (after ``finish()``).
    func forEach(_ body: (Placement) throws -> Void) throws {
        var placements = try makeIterator()
        while let placement = try placements.next() { try body(placement) }
    }

    /// Every placement with an action, in order (after ``finish()``): the others are skipped
    /// without building their strings.
    func forEachAction(_ body: (Placement) throws -> Void) throws {
        func action(_ record: UnsafeBufferPointer<UInt8>) throws {
            var reader = SpoolReader(record, range: 0..<record.count)
            guard try PlacementCoding.hasAction(reader) else { return }
            try body(try PlacementCoding.decode(&reader))
        }
        try forEachRecord(action)
    }

    /// The component, set and key (UTF-8) of every member placement, in order (after
    /// ``finish()``), read from the records without building placements.
    func forEachMember(_ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        func member(_ record: UnsafeBufferPointer<UInt8>) throws {
            let sortKey: PlacementSortKey
            do {
                sortKey = try PlacementSortKey.read(record, 0..<record.count)
            } catch is SpoolReader.Malformed {
                throw StrataError(.failure, "a spool file is damaged: a placement does not decode")
            }
            guard sortKey.isMember else { return }
            try body(Int(sortKey.head >> 32), Int(sortKey.head & 0xFFFF_FFFF), UnsafeBufferPointer(rebasing: record[sortKey.key]))
        }
        try forEachRecord(member)
    }

    /// Reads the placements in order one at a time (after ``finish()``), so a caller can await
    /// between them.
    struct Iterator {
        private let memory: PlacementRun?
        private var index = 0
        private var file: FrontCodedReader?

        fileprivate init(_ sorter: PlacementSorter) throws {
            if let sorted = try sorter.mergedFile() {
                memory = nil
                file = FrontCodedReader(file: sorted, bufferSize: 1 << 20)
            } else {
                memory = sorter.run
            }
        }

        /// The next placement, or `nil` after the last.
        mutating func next() throws -> Placement? {
            if let memory {
                guard index < memory.count else { return nil }
                defer { index += 1 }
                return try memory.placement(at: index)
            }
            guard file != nil, try file!.next() else { return nil }
            return try file!.record.withUnsafeBufferPointer { bytes in
                var reader = SpoolReader(bytes, range: 0..<bytes.count)
                return try PlacementCoding.decode(&reader)
            }
        }
    }

    /// An iterator over the placements in order (after ``finish()``).
    func makeIterator() throws -> Iterator { try Iterator(self) }
}
