import Foundation
import Retention

/// One deletion as a DeleteObjects request names it: a key and, in a versioned bucket, a version.
struct DeletionRef: Sendable, Hashable {
    /// The object key.
    var key: String
    /// The version, in a versioned bucket.
    var versionID: String?
    /// What the inventory report said the object is, for a deletion planned from a report
    /// (``Placement/reported``); not part of the order or of sameness.
    var reported: ReportedIdentity?

    /// Byte order of the keys' UTF-8, then of the versions (a missing one first): the order S3
    /// lists keys in. Two keys are the same only when their bytes are, unlike Swift's `String`
    /// equality, which would take a precomposed and a decomposed accent for one key.
    static func precedes(_ a: DeletionRef, _ b: DeletionRef) -> Bool {
        let keys = KeyRuns.compare(a.key, b.key)
        if keys != 0 { return keys < 0 }
        switch (a.versionID, b.versionID) {
        case (nil, nil), (_, nil): return false
        case (nil, _): return true
        case (let x?, let y?): return KeyRuns.compare(x, y) < 0
        }
    }

    /// Whether two refs name the same object version, byte for byte.
    static func same(_ a: DeletionRef, _ b: DeletionRef) -> Bool {
        !precedes(a, b) && !precedes(b, a)
    }
}

/// Deletions sorted into key order (``DeletionRef/precedes(_:_:)``) in bounded memory
/// (``SpoolSorter``, runs of `runLength`). Read once, by ``makeIterator()``.
final class DeletionSorter {
    private let sorter: SpoolSorter<DeletionRef>
    /// Deletions added.
    var count: Int { sorter.count }

    /// A sorter that spills to `directory` every `runLength` deletions.
    init(directory: String, runLength: Int = 250_000) {
        sorter = SpoolSorter(directory: directory, runLength: runLength, by: DeletionRef.precedes,
                             encode: { Self.encode($0, into: &$1) }, decode: { try Self.decodeChecked(&$0) })
    }

    /// The deletions among `placements` (sorted and finished) that `included` accepts (all, by
    /// default), sorted into key order.
    convenience init(deletionsOf placements: PlacementSorter, directory: String,
                     where included: (Placement) -> Bool = { _ in true }) throws {
        self.init(directory: directory)
        var iterator = try placements.makeIterator()
        while let placement = try iterator.next() {
            guard placement.action == .delete, included(placement) else { continue }
            try add(DeletionRef(key: placement.key, versionID: placement.versionID, reported: placement.reported))
        }
        try finish()
    }

    /// Adds one deletion.
    func add(_ ref: DeletionRef) throws { try sorter.add(ref) }

    /// Ends adding; the deletions are then read in order through ``makeIterator()``.
    func finish() throws { try sorter.finish() }

    /// An iterator over the deletions in key order (after ``finish()``), merging the runs as it goes.
    func makeIterator() throws -> SpoolSorter<DeletionRef>.Iterator { try sorter.makeIterator() }

    /// Flag: a version follows the flags.
    private static let hasVersion: UInt8 = 1
    /// Flag: the reported identity follows (an ETag flag, the ETag, the time's bits).
    private static let hasReported: UInt8 = 2

    static func encode(_ ref: DeletionRef, into writer: inout SpoolWriter) {
        writer.string(ref.key)
        writer.byte((ref.versionID == nil ? 0 : hasVersion) | (ref.reported == nil ? 0 : hasReported))
        if let version = ref.versionID { writer.string(version) }
        if let reported = ref.reported {
            ReportedIdentityCoding.write(reported, into: &writer)
        }
    }

    static func decodeChecked(_ reader: inout SpoolReader) throws -> DeletionRef {
        do {
            let key = try reader.string()
            let flags = try reader.byte()
            guard flags & ~(hasVersion | hasReported) == 0 else { throw SpoolReader.Malformed() }
            var ref = DeletionRef(key: key, versionID: flags & hasVersion != 0 ? try reader.string() : nil)
            if flags & hasReported != 0 {
                ref.reported = try ReportedIdentityCoding.read(&reader)
            }
            return ref
        } catch is SpoolReader.Malformed {
            throw StrataError(.failure, "a spool file is damaged: a deletion does not decode")
        }
    }
}

/// The deletions two plans agree on, found by merging both in key order: what the executor may
/// delete. Memory holds one deletion of each plan at a time.
struct DeletionAgreement {
    /// Deletions the first plan proposed that the fresh plan does not make.
    private(set) var skipped = 0
    /// Deletions both plans make.
    private(set) var agreed = 0

    /// Calls `body` with each deletion both `proposed` and `fresh` contain, in key order, as the
    /// fresh plan has it (with what the report said of its object, when planned from one).
    mutating func join(_ proposed: DeletionSorter, _ fresh: DeletionSorter, _ body: (DeletionRef) throws -> Void) throws {
        var left = try proposed.makeIterator(), right = try fresh.makeIterator()
        var a = try left.next(), b = try right.next()
        while let x = a {
            guard let y = b else {
                skipped += 1
                a = try left.next()
                continue
            }
            if DeletionRef.precedes(x, y) {
                skipped += 1
                a = try left.next()
            } else if DeletionRef.precedes(y, x) {
                b = try right.next()
            } else {
                agreed += 1
                try body(y)
                a = try left.next()
                b = try right.next()
            }
        }
    }
}
