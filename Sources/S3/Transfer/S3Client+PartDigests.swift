import Crypto
import NIOCore
import SigV4
import _NIOFileSystem

extension S3Client {
    /// Parts the hash pass reads and hashes at once, each on its own thread of the file
    /// system's pool: the pass is CPU-bound (SHA-256), so two lanes halve its wall time on two
    /// cores without changing its CPU time.
    static let hashLanes = 2

    /// The SHA-256 and CRC-32C of each `partSize` slice of the file: an upload's first pass.
    ///
    /// Each part is read and hashed by one job on the file system's thread pool, block after
    /// block through one aligned block, so a GiB costs a few dozen thread hops rather than
    /// two per MiB; around the page cache when the part size allows (see ``DirectIO``).
    ///
    /// - Throws: ``TransferError/fileChanged(_:)`` when the file ends before `size`.
    static func partDigests(path: String, size: Int64, partSize: Int64) async throws -> (sha256: [[UInt8]], crc32c: [UInt32]) {
        guard size > 0 else { return ([Array(SHA256().finalize())], [0]) }
        let count = Int((size + partSize - 1) / partSize)
        var digests = [[UInt8]](repeating: [], count: count)
        var crcs = [UInt32](repeating: 0, count: count)
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            var direct = false
            if DirectIO.isAligned(partSize) {
                direct = try await handle.withUnsafeDescriptor { DirectIO.set($0.rawValue, true) }
            }
            let asDirect = direct
            try await withThrowingTaskGroup(of: (index: Int, sha256: [UInt8], crc32c: UInt32, block: AlignedBlock).self) { group in
                var next = 0
                func addPart(_ block: AlignedBlock) {
                    let index = next
                    let offset = Int64(index) * partSize
                    let length = min(partSize, size - offset)
                    group.addTask {
                        let (sha256, crc32c) = try await hashPart(handle, offset: offset, length: length, block: block,
                                                                  direct: asDirect, path: path)
                        return (index, sha256, crc32c, block)
                    }
                    next += 1
                }
                while next < min(hashLanes, count) { addPart(AlignedBlock()) }
                while let done = try await group.next() {
                    digests[done.index] = done.sha256
                    crcs[done.index] = done.crc32c
                    if next < count { addPart(done.block) }
                }
            }
        }
        return (digests, crcs)
    }

    /// Reads `length` bytes at `offset` through `block` and hashes them, in one thread-pool job.
    private static func hashPart(_ handle: ReadFileHandle, offset: Int64, length: Int64, block: AlignedBlock,
                                 direct: Bool, path: String) async throws -> ([UInt8], UInt32) {
        try await handle.withUnsafeDescriptor { descriptor in
            var hasher = SHA256()
            var crc: UInt32 = 0
            var useDirect = direct
            var done: Int64 = 0
            while done < length {
                // Blocks start at the part's offset, so with aligned parts every read is aligned.
                let want = Int(min(Int64(AlignedBlock.size), length - done))
                let count = try DirectIO.read(descriptor.rawValue, into: block.base, length: want, at: offset + done,
                                              direct: &useDirect)
                guard count == want else { throw TransferError.fileChanged(path) }
                let bytes = UnsafeRawBufferPointer(start: block.base, count: count)
                hasher.update(bufferPointer: bytes)
                crc = CRC32C.update(crc, bytes)
                done += Int64(count)
            }
            return (Array(hasher.finalize()), crc)
        }
    }
}
