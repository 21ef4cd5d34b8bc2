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
            Placement(component: Int(roll(3)), group: Int(roll(40)), key: "k/\(roll(2_000))/é\(n % 7)",
                      versionID: roll(3) == 0 ? "v\(roll(5))" : nil, isMember: roll(2) == 0, size: Int64(roll(1 << 40)),
                      action: [.none, .delete, .transition(from: .standard, to: .glacier), .transition(from: StorageClass(rawValue: "X"), to: .deepArchive)][Int(roll(4))])
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
}
