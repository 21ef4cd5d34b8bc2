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
    /// Parts a resumed upload found already in S3 and did not send again (see ``UploadCheckpoints``).
    public var resumedParts: Int = 0
}

extension S3Client {
    /// Uploads a file: one `PutObject` for small files, a multipart upload with `concurrency`
    /// parts in flight for large ones. Every part is sent with its signed SHA-256 and its
    /// CRC-32C (`x-amz-checksum-crc32c`; the upload is created with that algorithm), so a part
    /// corrupted in flight is refused by servers that check either (SeaweedFS checks only the
    /// CRC), and S3 stores the checksum with the object. The object's ``ContentChecksum`` is
    /// stored in its metadata. Parts stream from the file in 1 MiB blocks through reused buffers
    /// (``FileBlocks``), so memory stays near `concurrency x 3 MiB`. A failed multipart upload
    /// is aborted, leaving no orphaned parts; a file that shrinks meanwhile fails the upload
    /// (``TransferError/fileChanged(_:)``).
    ///
    /// The file is read twice: once to hash (so the checksum can go into the metadata, which
    /// S3 takes only at the start; see ``partDigests(path:size:partSize:)``), once to send.
    /// The part digests from the first read are the parts' signed payload hashes, so no byte
    /// is hashed twice.
    ///
    /// With `checkpoints`, a multipart upload records which upload holds its parts before the
    /// first part is sent, resumes from the parts S3 already holds when the same file is
    /// uploaded again (see ``UploadCheckpoints``), and is kept rather than aborted when it
    /// fails in a way a later run can get past (network failures and timeouts after every
    /// retry, S3's retryable errors, cancellation). Uploads nobody resumes are removed by the
    /// policy's `abort_incomplete_after` or lifecycle `AbortIncompleteMultipartUpload`.
    public func uploadFile(bucket: String, key: String, path: String, options: PutOptions = PutOptions(),
                           checkpoints: UploadCheckpoints? = nil,
                           progress: TransferProgressHandler? = nil) async throws -> UploadResult {
        let size = try await Self.fileSize(path)
        let transfer = configuration.transfer
        let partSize = transfer.partSize(forObjectOfSize: size)
        let (digests, crcs) = try await Self.partDigests(path: path, size: size, partSize: partSize)
        let checksum = ContentChecksum.combine(partDigests: digests, partSize: partSize, partCRCs: crcs)
        var options = options
        options.metadata.merge(checksum.metadata) { $1 }
        let counter = ProgressCounter(total: size, handler: progress)

        if size <= partSize, size < transfer.multipartThreshold {
            var headers = options.headers
            headers.add(name: "x-amz-checksum-crc32c", value: ServerChecksum(value: crcs[0]).headerValue)
            var request = S3Request(operation: "PutObject", method: .PUT, bucket: bucket, key: key,
                                    headers: headers,
                                    body: .file(path: path, offset: 0, length: size,
                                                sha256: Digests.hex(digests[0]), md5: nil))
            request.retryOnTransportError = !options.ifNoneMatch
            let response = try await execute(request)
            counter.add(size)
            return UploadResult(key: key, size: size, eTag: ETag.unquoted(response.headers.first(name: "etag") ?? ""),
                                versionID: response.headers.first(name: "x-amz-version-id"), checksum: checksum, parts: 1)
        }

        let wanted = UploadCheckpoint(bucket: bucket, key: key, path: Self.absolute(path), size: size,
                                      partSize: partSize, checksum: checksum.digest,
                                      options: UploadCheckpoint.fingerprint(options, checksumCRC32C: true),
                                      uploadID: "", created: now())
        let (uploadID, held) = try await startOrResume(wanted, options: options, checkpoints: checkpoints,
                                                       count: digests.count)
        do {
            counter.add(held.reduce(0) { $0 + $1.size })
            let sent = try await uploadParts(bucket: bucket, key: key, uploadID: uploadID, path: path, size: size,
                                             partSize: partSize, digests: digests, crcs: crcs,
                                             skipping: Set(held.map(\.partNumber)), counter: counter)
            // Parts listed from S3 carry no CRC here; the resumed upload's checkpoint pins the
            // file, so the CRCs of this read are theirs.
            let resumed = held.map { part in
                UploadedPart(partNumber: part.partNumber, eTag: part.eTag, size: part.size,
                             checksumCRC32C: crcs[part.partNumber - 1])
            }
            let parts = (resumed + sent).sorted { $0.partNumber < $1.partNumber }
            let result = try await completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID, parts: parts,
                                                           ifNoneMatch: options.ifNoneMatch)
            checkpoints?.remove(bucket: bucket, path: wanted.path)
            return UploadResult(key: key, size: size, eTag: result.eTag, versionID: result.versionID,
                                checksum: checksum, parts: parts.count, resumedParts: held.count)
        } catch {
            if let checkpoints, Self.isResumable(error) {
                logger.notice("multipart upload kept for resuming: upload the same file again to continue", metadata: [
                    "bucket": "\(bucket)", "key": "\(key)", "upload_id": "\(uploadID)",
                    "checkpoint": "\(checkpoints.file(bucket: bucket, path: wanted.path))"])
            } else {
                await abortQuietly(bucket: bucket, key: key, uploadID: uploadID)
                checkpoints?.remove(bucket: bucket, path: wanted.path)
            }
            throw error
        }
    }

    /// The upload to send parts to, and the parts it already holds: the checkpointed upload of
    /// this very file when there is one (an upload recorded for anything else is aborted), or
    /// a new one, recorded before any part is sent.
    private func startOrResume(_ wanted: UploadCheckpoint, options: PutOptions, checkpoints: UploadCheckpoints?,
                               count: Int) async throws -> (uploadID: String, held: [UploadedPart]) {
        guard let checkpoints else {
            return (try await createMultipartUpload(bucket: wanted.bucket, key: wanted.key, options: options,
                                                    checksumCRC32C: true), [])
        }
        let (found, unreadable) = checkpoints.load(bucket: wanted.bucket, path: wanted.path)
        if let unreadable { logger.warning("ignoring an unreadable upload checkpoint", metadata: ["reason": "\(unreadable)"]) }
        if let found {
            if found.canResume(wanted) {
                do {
                    let held = try await listParts(bucket: found.bucket, key: found.key, uploadID: found.uploadID)
                        .filter { part in
                            (1...count).contains(part.partNumber) && !part.eTag.isEmpty
                                && part.size == min(wanted.partSize, wanted.size - Int64(part.partNumber - 1) * wanted.partSize)
                        }
                    logger.notice("resuming multipart upload", metadata: [
                        "key": "\(wanted.key)", "upload_id": "\(found.uploadID)", "parts_held": "\(held.count)",
                        "parts": "\(count)"])
                    return (found.uploadID, held)
                } catch let error as S3Error where error.code == .noSuchUpload || error.code == .noSuchKey {
                    // RGW answers NoSuchKey (404) for the parts of an aborted upload.
                    logger.notice("checkpointed upload is gone; starting again", metadata: [
                        "key": "\(wanted.key)", "upload_id": "\(found.uploadID)"])
                }
            } else {
                // The file, key or options changed: the recorded upload will never be finished.
                logger.notice("upload checkpoint is for other content; aborting its upload", metadata: [
                    "key": "\(found.key)", "upload_id": "\(found.uploadID)"])
                await abortQuietly(bucket: found.bucket, key: found.key, uploadID: found.uploadID)
            }
            checkpoints.remove(bucket: wanted.bucket, path: wanted.path)
        }
        let uploadID = try await createMultipartUpload(bucket: wanted.bucket, key: wanted.key, options: options,
                                                       checksumCRC32C: true)
        var record = wanted
        record.uploadID = uploadID
        do {
            try checkpoints.save(record)
        } catch {
            await abortQuietly(bucket: wanted.bucket, key: wanted.key, uploadID: uploadID)
            throw error
        }
        return (uploadID, [])
    }

    /// Whether a failed checkpointed upload is worth keeping for a later run: failures of the
    /// network or the server that retries did not outlast, and cancellation. Anything else
    /// (refused, file changed, bad checksum) would fail again the same way.
    static func isResumable(_ error: any Error) -> Bool {
        switch error {
        case let error as S3TransportError: return error.kind != .integrity
        case let error as S3Error: return error.isRetryable
        case is CancellationError: return true
        default: return false
        }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
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
                             partSize: Int64, digests: [[UInt8]], crcs: [UInt32], skipping held: Set<Int>,
                             counter: ProgressCounter) async throws -> [UploadedPart] {
        let missing = (0..<digests.count).filter { !held.contains($0 + 1) }
        let count = missing.count
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
                        body: .file(path: path, offset: offset, length: length, sha256: sha, md5: nil),
                        checksumCRC32C: crcs[index])
                    counter.add(length)
                    return part
                }
            }
            while next < min(concurrency, count) { addPart(missing[next]); next += 1 }
            while let part = try await group.next() {
                parts.append(part)
                if next < count { addPart(missing[next]); next += 1 }
            }
            return parts
        }
    }

    static func fileSize(_ path: String) async throws -> Int64 {
        guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)) else {
            throw TransferError.fileNotFound(path)
        }
        return info.size
    }
}
