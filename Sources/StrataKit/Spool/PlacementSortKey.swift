import Foundation

/// Where an encoded placement's sort fields lie in its record, read without decoding it: the
/// sorter orders records by these and never builds a `Placement` (and its strings) to compare.
struct PlacementSortKey {
    /// Component in the high 32 bits, set (or log) position in the low: one integer compare.
    var head: UInt64
    /// The key's bytes, as offsets into the buffer the record is in.
    var key: Range<Int>
    /// The version's bytes; empty when there is none (the order reads a missing version as empty).
    var version: Range<Int>
    /// The placement's rank among its key's versions (``Placement/rank``), between key and version in the order.
    var rank: UInt32
    /// Whether key and version are ASCII, where Swift's `String` order is byte order.
    var isASCII: Bool
    /// Whether the placement is one of its set's members (not part of the order).
    var isMember: Bool

    /// Reads the sort fields of the placement record at `range` of `bytes`.
    /// - Throws: ``SpoolReader/Malformed`` when the record is short or a number out of bounds.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws -> PlacementSortKey {
        var reader = SpoolReader(bytes, range: range)
        let head = try PlacementCoding.readHead(&reader)
        let key = try reader.field()
        let flags = try reader.byte()
        let version = flags & PlacementCoding.hasVersion != 0 ? try reader.field() : key.upperBound..<key.upperBound
        let rank = try PlacementCoding.readRank(&reader, flags: flags)
        return PlacementSortKey(head: head, key: key, version: version, rank: rank, isASCII: flags & PlacementCoding.notASCII == 0,
                                isMember: flags & PlacementCoding.isMember != 0)
    }

    /// The head (component and position) of the record at `range`, or `nil` when it does not read.
    static func head(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        var reader = SpoolReader(bytes, range: range)
        return try? PlacementCoding.readHead(&reader)
    }

    /// Three-way order of two records (negative: `a` first), as ``Placement/precedes(_:_:)``
    /// orders the placements they encode.
    static func compare(_ a: PlacementSortKey, in aBytes: UnsafeBufferPointer<UInt8>,
                        _ b: PlacementSortKey, in bBytes: UnsafeBufferPointer<UInt8>) -> Int {
        if a.head != b.head { return a.head < b.head ? -1 : 1 }
        guard a.isASCII && b.isASCII else { return compareText(a, in: aBytes, b, in: bBytes) }
        let keys = compareBytes(aBytes, a.key, bBytes, b.key)
        if keys != 0 { return keys }
        if a.rank != b.rank { return a.rank < b.rank ? -1 : 1 }
        return compareBytes(aBytes, a.version, bBytes, b.version)
    }

    /// Lexicographic order of two byte ranges, a shorter one first when it is the other's prefix.
    private static func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ x: Range<Int>,
                                     _ b: UnsafeBufferPointer<UInt8>, _ y: Range<Int>) -> Int {
        let common = min(x.count, y.count)
        if common > 0 {
            let order = memcmp(a.baseAddress! + x.lowerBound, b.baseAddress! + y.lowerBound, common)
            if order != 0 { return order < 0 ? -1 : 1 }
        }
        return x.count == y.count ? 0 : x.count < y.count ? -1 : 1
    }

    /// The order where a key or version is not ASCII: as `String`s, which compare by canonical
    /// equivalence, not by bytes.
    private static func compareText(_ a: PlacementSortKey, in aBytes: UnsafeBufferPointer<UInt8>,
                                    _ b: PlacementSortKey, in bBytes: UnsafeBufferPointer<UInt8>) -> Int {
        func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        let (x, y) = (text(aBytes, a.key), text(bBytes, b.key))
        if x != y { return x < y ? -1 : 1 }
        // Equivalent spellings are two S3 keys, ordered by their bytes (as `KeyOrder` orders them).
        let bytes = compareBytes(aBytes, a.key, bBytes, b.key)
        if bytes != 0 { return bytes }
        if a.rank != b.rank { return a.rank < b.rank ? -1 : 1 }
        let (v, w) = (text(aBytes, a.version), text(bBytes, b.version))
        return v == w ? 0 : v < w ? -1 : 1
    }
}
