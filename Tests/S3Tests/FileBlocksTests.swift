import CStrataSystem
import Crypto
import Foundation
import NIOCore
@testable import S3
import Testing
import _NIOFileSystem

/// The block file I/O under uploads and downloads, and the upload's hash pass. No server needed.
struct FileBlocksTests {
    static let block = FileBlocks.blockSize

    /// Bytes that differ from block to block, so a block read from the wrong offset shows.
    static func pattern(count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-blocks-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// (lower, upper, around the page cache): unaligned starts read through the page cache even
    /// when direct I/O is asked for; aligned ones end mid-block, at a block, and at the file's end.
    static let ranges: [(Int, Int, Bool)] = [
        (0, 0, false), (0, 1, false), (3, block, false), (block - 1, 2 * block + 3, false), (0, 3 * block + 17, false),
        (5, 3 * block + 17, false), (0, 1, true), (0, 3 * block + 17, true), (block, 2 * block + 5, true),
        (4096, 3 * block, true), (3, block, true),
    ]

    @Test("a request body yields exactly the bytes of its range", arguments: ranges)
    func chunksYieldTheRange(lower: Int, upper: Int, direct: Bool) async throws {
        let data = Self.pattern(count: 3 * Self.block + 17)
        let path = try Self.temporaryFile(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Every chunk is kept while later ones are read: the reader reuses its buffers, and a
        // chunk still held (as by a channel that has not written it yet) must not change.
        let chunks = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            var chunks: [ByteBuffer] = []
            if direct { #expect(try await handle.withUnsafeDescriptor { DirectIO.set($0.rawValue, true) }) }
            for try await chunk in FileBlocks.Chunks(handle: handle, range: Int64(lower)..<Int64(upper), path: path,
                                                     direct: direct) {
                chunks.append(chunk)
            }
            if direct, lower % 4096 == 0 {
                // Aligned reads kept O_DIRECT: the page cache was really bypassed.
                let flags = try await handle.withUnsafeDescriptor { fcntl($0.rawValue, F_GETFL) }
                #expect(flags & cstrata_o_direct() != 0)
            }
            return chunks
        }
        #expect(chunks.allSatisfy { $0.readableBytes <= Self.block && $0.readableBytes > 0 })
        #expect(chunks.flatMap { Array($0.readableBytesView) } == Array(data[lower..<upper]))
    }

    @Test func aFileThatShrankIsRefused() async throws {
        let path = try Self.temporaryFile(Self.pattern(count: 1000))
        defer { try? FileManager.default.removeItem(atPath: path) }
        await #expect(throws: TransferError.fileChanged(path)) {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                for try await _ in FileBlocks.Chunks(handle: handle, range: 0..<2000, path: path) {}
            }
        }
        await #expect(throws: TransferError.fileChanged(path)) {
            _ = try await S3Client.partDigests(path: path, size: 2000, partSize: 5 * 1024 * 1024)
        }
    }

    /// (file size, part size): empty, tiny, parts that end mid-block, parts of whole blocks.
    static let sizes: [(Int, Int)] = [
        (0, 5 * 1024 * 1024), (1, 5 * 1024 * 1024), (3 * block + 5, block + block / 2 + 3),
        (2 * block, block), (11 * 1024 * 1024 + 1, 5 * 1024 * 1024),
    ]

    @Test("the hash pass gives ContentChecksum.of's part digests", arguments: sizes)
    func partDigestsMatch(size: Int, partSize: Int) async throws {
        let data = Self.pattern(count: size)
        let path = try Self.temporaryFile(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (digests, crcs) = try await S3Client.partDigests(path: path, size: Int64(size), partSize: Int64(partSize))
        #expect(digests.count == max(1, (size + partSize - 1) / partSize))
        #expect(crcs.count == digests.count)
        #expect(ContentChecksum.combine(partDigests: digests, partSize: Int64(partSize), partCRCs: crcs)
            == ContentChecksum.of(data, partSize: Int64(partSize)))
    }
}
