import Foundation
import Retention
@testable import StrataKit
import StrataTestSupport
import Testing

/// One data file of an S3 Inventory report, read as a sweep reads it, when the file is not what
/// it should be. A report read with `--allow-unverified-inventory` has no MD5 to catch a damaged
/// file, so the gzip stream itself must: rows lost to a file cut short make sets invisible, and a
/// kept set that vanishes from a plan frees the WAL it needs.
@Suite struct InventoryDataFileTests {
    static let columns = ["Bucket", "Key", "Size", "LastModifiedDate"]

    /// `rows` rows of CSV, each a line.
    static func csv(rows: Int) -> Data {
        Data((0..<rows).map { "\"b\",\"vault/2026112\($0 % 10)_020000-\($0).snap\",\"\($0 + 1)\",\"2026-11-20T02:00:00.000Z\"\n" }.joined().utf8)
    }

    /// `data` gzip-compressed (by python3's gzip module, as a report writer would).
    static func gzip(_ data: Data) throws -> Data {
        let directory = try makeScratchDirectory("inventory-gzip")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = directory + "/rows.csv"
        try data.write(to: URL(fileURLWithPath: plain))
        let output = try ProcessRunner().run(["python3", "-c", "import gzip,sys; open(sys.argv[1]+'.gz','wb').write(gzip.compress(open(sys.argv[1],'rb').read()))", plain])
        guard output.status == 0 else { throw HarnessError(message: output.stderr) }
        return try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
    }

    /// Reads `bytes` as a data file with no MD5 to check; the keys read.
    static func read(_ bytes: Data) async throws -> [String] {
        let directory = try makeScratchDirectory("inventory-file")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/data.csv.gz"
        try bytes.write(to: URL(fileURLWithPath: path))
        var keys: [String] = []
        try await InventoryReportReader.read(path: path, named: "data/data.csv.gz", columns: columns, md5: nil, bucket: "b") { objects in
            keys += objects.map(\.key)
        }
        return keys
    }

    @Test func aWholeGzipFileGivesEveryRow() async throws {
        #expect(try await Self.read(try Self.gzip(Self.csv(rows: 5_000))).count == 5_000)
    }

    /// The file cut anywhere before its end, at a line boundary of the data or not: refused,
    /// naming the file, never read as fewer rows.
    @Test(arguments: [8, 100, 1_000, 4])
    func aGzipFileCutShortIsRefused(cutFromEnd: Int) async throws {
        let whole = try Self.gzip(Self.csv(rows: 5_000))
        let cut = whole.prefix(whole.count - cutFromEnd)
        await #expect { _ = try await Self.read(Data(cut)) } throws: { error in
            "\(error)".contains("data/data.csv.gz")
        }
    }

    /// Bytes after the end of the gzip stream are not a report's: refused, and the read ends.
    @Test func bytesAfterTheGzipStreamAreRefused() async throws {
        let whole = try Self.gzip(Self.csv(rows: 100))
        await #expect { _ = try await Self.read(whole + Data("\"b\",\"vault/planted\",\"1\",\"2026-11-20T02:00:00.000Z\"\n".utf8)) } throws: { error in
            "\(error)".contains("data/data.csv.gz")
        }
    }
}
