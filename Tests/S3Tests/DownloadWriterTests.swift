import Foundation
import NIOCore
@testable import S3
import Testing
import _NIOFileSystem

/// How downloads write their ranges: staged 1 MiB blocks, around the page cache when the range
/// size allows, and always the exact bytes at the exact offsets. No server needed.
struct DownloadWriterTests {
    static let mib = 1024 * 1024

    /// (range size, file size, direct I/O expected): ranges of whole blocks, ranges ending
    /// mid-block (aligned), a last range that is a few bytes, an empty file, and range sizes
    /// that are not 4 KiB multiples, which must go through the page cache.
    static let cases: [(Int, Int, Bool)] = [
        (2 * mib, 5 * mib + 3, true), (mib + 8192, 3 * (mib + 8192) + 5000, true), (mib + 8192, 1, true),
        (mib, 0, true), (mib + 100, 2 * (mib + 100) + 7, false), (5 * mib + 1, 5 * mib + 1, false),
    ]

    @Test("ranges land at their offsets, the file is cut to size", arguments: cases)
    func rangesLandInPlace(rangeSize: Int, size: Int, direct: Bool) async throws {
        let data = FileBlocksTests.pattern(count: size)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-dw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let usedDirect = try await FileSystem.shared.withFileHandle(
            forReadingAndWritingAt: FilePath(path), options: .newFile(replaceExisting: true)
        ) { handle in
            try await DownloadWriter.with(handle, rangeSize: Int64(rangeSize)) { writer in
                // Ranges in reverse order and chunks of an odd size, as the network delivers them.
                for start in stride(from: 0, to: max(size, 1), by: rangeSize).reversed() {
                    let end = min(start + rangeSize, size)
                    let staging = AlignedBlock()
                    var written = start
                    for chunkStart in stride(from: start, to: end, by: 7919) {
                        var chunk = ByteBuffer(bytes: data[chunkStart..<min(chunkStart + 7919, end)])
                        while chunk.readableBytes > 0 {
                            staging.append(&chunk)
                            if staging.isFull {
                                try await writer.write(staging, at: Int64(written))
                                written += DownloadWriter.blockSize
                            }
                        }
                    }
                    try await writer.write(staging, at: Int64(written))
                }
                try await writer.finish(size: Int64(size))
                return writer.isDirect
            }
        }
        #expect(usedDirect == direct)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written.count == size)
        #expect(Array(written) == data)
    }
}
