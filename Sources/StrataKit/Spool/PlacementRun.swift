import Foundation
import Retention

/// The placements of one run, held as their spool records back to back in one buffer and
/// ordered through 16-byte entries: sorting moves plain integers, where sorting `Placement`s
/// copied their strings, retaining and releasing them at every move.
struct PlacementRun {
    /// One record: its component and position (most compares end there), and where it lies.
    struct Entry {
        var head: UInt64
        var start: UInt32
        var count: UInt32

        var record: Range<Int> { Int(start)..<(Int(start) + Int(count)) }
    }

    /// The most bytes a run holds: entries address them with 32-bit offsets.
    static let maximumBytes = Int(Int32.max)

    /// The records, back to back, in the order added.
    private(set) var bytes: [UInt8] = []
    /// One entry per record: in the order added until ``sort()``, then in the plan's order.
    private(set) var entries: [Entry] = []
    private var writer = SpoolWriter()

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var byteCount: Int { bytes.count }

    /// Encodes `placement` at the end of the buffer.
    /// - Throws: `StrataError(.failure)` when the run has no room left for it (see ``maximumBytes``).
    mutating func append(_ placement: Placement) throws {
        let start = bytes.count
        swap(&writer.bytes, &bytes)  // encode in place: no array per record
        PlacementCoding.encode(placement, into: &writer)
        swap(&writer.bytes, &bytes)
        guard bytes.count <= Self.maximumBytes else {
            throw StrataError(.failure, "a placement run is over its \(Self.maximumBytes)-byte limit")
        }
        entries.append(Entry(head: PlacementCoding.head(of: placement), start: UInt32(start), count: UInt32(bytes.count - start)))
    }

    /// Puts the entries in the plan's order. Placements the order ties stay in the order they
    /// were added (the sort is stable), as the merge keeps the runs' order.
    mutating func sort() {
        bytes.withUnsafeBufferPointer { bytes in
            // Listings and reports come mostly in key order: one cheap pass often spares the sort.
            if isInOrder(bytes) { return }
            entries.sort { Self.compare($0, $1, bytes) < 0 }
        }
    }

    private func isInOrder(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 1
        while index < entries.count {
            if Self.compare(entries[index - 1], entries[index], bytes) > 0 { return false }
            index += 1
        }
        return true
    }

    /// Three-way order of two entries' records.
    private static func compare(_ a: Entry, _ b: Entry, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if a.head != b.head { return a.head < b.head ? -1 : 1 }
        // Both records were encoded here from placements, so they read back.
        guard let x = try? PlacementSortKey.read(bytes, a.record), let y = try? PlacementSortKey.read(bytes, b.record) else { return 0 }
        return PlacementSortKey.compare(x, in: bytes, y, in: bytes)
    }

    /// Calls `body` with each record's bytes, in entry order.
    func forEachRecord(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { bytes in
            for entry in entries { try body(UnsafeBufferPointer(rebasing: bytes[entry.record])) }
        }
    }

    /// The placement of the `index`-th entry (after ``sort()``, the `index`-th in order).
    func placement(at index: Int) throws -> Placement {
        try bytes.withUnsafeBufferPointer { bytes in
            var reader = SpoolReader(bytes, range: entries[index].record)
            return try PlacementCoding.decode(&reader)
        }
    }

    /// Makes room for records of `byteCount` bytes in all (a no-op once there is).
    mutating func reserveCapacity(_ byteCount: Int) {
        guard bytes.capacity < byteCount else { return }
        bytes.reserveCapacity(byteCount)
    }

    /// Empties the run, keeping its memory for the next.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }
}
