import Foundation
import S3

/// How many bytes Strata reads into memory from one object or file of each kind it parses.
///
/// Every one of them can be written by someone else (the bucket is shared, `.strata/` is just a
/// prefix), so each read is capped at a size fit for what it is: a 200 MiB object planted at
/// `.strata/journal/…` or at a repository's `backup.info` is refused by its size, not read.
/// Tests lower the caps to try the refusals with small objects.
public struct ReadLimits: Sendable, Hashable {
    /// The sweep lease (`.strata/lock`): one small JSON record. Larger is not a lease.
    public var lease: Int
    /// One sweep journal entry (`.strata/journal/<run>.json`): it lists the run's planned
    /// actions, a few hundred bytes each.
    public var journalEntry: Int
    /// A pgBackRest `backup.info` or `backup.manifest` read to plan or retrieve: a line per
    /// backup (`backup.info`), a line per database file (a manifest).
    public var pgBackRestDocument: Int
    /// An S3 Inventory `manifest.json`: a line per data file.
    public var inventoryManifest: Int

    /// The caps: lease 64 KiB, journal entry 64 MiB, pgBackRest document 64 MiB, inventory
    /// manifest 16 MiB.
    public init(lease: Int = 64 * 1024, journalEntry: Int = 64 * 1024 * 1024,
                pgBackRestDocument: Int = 64 * 1024 * 1024, inventoryManifest: Int = 16 * 1024 * 1024) {
        self.lease = lease
        self.journalEntry = journalEntry
        self.pgBackRestDocument = pgBackRestDocument
        self.inventoryManifest = inventoryManifest
    }

    /// Reads the local file at `path` whole, refusing one larger than `limit` with a `kind` error
    /// naming the file (before reading more than `limit` bytes); `nil` when it cannot be read.
    static func contents(ofFile path: String, limit: Int, kind: StrataError.Kind) throws -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let read: Data?
        do { read = try handle.read(upToCount: limit + 1) } catch { return nil }
        let data = read ?? Data()  // nil at end of file: an empty file
        guard data.count <= limit else {
            throw StrataError(kind, "\(path): larger than the \(limit) bytes Strata reads for it")
        }
        return data
    }
}

extension StrataContext {
    /// `GetObject` of `key` in the context's bucket, into memory, at most `limit` bytes: a larger
    /// object is a `kind` error naming it, its size and the cap.
    func read(_ key: String, limit: Int, kind: StrataError.Kind = .failure) async throws -> (head: ObjectHead, body: [UInt8]) {
        do {
            return try await client.getObject(bucket: bucket, key: key, maxBytes: limit)
        } catch let error as ObjectTooLargeError {
            throw StrataError(kind, "\(error.description): not read")
        }
    }
}
