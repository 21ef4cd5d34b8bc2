import Foundation
import Retention
import StrataTestSupport
import Testing
@testable import StrataKit

/// The spool files behind the streaming planner: what goes in comes out, whole and in order,
/// however records fall across read buffers; sorting placements on disk gives the order an
/// in-memory sort gives.
@Suite struct SpoolTests {
    static func randomObject(_ rng: inout SplitMix, _ n: Int) -> InventoryObject {
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        let keys = ["postgresql/backup/mind/20261101-020000F/pg_data/base/\(n).gz", "qdrant/é/\(n)-✓.snapshot",
                    String(repeating: "k", count: 900) + "/\(n)", "vault/\(n)", "odd \u{1}\u{7F}/\(n)"]
        var object = InventoryObject(
            key: keys[Int(roll(UInt64(keys.count)))], size: [0, 1, 1 << 40, Int64.max, -1][Int(roll(5))],
            lastModified: Date(timeIntervalSince1970: Double(roll(2_000_000_000)) + 0.125 * Double(roll(8))),
            storageClass: [StorageClass.standard, .glacier, .deepArchive, StorageClass(rawValue: "VENDOR_X")][Int(roll(4))],
            eTag: roll(2) == 0 ? nil : "\"\(roll(1_000_000))\"", versionID: roll(3) == 0 ? "v\(roll(99))" : nil,
            isLatest: roll(4) != 0, isDeleteMarker: roll(9) == 0)
        if roll(5) == 0 { object.tags = ["strata-hold": "x", "b": String(repeating: "v", count: Int(roll(300)))] }
        if roll(5) == 0 {
            object.objectLock = ObjectLockState(mode: [nil, .governance, .compliance][Int(roll(3))],
                                                retainUntil: roll(2) == 0 ? nil : Date(timeIntervalSince1970: 1_900_000_000.5), legalHold: roll(2) == 0)
        }
        return object
    }

    @Test("objects come back whole and in order, on every pass", arguments: [1, 2_000, 30_000])
    func objectsRoundTrip(count: Int) throws {
        var rng = SplitMix(seed: UInt64(count))
        let objects = (0..<count).map { Self.randomObject(&rng, $0) }
        let spool = try ObjectSpool()
        for object in objects { try spool.append(object) }
        try spool.finish()
        for _ in 0..<2 {
            var read: [InventoryObject] = []
            try spool.forEachObject { read.append($0) }
            #expect(read == objects)
        }
        #expect(spool.count == count)
    }

    @Test("objects spooled in batches of encoded records, as the report reader spools them on two threads, come back as appended one by one",
          arguments: [(1, 1 << 20), (30_000, 1 << 20), (30_000, 1)])
    func batchedRecordsRoundTrip(count: Int, batchBytes: Int) throws {
        var rng = SplitMix(seed: UInt64(count))
        let objects = (0..<count).map { Self.randomObject(&rng, $0) }
        let spool = try ObjectSpool()
        var observed: [InventoryObject] = []
        var encoder = ObjectSpool.RecordEncoder()
        var batch: [UInt8] = []
        for object in objects {
            try encoder.encode(object, into: &batch)
            if batch.count >= batchBytes {
                try spool.append(records: batch) { observed.append($0) }
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try spool.append(records: batch) { observed.append($0) } }
        try spool.finish()
        #expect(observed == objects)
        #expect(spool.count == objects.count)
        #expect(spool.hasVersionIDs == objects.contains { $0.versionID != nil })
        var read: [InventoryObject] = []
        try spool.forEachObject { read.append($0) }
        #expect(read == objects)
        // The same bytes on disk as appending the objects one by one.
        let single = try ObjectSpool()
        for object in objects { try single.append(object) }
        try single.finish()
        #expect(single.size == spool.size)
    }

    @Test("a spool sorted by key, as a versioned report's rows are, gives each key's objects in one run, in the order they came",
          arguments: [1, 7, 1_000, 1_000_000])
    func sortedByKeyIsStable(runLength: Int) throws {
        var rng = SplitMix(seed: UInt64(runLength))
        // Few keys, so each comes many times; both spellings of "é" are two keys.
        let keys = ["vault/b", "vault/a", "qdrant/caf\u{E9}", "qdrant/cafe\u{301}", "odd \u{1}", String(repeating: "k", count: 900)]
        let objects = (0..<3_000).map { n in
            var object = Self.randomObject(&rng, n)
            object.key = keys[Int(rng.next() % UInt64(keys.count))]
            object.size = Int64(n)
            return object
        }
        let spool = try ObjectSpool()
        for object in objects { try spool.append(object) }
        try spool.finish()
        let sorted = try spool.sortedByKey(directory: NSTemporaryDirectory(), runLength: runLength)
        var read: [InventoryObject] = []
        try sorted.forEachObject { read.append($0) }
        let expected = objects.enumerated().sorted { a, b in
            let x = a.element.key.utf8, y = b.element.key.utf8
            return x.elementsEqual(y) ? a.offset < b.offset : x.lexicographicallyPrecedes(y)
        }.map(\.element)
        #expect(read.count == objects.count)
        #expect(read == expected)
        #expect(sorted.hasVersionIDs == spool.hasVersionIDs)
    }

    @Test("audit rows sorted through runs on disk come back whole, in the report's order", arguments: [1, 7, 1_000, 1_000_000])
    func auditRowsSortOnDisk(runLength: Int) throws {
        var rng = SplitMix(seed: UInt64(runLength))
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        let keys = ["vault/b", "vault/a", "qdrant/caf\u{E9}", "qdrant/cafe\u{301}", "odd \u{1}\t", String(repeating: "k", count: 900)]
        let rows = (0..<2_000).map { n in
            AuditReport.Row(component: ["vault", "qdrant", "nats"][Int(roll(3))], set: roll(2) == 0 ? "(noncurrent)" : "2026-11-25T00:00:00Z",
                            series: roll(2) == 0 ? "" : "s\(n)", key: keys[Int(roll(UInt64(keys.count)))],
                            versionID: roll(5) == 0 ? nil : "v\(roll(50))", size: [0, 1, Int64.max, -1][Int(roll(4))],
                            storageClass: "GLACIER", targetClass: roll(2) == 0 ? nil : "DEEP_ARCHIVE", ageDays: Int(roll(1_000)) - 10,
                            restore: "archived", lock: roll(3) == 0 ? "blocked by legal hold" : nil,
                            reasons: (0..<Int(roll(3))).map { "reason \($0) é" },
                            projectedExpiry: roll(2) == 0 ? nil : Date(timeIntervalSinceReferenceDate: Double(roll(1 << 30)) + 0.001),
                            monthlyCost: Double(roll(1_000)) / 7)
        }
        let sorter = AuditRowSorter(directory: NSTemporaryDirectory(), runLength: runLength)
        for row in rows { try sorter.add(row) }
        try sorter.finish()
        var read: [AuditReport.Row] = []
        var iterator = try sorter.makeIterator()
        while let row = try iterator.next() { read.append(row) }
        #expect(read.count == rows.count)
        #expect(Set(read) == Set(rows))
        #expect(zip(read, read.dropFirst()).allSatisfy { !AuditReport.Row.precedes($1, $0) })
    }

    @Test("a batch whose last record is cut short is an error, not a crash")
    func truncatedBatch() throws {
        var encoder = ObjectSpool.RecordEncoder()
        var batch: [UInt8] = []
        var rng = SplitMix(seed: 7)
        try encoder.encode(Self.randomObject(&rng, 1), into: &batch)
        batch.removeLast()
        let spool = try ObjectSpool()
        #expect(throws: StrataError.self) { try spool.append(records: batch) { _ in } }
    }

    /// S3 keys are at most 1,024 bytes; only a misbehaving server or a forged report sends a
    /// longer one. Spooled either way (a listing's object, a report's batch), a record over the
    /// spool's limit is an error naming the key, escaped and cut short, not an anonymous size.
    @Test("an object too large to spool is an error naming its key", arguments: [false, true])
    func oversizedObjectNamesItsKey(batched: Bool) throws {
        let key = "vault/\u{1b}[2J" + String(repeating: "k", count: SpoolFile.maximumRecord)
        let object = InventoryObject(key: key, size: 1, lastModified: Date(timeIntervalSince1970: 0))
        let spool = try ObjectSpool()
        let error = try #require(throws: StrataError.self) {
            if batched {
                var encoder = ObjectSpool.RecordEncoder()
                var batch: [UInt8] = []
                try encoder.encode(object, into: &batch)
                try spool.append(records: batch) { _ in }
            } else {
                try spool.append(object)
            }
        }
        #expect(error.message.contains("vault/\\x1b[2Jkkk"), "\(error.message.prefix(300))")
        #expect(error.message.count < 1_000)
    }

    @Test("an empty spool reads as no objects")
    func emptySpool() throws {
        let spool = try ObjectSpool()
        try spool.finish()
        var read = 0
        try spool.forEachObject { _ in read += 1 }
        #expect(read == 0)
    }

    @Test("a spool in a directory that is not there is a clear error")
    func missingDirectory() {
        #expect(throws: StrataError.self) { try ObjectSpool(directory: "/nonexistent/strata-spool") }
    }

    @Test("placements sorted through runs on disk come out as an in-memory sort puts them", arguments: [1, 7, 1_000, 1_000_000])
    func placementsSortOnDisk(runLength: Int) throws {
        var rng = SplitMix(seed: UInt64(runLength))
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        let placements = (0..<5_000).map { n in
            var placement = Placement(component: Int(roll(3)), group: Int(roll(40)), key: "k/\(roll(2_000))/é\(n % 7)",
                      versionID: roll(3) == 0 ? "v\(roll(5))" : nil, isMember: roll(2) == 0, size: Int64(roll(1 << 40)),
                      action: [.none, .delete, .transition(from: .standard, to: .glacier), .transition(from: StorageClass(rawValue: "X"), to: .deepArchive)][Int(roll(4))])
            // A deletion planned from a report carries what the report said (a time to the
            // sub-second, an ETag or none); it must come back exact.
            if placement.action == .delete, roll(2) == 0 {
                placement.reported = ReportedIdentity(eTag: roll(3) == 0 ? nil : "\"e\(roll(1_000))-2\"",
                                                      lastModified: Date(timeIntervalSince1970: Double(roll(1 << 33)) / 7),
                                                      isDeleteMarker: roll(3) == 0)
            }
            // In a versioned bucket: markers, and noncurrent entries ranked within their key,
            // with times to the sub-second and reasons of any length.
            placement.isDeleteMarker = roll(4) == 0
            if roll(3) == 0 {
                placement.rank = UInt32(roll(4) == 0 ? UInt64(UInt32.max) : roll(5))
                placement.noncurrent = NoncurrentVersion(
                    key: placement.key, versionID: placement.versionID, isDeleteMarker: placement.isDeleteMarker, hidden: roll(2) == 0,
                    size: placement.size, storageClass: roll(2) == 0 ? .glacier : StorageClass(rawValue: "Y"),
                    noncurrentSince: roll(3) == 0 ? nil : Date(timeIntervalSince1970: Double(roll(1 << 33)) / 3),
                    decision: placement.action == .delete ? .expire : .keep, reason: String(repeating: "why ", count: Int(roll(60))),
                    projectedExpiry: roll(2) == 0 ? nil : Date(timeIntervalSinceReferenceDate: Double(roll(1 << 30)) / 9),
                    monthlyCost: Double(roll(1_000)) / 7)
            }
            return placement
        }
        let sorter = PlacementSorter(directory: NSTemporaryDirectory(), runLength: runLength)
        for placement in placements { try sorter.add(placement) }
        try sorter.finish()
        let expected = placements.sorted(by: Placement.precedes)
        for _ in 0..<2 {
            var read: [Placement] = []
            try sorter.forEach { read.append($0) }
            // Placements equal in order (same component, group, key, version) may come in either
            // order; compare what the order decides.
            #expect(read.count == expected.count)
            #expect(zip(read, expected).allSatisfy { !Placement.precedes($0, $1) && !Placement.precedes($1, $0) })
            #expect(Set(read) == Set(expected))
        }
    }

    @Test("ETags, sizes and keys that share prefixes come back as written")
    func compactFieldsRoundTrip() throws {
        let eTags: [String?] = [nil, "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF", "\"0123456789abcdef0123456789abcdef\"",
                                "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdefa", "g123456789abcdef0123456789abcdef",
                                "ffffffffffffffffffffffffffffffff", "00000000000000000000000000000000-12", ""]
        let keys = ["a", "ab", "abc", "ab", "", "é", "e\u{301}", "e\u{301}x", "a", String(repeating: "x", count: 300), String(repeating: "x", count: 299) + "y"]
        var objects: [InventoryObject] = []
        for (index, key) in keys.enumerated() {
            objects.append(InventoryObject(key: key, size: [0, -1, Int64.min, Int64.max, 127, 128][index % 6],
                                           lastModified: Date(timeIntervalSince1970: 1_700_000_000.25), eTag: eTags[index % eTags.count]))
        }
        for eTag in eTags { objects.append(InventoryObject(key: "z", size: 1, lastModified: Date(timeIntervalSince1970: 0), eTag: eTag)) }
        let spool = try ObjectSpool()
        for object in objects { try spool.append(object) }
        try spool.finish()
        var read: [InventoryObject] = []
        try spool.forEachObject { read.append($0) }
        #expect(read == objects)
        // Keys filtered as bytes: the others are skipped, and the ones kept decode whole.
        var kept: [InventoryObject] = []
        try spool.forEachObject(whereKey: { $0.first == UInt8(ascii: "a") }) { kept.append($0) }
        #expect(kept == objects.filter { $0.key.hasPrefix("a") })
    }

    @Test("a damaged placement record is an error, not a crash")
    func damagedPlacementRecords() throws {
        var writer = SpoolWriter()
        PlacementCoding.encode(Placement(component: 1, group: 2, key: "k", versionID: "v", isMember: true, size: 3,
                                         action: .transition(from: .standard, to: .glacier)), into: &writer)
        let whole = writer.bytes
        // The sort reads a record only up to its version: cut before that, it is damaged too.
        let sortFieldsEnd = try whole.withUnsafeBufferPointer { try PlacementSortKey.read($0, 0..<whole.count).version.upperBound }
        for cut in 0..<whole.count {
            let bytes = Array(whole[..<cut])
            bytes.withUnsafeBufferPointer { buffer in
                var reader = SpoolReader(buffer, range: 0..<cut)
                #expect(throws: StrataError.self) { try PlacementCoding.decode(&reader) }
                if cut < sortFieldsEnd {
                    #expect(throws: SpoolReader.Malformed.self) { try PlacementSortKey.read(buffer, 0..<cut) }
                }
            }
        }
        // A component past 32 bits, a length past the record, an unknown action.
        for bytes: [UInt8] in [[0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 1, 0x6B], [0, 0, 0x7F, 0x6B], whole.dropLast(1) + [9]] {
            bytes.withUnsafeBufferPointer { buffer in
                var reader = SpoolReader(buffer, range: 0..<bytes.count)
                #expect(throws: StrataError.self) { try PlacementCoding.decode(&reader) }
            }
        }
    }

    @Test("a key that claims more of the key before it than there was is an error")
    func damagedSharedKey() throws {
        var writer = SpoolWriter()
        writer.varint(5)
        writer.field([UInt8]("x".utf8).withUnsafeBufferPointer { UnsafeBufferPointer(start: $0.baseAddress, count: 0) })
        var key = KeyDecoder()
        let bytes = writer.bytes
        bytes.withUnsafeBufferPointer { buffer in
            var reader = SpoolReader(buffer, range: 0..<bytes.count)
            #expect(throws: SpoolReader.Malformed.self) { try key.read(&reader) { _ in true } }
        }
    }

    @Test("keys that are not ASCII sort as Swift's String order sorts them, in memory and through runs", arguments: [1, 3, 1_000_000])
    func nonASCIIKeysSortAsStrings(runLength: Int) throws {
        var rng = SplitMix(seed: 7)
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        // Precomposed and decomposed forms are equal as Strings but not as bytes.
        let parts = ["e", "é", "e\u{301}", "f", "\u{1F600}", "E", "ǅ", "a\u{308}", "ä", "z"]
        let placements = (0..<600).map { n in
            Placement(component: 0, group: Int(roll(2)), key: "k/" + parts[Int(roll(10))] + parts[Int(roll(10))],
                      versionID: roll(4) == 0 ? parts[Int(roll(10))] : nil, isMember: true, size: Int64(n), action: .none)
        }
        let sorter = PlacementSorter(directory: NSTemporaryDirectory(), runLength: runLength)
        for placement in placements { try sorter.add(placement) }
        try sorter.finish()
        var read: [Placement] = []
        try sorter.forEach { read.append($0) }
        // The sort is stable, as Swift's is: ties keep the order they were added in.
        #expect(read == placements.sorted(by: Placement.precedes))
    }

    @Test("the sorter counts the actions it is given, as a walk over them does")
    func tallyCountsActions() throws {
        let sorter = PlacementSorter(directory: NSTemporaryDirectory(), runLength: 10)
        var deletes = 0, transitions = 0
        for n in 0..<100 {
            let action: Placement.Action = [.none, .delete, .transition(from: .standard, to: .glacier)][n % 3]
            if n % 3 == 1 { deletes += 1 } else if n % 3 == 2 { transitions += 1 }
            try sorter.add(Placement(component: n % 2, group: n, key: "k\(n)", versionID: nil, isMember: true, size: Int64(n), action: action))
        }
        #expect(sorter.tally.actions == deletes + transitions)
        #expect(!sorter.tally.isOrderDependent)
        try sorter.add(Placement(component: 0, group: 0, key: "k", versionID: nil, isMember: true, size: -1, action: .delete))
        #expect(sorter.tally.isOrderDependent)
    }

    @Test("a front-coded record that claims more of the record before it than there was is an error")
    func damagedFrontCodedRecord() throws {
        let file = try SpoolFile(directory: NSTemporaryDirectory())
        var writer = FrontCodedWriter()
        for record in [[1, 2, 3], [1, 2, 4, 5]] as [[UInt8]] { try record.withUnsafeBufferPointer { try writer.append($0, to: file) } }
        try [UInt8]([9, 7]).withUnsafeBufferPointer { try file.append(record: $0) }  // shares 9 bytes of 4
        try file.flush()
        var reader = FrontCodedReader(file: file, bufferSize: 64)
        #expect(try reader.next() && reader.record == [1, 2, 3])
        #expect(try reader.next() && reader.record == [1, 2, 4, 5])
        #expect(throws: StrataError.self) { try reader.next() }
    }

    @Test("members and actions read from the records are those of the placements, in order, in memory, through runs merged as they are read, and through the merged file",
          arguments: [1, 7, 1_000_000])
    func membersFromRecords(runLength: Int) throws {
        var rng = SplitMix(seed: 11)
        func roll(_ sides: UInt64) -> UInt64 { rng.next() % sides }
        let sorter = PlacementSorter(directory: NSTemporaryDirectory(), runLength: runLength)
        var placements: [Placement] = []
        for n in 0..<500 {
            // Keys unique, so the order is one order: shared prefixes still exercise front coding.
            let placement = Placement(component: Int(roll(3)), group: Int(roll(9)), key: "k/\(roll(100))/é\(n)", versionID: nil,
                                      isMember: roll(3) != 0, size: 1, action: roll(2) == 0 ? .none : .delete)
            placements.append(placement)
            try sorter.add(placement)
        }
        try sorter.finish()
        let sorted = placements.sorted(by: Placement.precedes)
        let expectedMembers = sorted.filter(\.isMember).map { "\($0.component) \($0.group) \($0.key)" }
        let expectedActions = sorted.filter { $0.action != .none }.map { "\($0.component) \($0.group) \($0.key) \($0.action)" }
        func members() throws -> [String] {
            var read: [String] = []
            try sorter.forEachMember { component, group, key in read.append("\(component) \(group) \(String(decoding: key, as: UTF8.self))") }
            return read
        }
        func actions() throws -> [String] {
            var read: [String] = []
            try sorter.forEachAction { read.append("\($0.component) \($0.group) \($0.key) \($0.action)") }
            return read
        }
        // First from the runs merged as they are read (or from memory), then, once an iterator has
        // merged them into a file, from the file.
        #expect(try members() == expectedMembers)
        #expect(try actions() == expectedActions)
        var all: [Placement] = []
        try sorter.forEach { all.append($0) }
        #expect(all.map { "\($0.component) \($0.group) \($0.key) \($0.action)" } == sorted.map { "\($0.component) \($0.group) \($0.key) \($0.action)" })
        #expect(try members() == expectedMembers)
        #expect(try actions() == expectedActions)
        #expect(!expectedMembers.isEmpty && !expectedActions.isEmpty && expectedActions.count < all.count)
    }
}

