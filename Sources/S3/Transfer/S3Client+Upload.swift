import Crypto
import Foundation
import NIOCore
import _NIOFileSystem

/// What an upload wrote.
public struct UploadResult: Sendable, Hashable {
    /// The key written.
    public var key: String
    /// Bytes uploaded.
    public var size: Int64
    /// ETag without quotes (may be empty after a multipart upload to RGW).
    public var eTag: String
    /// Version id in versioned buckets.
    public var versionID: String?
    /// The content checksum recorded in the object's metadata.
    public var checksum: ContentChecksum
    /// Parts uploaded (1 for a single PUT).
    public var parts: Int
}

extension S3Client {
    /// Uploads a file: one `PutObject` for small files, a multipart upload with `concurrency`
    /// parts in flight for large ones. Every part is sent with its signed SHA-256, so S3
    /// rejects a part corrupted in flight, and the object's ``ContentChecksum`` is stored in
    /// its metadata. Parts stream from the file in 1 MiB blocks through reused buffers
    /// (``FileBlocks``), so memory stays near `concurrency x 3 MiB`. A failed multipart upload
    /// is aborted, leaving no orphaned parts; a file that shrinks meanwhile fails the upload
    /// (``TransferError/fileChanged(_:)``).
    ///
    /// The file is read twice: once to hash (so the checksum can go into the metadata, which
    /// S3 takes only at the start), once to send; the second read comes from the page cache.
    /// The part digests from the first read are the parts' signed payload hashes, so no byte
    /// is hashed twice.
    public func uploadFile(bucket: String, key: String, path: String, options: PutOptions = PutOptions(),
                           progress: TransferProgressHandler? = nil) async throws -> UploadResult {
        let size = try await Self.fileSize(path)
        let transfer = configuration.transfer
        let partSize = transfer.partSize(forObjectOfSize: size)
        let digests = try await Self.partDigests(path: path, size: size, partSize: partSize)
        let checksum = ContentChecksum.combine(partDigests: digests, partSize: partSize)
        var options = options
        options.metadata.merge(checksum.metadata) { $1 }
        let counter = ProgressCounter(total: size, handler: progress)

        if size <= partSize, size < transfer.multipartThreshold {
            var request = S3Request(operation: "PutObject", method: .PUT, bucket: bucket, key: key,
                                    headers: options.headers,
                                    body: .file(path: path, offset: 0, length: size,
                                                sha256: Digests.hex(digests[0]), md5: nil))
            request.retryOnTransportError = !options.ifNoneMatch
            let response = try await execute(request)
            counter.add(size)
            return UploadResult(key: key, size: size, eTag: ETag.unquoted(response.headers.first(name: "etag") ?? ""),
                                versionID: response.headers.first(name: "x-amz-version-id"), checksum: checksum, parts: 1)
        }

        let uploadID = try await createMultipartUpload(bucket: bucket, key: key, options: options)
        do {
            let parts = try await uploadParts(bucket: bucket, key: key, uploadID: uploadID, path: path, size: size,
                                              partSize: partSize, digests: digests, counter: counter)
            let result = try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts,
                                                           ifNoneMatch: options.ifNoneMatch)
            return UploadResult(key: key, size: size, eTag: result.eTag, versionID: result.versionID,
                                checksum: checksum, parts: parts.count)
        } catch {
            await abortQuietly(bucket: bucket, key: key, uploadID: uploadID)
            throw error
        }
    }

    /// Aborts an upload after a failure, even when the surrounding task was cancelled; the
    /// original error matters more than a failed abort, which is only logged.
    func abortQuietly(bucket: String, key: String, uploadID: String) async {
        do {
            // A cancelled task would cancel the abort too; the abort must run regardless.
            try await withTaskCancellationHandler {
                try await abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID)
            } onCancel: {}
        } catch {
            logger.error("could not abort multipart upload", metadata: [
                "bucket": "\(bucket)", "key": "\(key)", "upload_id": "\(uploadID)", "error": "\(error)"])
        }
    }

    private func uploadParts(bucket: String, key: String, uploadID: String, path: String, size: Int64,
                             partSize: Int64, digests: [[UInt8]], counter: ProgressCounter) async throws -> [UploadedPart] {
        let count = digests.count
        let concurrency = max(1, configuration.transfer.concurrency)
        return try await withThrowingTaskGroup(of: UploadedPart.self) { group in
            var next = 0
            var parts: [UploadedPart] = []
            parts.reserveCapacity(count)
            func addPart(_ index: Int) {
                let offset = Int64(index) * partSize
                let length = min(partSize, size - offset)
                let sha = Digests.hex(digests[index])
                group.addTask {
                    let part = try await self.uploadPart(
                        bucket: bucket, key: key, uploadID: uploadID, partNumber: index + 1,
                        body: .file(path: path, offset: offset, length: length, sha256: sha, md5: nil))
                    counter.add(length)
                    return part
                }
            }
            while next < min(concurrency, count) { addPart(next); next += 1 }
            while let part = try await group.next() {
                parts.append(part)
                if next < count { addPart(next); next += 1 }
            }
            return parts.sorted { $0.partNumber < $1.partNumber }
        }
    }

    /// The SHA-256 of each `partSize` slice of the file, in one sequential read through one
    /// reused buffer (see ``FileBlocks``).
    static func partDigests(path: String, size: Int64, partSize: Int64) async throws -> [[UInt8]] {
        var digests: [[UInt8]] = []
        var hasher = SHA256()
        var inPart: Int64 = 0
        if size > 0 {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                let lease = BlockLease(count: 1)
                var offset: Int64 = 0
                while offset < size {
                    // Blocks never straddle a part boundary, so each is hashed whole.
                    let length = Int(min(Int64(FileBlocks.blockSize), size - offset, partSize - inPart))
                    try await FileBlocks.read(handle, offset: offset, length: length, into: &lease.buffers[0], path: path)
                    lease.buffers[0].withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    offset += Int64(length)
                    inPart += Int64(length)
                    if inPart == partSize {
                        digests.append(Array(hasher.finalize()))
                        hasher = SHA256()
                        inPart = 0
                    }
                }
            }
        }
        if inPart > 0 || digests.isEmpty { digests.append(Array(hasher.finalize())) }
        return digests
    }

    static func fileSize(_ path: String) async throws -> Int64 {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)) else {
            throw TransferError.fileNotFound(path)
        }
        return info.size
    }
}
