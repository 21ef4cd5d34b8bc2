import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where multipart uploads record their progress, so that an upload cut short (a killed
/// process, an outage that outlasts the retries) resumes from the parts S3 already holds
/// instead of starting over: MinIO's `mc cp --continue` keeps session files the same way.
///
/// One small JSON file per bucket and local file, written atomically after
/// `CreateMultipartUpload` and before the first part is sent, removed once the upload is
/// completed or aborted. A later upload of the same file to the same bucket resumes only when
/// the record matches exactly: same key, size, part size, upload options (storage class,
/// metadata, tags), and the same SHA-256 of every part (the ``ContentChecksum`` the upload
/// computes anyway). Then each part `ListParts` returns with its expected size is kept: S3
/// accepted it against its signed SHA-256, which equals that part's digest now, so the bytes
/// are the file's. A record that does not match names an upload nobody else will finish: it
/// is aborted and a new upload starts.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html>.
public struct UploadCheckpoints: Sendable {
    /// The directory holding the records (created when first needed).
    public let directory: String

    /// Records kept in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The record file for uploads of the local file `path` to `bucket`.
    func file(bucket: String, path: String) -> String {
        let name = Digests.hex(SHA256.hash(data: Array("\(bucket)\n\(S3Client.absolute(path))".utf8))).prefix(32)
        return directory + "/" + name + ".json"
    }

    /// The record for `bucket` and `path`, or `nil` when there is none. A record that cannot
    /// be read is treated as none: `reason` says why, so the caller can log it.
    func load(bucket: String, path: String) -> (record: UploadCheckpoint?, unreadable: String?) {
        let file = file(bucket: bucket, path: path)
        guard let data = FileManager.default.contents(atPath: file) else { return (nil, nil) }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let record = try decoder.decode(UploadCheckpoint.self, from: data)
            guard record.version == UploadCheckpoint.currentVersion else {
                return (nil, "\(file): record version \(record.version), expected \(UploadCheckpoint.currentVersion)")
            }
            return (record, nil)
        } catch {
            return (nil, "\(file): not a checkpoint record (\(error))")
        }
    }

    /// Writes `record` atomically (a temporary file renamed over the old one), so a crash
    /// leaves either the old record or the new one, never half of one.
    ///
    /// - Throws: ``TransferError/checkpoint(path:reason:)`` when the directory or file cannot be written.
    func save(_ record: UploadCheckpoint) throws {
        let file = file(bucket: record.bucket, path: record.path)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let temporary = file + ".tmp-\(UInt32.random(in: 0...UInt32.max))"
            guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(record)) else {
                throw TransferError.checkpoint(path: file, reason: "cannot write in \(directory)")
            }
            // rename(2): Foundation's replaceItemAt fails on Linux when the target exists.
            guard rename(temporary, file) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw TransferError.checkpoint(path: file, reason: reason)
            }
        } catch let error as TransferError {
            throw error
        } catch {
            throw TransferError.checkpoint(path: file, reason: "\(error)")
        }
    }

    /// Removes the record for `bucket` and `path`, if any.
    func remove(bucket: String, path: String) {
        unlink(file(bucket: bucket, path: path))
    }
}

/// One record of ``UploadCheckpoints``: which multipart upload holds which file's parts.
struct UploadCheckpoint: Codable, Sendable, Equatable {
    static let currentVersion = 1

    var version = currentVersion
    var bucket: String
    var key: String
    /// The local file, absolute.
    var path: String
    var size: Int64
    var partSize: Int64
    /// ``ContentChecksum/digest`` of the file when the upload was created.
    var checksum: String
    /// SHA-256 of the upload's request headers (storage class, metadata, tags, conditions).
    var options: String
    var uploadID: String
    var created: Date

    /// Whether an upload recorded as `self` can take the parts of `wanted` (everything but
    /// the upload id and creation time agrees).
    func canResume(_ wanted: UploadCheckpoint) -> Bool {
        bucket == wanted.bucket && key == wanted.key && path == wanted.path && size == wanted.size
            && partSize == wanted.partSize && checksum == wanted.checksum && options == wanted.options
    }

    /// A fingerprint of an upload's options, for ``options``. An upload created with a checksum
    /// algorithm has another fingerprint than one without: S3 requires the checksums on every
    /// part of the first and cannot take them on the second, so neither resumes the other.
    static func fingerprint(_ options: PutOptions, checksumCRC32C: Bool = false) -> String {
        var text = ""
        for header in options.headers { text += "\(header.name.lowercased()):\(header.value)\n" }
        if checksumCRC32C { text += "x-amz-checksum-algorithm:CRC32C\n" }
        return Digests.hex(SHA256.hash(data: Array(text.utf8)))
    }
}
