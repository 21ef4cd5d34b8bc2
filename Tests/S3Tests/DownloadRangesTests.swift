import Foundation
import S3
import StrataTestSupport
import Testing

/// How a download cuts an object into ranges, from a HEAD someone else may have shaped
/// (issue 16, rows 1 and 2: sizes and part sizes are bounded before any arithmetic).
struct DownloadRangesTests {
    static let gib: Int64 = 1 << 30
    static let checksum = ["strata-sha256-parts": String(repeating: "a", count: 64)]

    static func metadata(partSize: String) -> [String: String] {
        checksum.merging(["strata-part-size": partSize]) { $1 }
    }

    /// Sizes a real S3 object cannot have, and range sizes no part can have, are refused naming
    /// the key; nothing traps.
    @Test(arguments: [
        (Int64.max, Int64(16 << 20), "its size 9223372036854775807 is outside S3's 0 to 5497558138880 bytes"),
        (Int64(-1), Int64(16 << 20), "its size -1 is outside"),
        (DownloadRanges.maximumObjectSize + 1, Int64(16 << 20), "outside S3's 0 to 5497558138880 bytes"),
        (Int64(100), Int64(0), "range size 0 is outside 1 byte to 5368709120"),
        (Int64(100), Int64.max, "range size 9223372036854775807 is outside"),
    ])
    func implausibleNumbersAreRefused(size: Int64, configured: Int64, detail: String) throws {
        let error = #expect(throws: TransferError.self) {
            _ = try DownloadRanges.choose(key: "vault/x", size: size, metadata: [:], configuredRangeSize: configured)
        }
        guard case .implausibleObject(let key, let said)? = error else {
            Issue.record("expected implausibleObject, got \(String(describing: error))")
            return
        }
        #expect(key == "vault/x")
        #expect(said.contains(detail), "\(said)")
    }

    /// A recorded part size that cannot describe the object is ignored for the configured one.
    @Test(arguments: [("9223372036854775807", Int64(8 << 20)), ("1", Int64(8 << 20)), ("0", Int64(8 << 20)),
                      ("-5", Int64(8 << 20)), ("5368709121", Int64(8 << 20)), ("4194304", Int64(4 << 20))])
    func aRecordedPartSizeIsUsedOnlyWhenItFits(recorded: String, expected: Int64) throws {
        let choice = try DownloadRanges.choose(key: "k", size: 100 << 20, metadata: Self.metadata(partSize: recorded),
                                               configuredRangeSize: 8 << 20)
        #expect(choice.ranges.rangeSize == expected)
        #expect((choice.checksum != nil) == (expected == 4 << 20))
    }

    @Test func rangesOfSmallObjects() throws {
        let empty = try #require(DownloadRanges(objectSize: 0, rangeSize: 3))
        #expect(empty.count == 1)
        #expect(empty.range(at: 0) == nil)
        let ten = try #require(DownloadRanges(objectSize: 10, rangeSize: 3))
        #expect((0..<ten.count).map { ten.range(at: $0) } == [0...2, 3...5, 6...8, 9...9])
    }

    /// Property: for any size and range size within S3's limits, the ranges are contiguous from
    /// byte 0 to the last byte, each at most `rangeSize` long, and there are exactly enough.
    @Test func rangesCoverTheObjectExactly() throws {
        var random = SplitMix(seed: 16)
        for round in 0..<2_000 {
            let size = round % 4 == 0 ? Int64.random(in: 0...64, using: &random)
                : Int64.random(in: 0...DownloadRanges.maximumObjectSize, using: &random)
            let rangeSize = round % 3 == 0 ? Int64.random(in: 1...8, using: &random)
                : Int64.random(in: 1...ContentChecksum.maximumPartSize, using: &random)
            guard let ranges = DownloadRanges(objectSize: size, rangeSize: rangeSize) else {
                Issue.record("refused \(size) / \(rangeSize)")
                continue
            }
            if size == 0 { #expect(ranges.count == 1); continue }
            // Check the first, the last and a sample between (counts reach millions).
            let indices = Set([0, ranges.count - 1] + (0..<8).map { _ in Int.random(in: 0..<ranges.count, using: &random) })
            for index in indices {
                let range = try #require(ranges.range(at: index))
                #expect(range.lowerBound == Int64(index) * rangeSize)
                #expect(range.count <= rangeSize)
                if index < ranges.count - 1 { #expect(range.count == rangeSize) }
            }
            #expect(ranges.range(at: ranges.count - 1)?.upperBound == size - 1)
        }
    }
}
