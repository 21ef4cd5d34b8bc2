import CompressNIO
import Crypto
import Foundation
import Logging
import NIOCore
import Retention
import S3
import _NIOFileSystem

/// Builds the planner's ``Inventory`` from an Amazon S3 Inventory report instead of listing the
/// bucket, for buckets too large to list every night.
///
/// The report is a `manifest.json` (local, or `s3://bucket/key` in the report's destination
/// bucket) naming CSV data files, gzip-compressed or plain. Every data file is checked against the
/// manifest's MD5 before a row of it is used; the manifest must describe the bucket being swept
/// and be younger than ``maximumAge``. Incomplete multipart uploads are not in reports, so they
/// are still listed from the bucket.
///
/// Implements https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html
public struct InventoryReportReader: Sendable {
    /// Where the manifest is.
    public enum Location: Sendable, Hashable, CustomStringConvertible {
        /// A local `manifest.json`; data files are looked for beside it or in a local copy of the
        /// destination prefix (as `aws s3 sync` lays it out).
        case file(String)
        /// A `manifest.json` in S3.
        case s3(bucket: String, key: String)

        /// Parses `s3://bucket/key` or a local path.
        public init(_ text: String) throws {
            guard text.hasPrefix("s3://") else { self = .file(text); return }
            let rest = text.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                throw StrataError(.configuration, "--inventory \(text): expected s3://BUCKET/KEY/manifest.json or a local path")
            }
            self = .s3(bucket: String(rest[..<slash]), key: String(rest[rest.index(after: slash)...]))
        }

        /// The location as given.
        public var description: String {
            switch self {
            case .file(let path): path
            case .s3(let bucket, let key): "s3://\(bucket)/\(key)"
            }
        }
    }

    /// The context: the bucket swept and the client for S3 manifests and upload listings.
    public let context: StrataContext
    /// The manifest.
    public let location: Location
    /// Reports older than this (from the manifest's creationTimestamp) are refused: planning from
    /// a stale picture of the bucket is how sets get expired on wrong information.
    public var maximumAge: TimeInterval = 48 * 3600
    /// Accept data files the manifest gives no MD5 for (`--allow-unverified-inventory`).
    public var allowsUnverifiedFiles = false

    /// Creates a reader.
    public init(context: StrataContext, location: Location) {
        self.context = context
        self.location = location
    }

    /// Reads the report, keeps the rows under the policies' prefixes, and lists their uploads.
    /// How far in the future a report's creation time may be (clock skew between S3 and here).
    static let clockSkewAllowance: TimeInterval = 15 * 60

    public func build(policies: [Policy]) async throws -> Inventory {
        var objects: [InventoryObject] = []
        let uploads = try await read(policies: policies) { objects.append($0) }
        // A report's rows come in no order. With versions, they are put in key runs, as a
        // listing gives them and as the streaming planner reads them (`ObjectSpool.sortedByKey`):
        // then both planners add up the same figures in the same order, and plan alike.
        if objects.contains(where: { !$0.isCurrent }) { objects = KeyRuns.sorted(objects, key: \.key) }
        return Inventory(objects: objects, uploads: uploads)
    }

    /// Reads the report into `spool` (the rows under the policies' prefixes) and returns the
    /// incomplete uploads, listed from the bucket: a report of any size in memory that does not
    /// grow with it.
    /// `observe` sees each object as it is spooled (the streaming planner's pass one tallies it there).
    public func spool(policies: [Policy], into spool: ObjectSpool,
                      observe: @escaping (InventoryObject) -> Void = { _ in }) async throws -> [MultipartUploadRecord] {
        // Parsing and encoding on this task; writing, decoding and observing on a thread of its
        // own: the two halves take about as long each.
        var uploads: [MultipartUploadRecord] = []
        try await TwoStagePass<[UInt8]>().consumeOnThread({ send in
            var encoder = ObjectSpool.RecordEncoder()
            var batch: [UInt8] = []
            uploads = try await read(policies: policies) { object in
                try encoder.encode(object, into: &batch)
                if batch.count >= Self.batchBytes { try send(&batch) }
            }
            if !batch.isEmpty { try send(&batch) }
        }, consume: { batch in
            try spool.append(records: batch, observe: observe)
        })
        try spool.finish()
        return uploads
    }

    /// The size of the batches of spool records handed from the parsing task to the spooling thread.
    static let batchBytes = 1 << 20

    /// Checks the report, hands each row under the policies' prefixes to `take`, and lists the
    /// incomplete uploads.
    private func read(policies: [Policy], _ take: (InventoryObject) throws -> Void) async throws -> [MultipartUploadRecord] {
        let (manifest, files, temporary) = try await fetch()
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        if manifest.sourceBucket != context.bucket {
            throw StrataError(.configuration, "\(location): the report lists bucket \(manifest.sourceBucket), not \(context.bucket)")
        }
        guard let created = manifest.creationDate else {
            throw StrataError(.configuration, "\(location): creationTimestamp is missing or not epoch milliseconds; cannot tell the report's age")
        }
        let age = context.now().timeIntervalSince(created)
        // A report from the future passes any age check: a forged manifest, or a clock far off.
        if age < -Self.clockSkewAllowance {
            throw StrataError(.configuration, "\(location): creationTimestamp \(manifest.creationTimestamp ?? "") is \(String(format: "%.1f", -age / 3600)) h in the future; refusing the report (a forged manifest, or a clock far off)")
        }
        if age > maximumAge {
            throw StrataError(.configuration, "\(location): the report was made \(String(format: "%.1f", age / 3600)) h ago, more than the \(String(format: "%.1f", maximumAge / 3600)) h allowed (--inventory-max-age); use a newer report or list the bucket")
        }
        // The uploads are listed while the report is read: neither needs the other.
        async let listed = Self.uploads(client: context.client, bucket: context.bucket, prefixes: policies.map(\.prefix))
        var count = 0
        let prefixes = PrefixTest(policies.map(\.prefix))
        for (entry, path) in files {
            try await Self.read(path: path, named: entry.key, columns: manifest.columns, md5: entry.md5,
                                bucket: context.bucket) { rows in
                for object in rows where prefixes.matches(object.key) {
                    try take(object)
                    count += 1
                }
            }
        }
        let uploads = try await listed
        context.logger.info("read inventory report", metadata: [
            "report": "\(location)", "created": "\(created)", "objects": "\(count)", "uploads": "\(uploads.count)"])
        return uploads
    }

    /// The incomplete uploads under each prefix, listed a few prefixes at a time, in the
    /// prefixes' order.
    static func uploads(client: S3Client, bucket: String, prefixes: [String]) async throws -> [MultipartUploadRecord] {
        try await prefixes.concurrentMap(maxConcurrentTasks: 4) { prefix in
            try await client.listMultipartUploads(bucket: bucket, prefix: prefix).map {
                MultipartUploadRecord(key: $0.key, uploadID: $0.uploadID, initiated: $0.initiated)
            }
        }.flatMap { $0 }
    }

    /// Each data file's key is a plain relative path (no `..`, `.` or empty part: it must not
    /// lead out of the report's folder), and has an MD5 to check unless the operator accepts
    /// files without one (``allowsUnverifiedFiles``).
    func checkDataFiles(_ manifest: S3InventoryManifest) throws {
        for entry in manifest.files {
            let parts = entry.key.split(separator: "/", omittingEmptySubsequences: false)
            if entry.key.hasPrefix("/") || parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) {
                throw StrataError(.configuration, "\(location): data file key '\(entry.key)' is not a plain path (it has '..', '.', or an empty part); refusing the report")
            }
            if entry.md5 == nil && !allowsUnverifiedFiles {
                throw StrataError(.configuration, "\(location): data file \(entry.key) has no MD5checksum, so its rows cannot be checked; refusing the report (--allow-unverified-inventory accepts it)")
            }
        }
    }

    /// The manifest and a local path for each data file (downloaded to a temporary folder for S3).
    private func fetch() async throws -> (S3InventoryManifest, [(S3InventoryManifest.DataFile, String)], URL?) {
        switch location {
        case .file(let path):
            guard let data = try ReadLimits.contents(ofFile: path, limit: context.readLimits.inventoryManifest,
                                                     kind: .configuration) else {
                throw StrataError(.configuration, "\(path): cannot read the inventory manifest (missing or unreadable)")
            }
            let manifest = try Self.parseManifest(data, file: path)
            try checkDataFiles(manifest)
            let base = URL(fileURLWithPath: path).deletingLastPathComponent()
            return (manifest, try manifest.files.map { ($0, try Self.localDataFile($0.key, near: base, manifest: path)) }, nil)
        case .s3(let bucket, let key):
            let body: [UInt8]
            do {
                body = try await context.client.getObject(bucket: bucket, key: key,
                                                          maxBytes: context.readLimits.inventoryManifest).body
            } catch let error as ObjectTooLargeError {
                throw StrataError(.configuration, "\(error.description): not an inventory manifest")
            }
            let manifest = try Self.parseManifest(Data(body), file: location.description)
            try checkDataFiles(manifest)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-inventory-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var files: [(S3InventoryManifest.DataFile, String)] = []
            do {
                for (index, entry) in manifest.files.enumerated() {
                    let path = folder.appendingPathComponent("\(index)").path
                    _ = try await context.client.downloadFile(bucket: bucket, key: entry.key, to: path)
                    files.append((entry, path))
                }
            } catch {
                try? FileManager.default.removeItem(at: folder)
                throw error
            }
            return (manifest, files, folder)
        }
    }

    static func parseManifest(_ data: Data, file: String) throws -> S3InventoryManifest {
        do {
            return try S3InventoryManifest.parse(data, file: file)
        } catch let error as S3InventoryError {
            throw StrataError(.configuration, error.description)
        }
    }

    /// The local copy of data file `key`: beside the manifest, or under an ancestor folder with
    /// the key's trailing path (a synced copy of the destination prefix).
    static func localDataFile(_ key: String, near base: URL, manifest: String) throws -> String {
        let parts = key.split(separator: "/").map(String.init)
        var ancestor = base
        var tried: [String] = []
        for _ in 0..<5 {
            for drop in 0..<parts.count {
                let candidate = parts.dropFirst(drop).reduce(ancestor) { $0.appendingPathComponent($1) }.path
                if FileManager.default.fileExists(atPath: candidate) { return candidate }
                if drop == parts.count - 1 { tried.append(candidate) }
            }
            ancestor = ancestor.deletingLastPathComponent()
        }
        throw StrataError(.configuration, "\(manifest): data file \(key) not found locally (looked beside the manifest and in a synced copy of the report's prefix, e.g. \(tried.first ?? key))")
    }

    /// Parses one data file, gzip or plain (told by its first bytes), checking its MD5 first, and
    /// hands its rows to `take` a decompressed window at a time (so the caller, which keeps only
    /// the rows under its policies' prefixes, never holds a whole file's rows twice).
    static func read(path: String, named name: String, columns: [String], md5 expected: String?,
                     bucket: String? = nil, take: ([InventoryObject]) throws -> Void) async throws {
        if let expected {
            var hasher = Insecure.MD5()
            try await chunks(of: path) { chunk in chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
            let actual = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard actual == expected.lowercased() else {
                throw StrataError(.configuration, "\(name): MD5 is \(actual), the manifest says \(expected); the data file is damaged or not the one the manifest lists")
            }
        }
        do {
            var csv = try S3InventoryCSV(columns: columns, file: name, bucket: bucket)
            var gzip: GzipStream?
            var first = true
            try await chunks(of: path) { chunk in
                if first {
                    first = false
                    if chunk.readableBytesView.starts(with: [0x1f, 0x8b]) { gzip = try GzipStream() }
                }
                if gzip != nil {
                    try gzip?.feed(chunk) { window in
                        try csv.consume(window.readableBytesView)
                        try take(csv.takeObjects())
                    }
                } else {
                    try csv.consume(chunk.readableBytesView)
                    try take(csv.takeObjects())
                }
            }
            // Before the last row is taken: a stream cut at a line's end must not pass for a whole file.
            try gzip?.finish()
            try csv.finish()
            try take(csv.takeObjects())
        } catch let error as S3InventoryError {
            throw StrataError(.configuration, error.description)
        } catch let error as GzipStream.Damage {
            throw StrataError(.configuration, "\(name): \(error); the data file is damaged")
        } catch let error as CompressNIOError {
            throw StrataError(.configuration, "\(name): not a valid gzip file (\(error))")
        }
    }

    private static func chunks(of path: String, _ body: (ByteBuffer) throws -> Void) async throws {
        do {
            try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                for try await chunk in handle.readChunks(chunkLength: .mebibytes(1)) { try body(chunk) }
            }
        } catch let error as FileSystemError {
            throw StrataError(.configuration, "\(path): cannot read (\(error.code))")
        }
    }
}
