import Foundation
import Testing
@testable import Retention

/// The golden histories, written out as S3 Inventory CSV (URL-encoded keys, every column of a
/// versioned bucket with Object Lock) and read back through ``S3InventoryCSV``, plan byte for
/// byte as the histories themselves: the report path (`sweep --inventory`) gives the same plan as
/// a listing. Reports carry no tags, so the histories with tags only check that every other
/// field comes back as it was.
@Suite struct InventoryReportGoldenTests {
    static let columns = InventoryCSVOracleTests.fullSchema

    /// S3's encoding of a key in a report: unreserved bytes as they are, a space as `+`, the rest `%XX`.
    static func encodedKey(_ key: String) -> String {
        var out = ""
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "): out += "+"
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// `2024-01-02T03:04:05.678Z`, as reports write times (whole milliseconds).
    static func time(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let text = CivilTime.iso8601(seconds)
        return String(text.dropLast()) + String(format: ".%03dZ", Int(milliseconds - seconds * 1000))
    }

    /// One data file of `objects`, CRLF line ends and all.
    static func csv(_ objects: [InventoryObject], bucket: String) -> [UInt8] {
        var text = ""
        for object in objects {
            let lock = object.objectLock
            let fields = [
                bucket, encodedKey(object.key), object.versionID ?? "", object.isLatest ? "true" : "false",
                object.isDeleteMarker ? "true" : "false", object.isDeleteMarker ? "" : String(object.size),
                time(object.lastModified), object.eTag ?? "", object.storageClass.rawValue,
                lock?.retainUntil.map(time) ?? "", lock?.mode?.rawValue ?? "", lock == nil ? "" : (lock!.legalHold ? "ON" : "OFF"),
            ]
            text += fields.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",") + "\r\n"
        }
        return Array(text.utf8)
    }

    /// The objects of `history` as a report gives them back, in chunks the size gzip output comes in.
    static func readBack(_ history: PlanGoldenTests.History) throws -> [InventoryObject] {
        let bytes = csv(history.inventory.objects, bucket: "backups")
        var reader = try S3InventoryCSV(columns: columns, file: "data.csv", bucket: "backups")
        for start in stride(from: 0, to: bytes.count, by: 65_536) {
            try reader.consume(bytes[start..<min(start + 65_536, bytes.count)])
        }
        try reader.finish()
        return reader.objects
    }

    @Test("every field but tags comes back from a report", arguments: PlanGoldenTests.histories)
    func objectsComeBack(history: PlanGoldenTests.History) throws {
        let read = try Self.readBack(history)
        let expected = history.inventory.objects.map { object -> InventoryObject in
            var object = object
            object.tags = nil
            // A marker has no size in a report; the reader gives it 0.
            if object.isDeleteMarker { object.size = 0 }
            return object
        }
        #expect(read.count == expected.count)
        for (a, b) in zip(read, expected) where a != b {
            Issue.record("\(a) read back, \(b) written")
            return
        }
    }

    @Test("a history read from a report plans as the golden file", arguments: PlanGoldenTests.histories.filter {
        !$0.inventory.objects.contains { $0.tags != nil }
    })
    func reportPlansAsGolden(history: PlanGoldenTests.History) throws {
        let inventory = Inventory(objects: try Self.readBack(history), uploads: history.inventory.uploads)
        let planner = Planner(policies: try Fixtures.defaultPolicies(), options: history.options)
        let json = try planner.plan(inventory: inventory, now: history.now, documents: history.documents).jsonData()
        let golden = try Data(contentsOf: PlanGoldenTests.goldenDirectory.appendingPathComponent("\(history.name).json"))
        #expect(json == golden, "the plan of \(history.name) read from a report differs from its golden file")
    }
}
