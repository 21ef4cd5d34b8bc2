import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import _NIOFileSystem

/// What a download wrote and how it was checked.
public struct DownloadResult: Sendable, Hashable {
    /// How the content was verified.
    public enum Verification: String, Sendable {
        /// Against the ``ContentChecksum`` Strata recorded at upload.
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
    /// Downloads an object to `path` with `concurrency` ranged GETs in flight, writing into a
    /// temporary file beside `path` that is renamed into place only after the content checked
    /// out, so `path` is never left half-written. Ranges are pinned to the object's ETag
    /// (`If-Match`), so an object replaced mid-download fails instead of mixing versions.
    public func downloadFile(bucket: String, key: String, to path: String, versionID: String? = nil,
                             progress: TransferProgressHandler? = nil) async throws -> DownloadResult {
        let head = try await headObject(bucket: bucket, key: key, versionID: versionID)
        let size = head.contentLength
        let checksum = ContentChecksum(metadata: head.metadata)
        let rangeSize = checksum?.partSize ?? configuration.transfer.partSize
        let temporary = path + ".strata-partial-\(UInt32.random(in: 0...UInt32.max))"
        let counter = ProgressCounter(total: size, handler: progress)
        let digests: [[UInt8]?]
        do {
            digests = try await FileSystem.shared.withFileHandle(
                forReadingAndWritingAt: FilePath(temporary), options: .newFile(replaceExisting: true)
            ) { handle in
                try await downloadRanges(bucket: bucket, key: key, versionID: versionID, head: head,
                                         rangeSize: rangeSize, into: handle, counter: counter)
            }
            let verification = try await verify(head: head, checksum: checksum, rangeDigests: digests,
                                                temporary: temporary, key: key)
            try await FileSystem.shared.moveItem(at: FilePath(temporary), to: FilePath(path))
            return DownloadResult(size: size, eTag: head.eTag, verification: verification)
        } catch {
            _ = try? await FileSystem.shared.removeItem(at: FilePath(temporary))
            throw error
        }
    }

    /// Fetches every range into `handle`; returns each range's SHA-256 in order.
    private func downloadRanges(bucket: String, key: String, versionID: String?, head: ObjectHead,
                                rangeSize: Int64, into handle: ReadWriteFileHandle,
                                counter: ProgressCounter) async throws -> [[UInt8]?] {
        let size = head.contentLength
        let count = size == 0 ? 1 : Int((size + rangeSize - 1) / rangeSize)
        let concurrency = max(1, configuration.transfer.concurrency)
        return try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            var digests = [[UInt8]?](repeating: nil, count: count)
            var next = 0
            func addRange(_ index: Int) {
                let start = Int64(index) * rangeSize
                let end = min(start + rangeSize, size) - 1
                group.addTask {
                    let digest = try await self.downloadRange(bucket: bucket, key: key, versionID: versionID,
                                                              eTag: head.eTag, range: size == 0 ? nil : start...end,
                                                              into: handle)
                    counter.add(end - start + 1)
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
                               range: ClosedRange<Int64>?, into handle: ReadWriteFileHandle) async throws -> [UInt8] {
        var headers = HTTPHeaders()
        if let range { headers.add(name: "range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        if !eTag.isEmpty { headers.add(name: "if-match", value: "\"\(eTag)\"") }
        var query: [(name: String, value: String)] = []
        if let versionID { query.append(("versionId", versionID)) }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key, query: query,
                                headers: headers)
        return try await execute(request) { response in
            var hasher = SHA256()
            var offset = range?.lowerBound ?? 0
            let expected = range.map { $0.upperBound - $0.lowerBound + 1 }
            for try await buffer in response.body {
                buffer.readableBytesView.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                try await handle.write(contentsOf: buffer.readableBytesView, toAbsoluteOffset: offset)
                offset += Int64(buffer.readableBytes)
            }
            let received = offset - (range?.lowerBound ?? 0)
            if let expected, received != expected {
                throw S3TransportError(kind: .connection, operation: request.operation, bucket: bucket, key: key,
                                       detail: "range ended after \(received) of \(expected) bytes")
            }
            return Array(hasher.finalize())
        }
    }

    private func verify(head: ObjectHead, checksum: ContentChecksum?, rangeDigests: [[UInt8]?],
                        temporary: String, key: String) async throws -> DownloadResult.Verification {
        if let checksum {
            let actual = ContentChecksum.combine(partDigests: rangeDigests.compactMap { $0 }, partSize: checksum.partSize)
            guard actual.digest == checksum.digest else {
                throw TransferError.checksumMismatch(key: key, detail: "sha256-parts \(actual.digest), recorded \(checksum.digest)")
            }
            return .strataChecksum
        }
        guard head.eTag.count == 32, !ETag.isMultipart(head.eTag) else { return .none }
        var md5 = Insecure.MD5()
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(temporary)) { handle in
            for try await chunk in handle.readChunks(in: 0..<max(head.contentLength, 0), chunkLength: .mebibytes(1)) {
                chunk.readableBytesView.withUnsafeBytes { md5.update(bufferPointer: $0) }
            }
        }
        let actual = Digests.hex(md5.finalize())
        guard actual == head.eTag.lowercased() else {
            throw TransferError.checksumMismatch(key: key, detail: "MD5 \(actual), ETag \(head.eTag)")
        }
        return .md5ETag
    }
}
