import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SigV4
import SystemPackage

/// What a download wrote and how it was checked.
public struct DownloadResult: Sendable, Hashable {
    /// How the content was verified.
    public enum Verification: String, Sendable {
        /// Against the CRC-32C of the ``ContentChecksum`` Strata recorded at upload.
        case strataCRC = "crc32c-parts"
        /// Against the SHA-256 of the ``ContentChecksum`` Strata recorded at upload (objects
        /// uploaded before the CRC was recorded).
        case strataChecksum = "sha256-parts"
        /// Against the MD5 ETag of a single-part object.
        case md5ETag = "md5-etag"
        /// Nothing to check against (a multipart object not uploaded by Strata).
        case none
    }
    /// Bytes written.
    public var size: Int64
    /// The object's ETag.
    public var eTag: String
    /// How the content was verified.
    public var verification: Verification
}

extension S3Client {
    /// Downloads an object to `path` (see ``downloadFile(bucket:key:into:at:versionID:progress:)``:
    /// the file's directory is `path`'s, which must exist; a symbolic link at `path` itself is
    /// refused, not followed or replaced).
    public func downloadFile(bucket: String, key: String, to path: String, versionID: String? = nil,
                             progress: TransferProgressHandler? = nil) async throws -> DownloadResult {
        guard !path.isEmpty else { throw LocalPathError.emptyDestination }
        let file = FilePath(path)
        guard let name = file.lastComponent, name.kind == .regular else {
            throw LocalPathError.notARegularFile(key: key, path: path)
        }
        let folder = file.removingLastComponent()
        let directory = try DownloadDirectory(path: folder.isEmpty ? "." : folder.string, create: false)
        return try await downloadFile(bucket: bucket, key: key, into: directory, at: [name.string],
                                      versionID: versionID, progress: progress)
    }

    /// Downloads an object to the file at `components` below `directory` (directories on the
    /// way are created; none is followed if it is a link: see ``DownloadDirectory``), with
    /// `concurrency` ranged GETs in flight. The content goes into a new unnamed file (or one
    /// under a random dot name) that gets its own name only after it checked out, so the file
    /// is never left half-written and a regular file of that name is replaced whole. Ranges are
    /// pinned to the object's ETag (`If-Match`), so an object replaced mid-download fails
    /// instead of mixing versions.
    ///
    /// - Throws: ``LocalPathError`` when the file cannot go there, ``TransferError`` when the
    ///   content does not check out, ``S3Error`` and the transport's errors.
    public func downloadFile(bucket: String, key: String, into directory: DownloadDirectory, at components: [String],
                             versionID: String? = nil, progress: TransferProgressHandler? = nil) async throws -> DownloadResult {
        guard !components.isEmpty else { throw LocalPathError.unusableKey(key: key, problem: .nothingBelowPrefix) }
        let head = try await headObject(bucket: bucket, key: key, versionID: versionID)
        let size = head.contentLength
        let choice = try DownloadRanges.choose(key: key, size: size, metadata: head.metadata,
                                               configuredRangeSize: configuration.transfer.partSize)
        if let ignored = choice.ignored {
            // Not from a Strata upload: the content is still fetched (a restore must not be
            // blocked by a metadata value), and checked by its ETag where that is an MD5.
            logger.warning("ignoring an implausible recorded checksum", metadata: [
                "key": "\(key)", "part_size": "\(ignored.partSize)", "size": "\(size)"])
        }
        let checksum = choice.checksum
        let rangeSize = choice.ranges.rangeSize
        let check = RangeCheck(checksum)
        let counter = ProgressCounter(total: size, handler: progress)
        let file = try directory.newFile(at: components, key: key)
        do {
            let digests = try await DownloadWriter.with(descriptor: file.descriptor, rangeSize: rangeSize) { writer in
                let digests = try await downloadRanges(bucket: bucket, key: key, versionID: versionID, head: head,
                                                       ranges: choice.ranges, check: check, into: writer, counter: counter)
                try await writer.finish(size: size)
                return digests
            }
            let verification = try await verify(head: head, checksum: checksum, rangeDigests: digests, file: file, key: key)
            try file.commit()
            return DownloadResult(size: size, eTag: head.eTag, verification: verification)
        } catch {
            file.discard()
            throw error
        }
    }

    /// Fetches every range through `writer`; returns each range's `check` value in order.
    private func downloadRanges(bucket: String, key: String, versionID: String?, head: ObjectHead,
                                ranges: DownloadRanges, check: RangeCheck, into writer: DownloadWriter,
                                counter: ProgressCounter) async throws -> [[UInt8]?] {
        let count = ranges.count
        let concurrency = max(1, configuration.transfer.concurrency)
        return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var digests = [[UInt8]?](repeating: nil, count: count)
            var next = 0
            func addRange(_ index: Int) {
                let range = ranges.range(at: index)
                group.addTask {
                    let digest = try await self.downloadRange(bucket: bucket, key: key, versionID: versionID,
                                                              eTag: head.eTag, range: range,
                                                              check: check, into: writer)
                    counter.add(range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0)
                    return (index, digest)
                }
            }
            while next < min(concurrency, count) { addRange(next); next += 1 }
            while let (index, digest) = try await group.next() {
                digests[index] = digest
                if next < count { addRange(next); next += 1 }
            }
            return digests
        }
    }

    /// One ranged GET written at its offset; restarts from the range's start on retry.
    private func downloadRange(bucket: String, key: String, versionID: String?, eTag: String,
                               range: ClosedRange<Int64>?, check: RangeCheck,
                               into writer: DownloadWriter) async throws -> [UInt8] {
        var headers = HTTPHeaders()
        if let range { headers.add(name: "range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        if !eTag.isEmpty { headers.add(name: "if-match", value: "\"\(eTag)\"") }
        var query: [(name: String, value: String)] = []
        if let versionID { query.append(("versionId", versionID)) }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key, query: query,
                                headers: headers)
        return try await execute(request) { response in
            var hasher = SHA256()
            var crc: UInt32 = 0
            let start = range?.lowerBound ?? 0
            let expected = range.map { $0.upperBound - $0.lowerBound + 1 }
            var written = start
            // Received chunks (64 KiB or less each) are checked as they arrive and staged into
            // aligned 1 MiB blocks, each written with one pwrite by the file's one writer thread.
            let staging = AlignedBlock()
            for try await chunk in response.body {
                chunk.withUnsafeReadableBytes { bytes in
                    switch check {
                    case .crc32c: crc = CRC32C.update(crc, bytes)
                    case .sha256: hasher.update(bufferPointer: bytes)
                    case .none: break
                    }
                }
                if let expected, written - start + Int64(staging.count + chunk.readableBytes) > expected {
                    // More than asked for: writing it would overwrite the next range's bytes.
                    throw S3TransportError(kind: .malformedResponse, operation: request.operation, bucket: bucket,
                                           key: key, detail: "range answer longer than the \(expected) bytes asked")
                }
                var rest = chunk
                while rest.readableBytes > 0 {
                    staging.append(&rest)
                    if staging.isFull {
                        try await writer.write(staging, at: written)
                        written += Int64(DownloadWriter.blockSize)
                    }
                }
            }
            let tail = Int64(staging.count)
            try await writer.write(staging, at: written)
            written += tail
            let received = written - start
            if let expected, received != expected {
                throw S3TransportError(kind: .connection, operation: request.operation, bucket: bucket, key: key,
                                       detail: "range ended after \(received) of \(expected) bytes")
            }
            switch check {
            case .crc32c: return CRC32C.bytes(crc)
            case .sha256: return Array(hasher.finalize())
            case .none: return []
            }
        }
    }

    private func verify(head: ObjectHead, checksum: ContentChecksum?, rangeDigests: [[UInt8]?],
                        file: PendingFile, key: String) async throws -> DownloadResult.Verification {
        if let checksum, let recorded = checksum.crc32c {
            let actual = CRC32C.combine(rangeDigests.compactMap { $0 }.map(CRC32C.value))
            guard actual == recorded else {
                throw TransferError.checksumMismatch(key: key, detail: "crc32c-parts \(actual), recorded \(recorded)")
            }
            return .strataCRC
        }
        if let checksum {
            let actual = ContentChecksum.combine(partDigests: rangeDigests.compactMap { $0 }, partSize: checksum.partSize)
            guard actual.digest == checksum.digest else {
                throw TransferError.checksumMismatch(key: key, detail: "sha256-parts \(actual.digest), recorded \(checksum.digest)")
            }
            return .strataChecksum
        }
        guard head.eTag.count == 32, !ETag.isMultipart(head.eTag) else { return .none }
        let size = head.contentLength
        let actual = try await NIOThreadPool.singleton.runIfActive { try Self.md5Hex(of: file, size: size) }
        guard actual == head.eTag.lowercased() else {
            throw TransferError.checksumMismatch(key: key, detail: "MD5 \(actual), ETag \(head.eTag)")
        }
        return .md5ETag
    }

    /// The MD5 of the first `size` bytes of `file`, in hex, read back through its descriptor
    /// (it may have no name yet). Blocks: run it on a thread pool.
    private static func md5Hex(of file: PendingFile, size: Int64) throws -> String {
        var md5 = Insecure.MD5()
        let block = AlignedBlock()
        var offset: Int64 = 0
        var direct = false
        while offset < size {
            let length = Int(min(Int64(AlignedBlock.size), size - offset))
            let count = try DirectIO.read(file.descriptor, into: block.base, length: length, at: offset, direct: &direct)
            guard count == length else {
                throw LocalPathError.system(key: file.key, path: file.path, operation: .read, errno: .ioError)
            }
            md5.update(bufferPointer: UnsafeRawBufferPointer(start: block.base, count: count))
            offset += Int64(count)
        }
        return Digests.hex(md5.finalize())
    }
}

/// What each range of a download is checked with: the cheapest check the object's recorded
/// ``ContentChecksum`` allows, or nothing while receiving (a single-part object without one is
/// checked against its MD5 ETag afterwards).
enum RangeCheck: Sendable {
    case crc32c, sha256, none

    init(_ checksum: ContentChecksum?) {
        self = checksum?.crc32c != nil ? .crc32c : checksum != nil ? .sha256 : .none
    }
}
