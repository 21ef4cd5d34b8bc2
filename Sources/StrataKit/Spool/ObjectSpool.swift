import Foundation
import Retention

/// A bucket's inventory on disk, about the size of its keys: what the streaming planner reads
/// twice instead of holding a listing or report of millions of objects in memory.
public final class ObjectSpool: ObjectStream {
    private let file: SpoolFile
    /// Objects spooled.
    public var count: Int { file.count }
    /// Bytes on disk.
    public var size: Int64 { file.length }
    /// Whether any object spooled has a version id (the bucket is or was versioned).
    public private(set) var hasVersionIDs = false

    /// An empty spool in `directory` (the system's temporary directory by default).
    public init(directory: String = NSTemporaryDirectory()) throws {
        file = try SpoolFile(directory: directory)
    }

    /// Appends one object.
    public func append(_ object: InventoryObject) throws {
        if object.versionID != nil { hasVersionIDs = true }
        try file.append({ Self.encode(object, after: &lastKey, into: &$0) }, oversized: { Self.oversized(object, bytes: $0) })
    }

    /// The error of an object whose record would take `bytes`, over ``SpoolFile/maximumRecord``:
    /// only a key far beyond S3's 1,024 bytes (or tags beyond its limits) makes one, so the
    /// listing or report is not what S3 sends. Names the key, escaped and cut short.
    static func oversized(_ object: InventoryObject, bytes: Int) -> StrataError {
        let shown = TerminalText.escaped(object.key.prefix(120))
        return StrataError(.failure, "the object \(shown)\(object.key.count > 120 ? "..." : "") (a key of \(object.key.utf8.count) bytes) takes \(bytes) bytes to spool, over the \(SpoolFile.maximumRecord)-byte limit; S3 keys are at most 1,024 bytes, so the listing or report is not what S3 sends")
    }

    /// Appends records that a ``RecordEncoder`` wrote (in order: the encoder's batches follow one
    /// another), and hands each object they hold to `observe`. A spool is written through
    /// ``append(_:)`` or through batches, not both.
    func append(records batch: [UInt8], observe: (InventoryObject) throws -> Void) throws {
        try batch.withUnsafeBufferPointer { bytes in
            var reader = SpoolReader(bytes, range: 0..<bytes.count)
            while reader.position < bytes.count {
                guard let size = reader.peekLength(), size <= bytes.count - reader.position else {
                    throw StrataError(.failure, "a spool batch is damaged: a record is cut short")
                }
                let record = reader.position..<(reader.position + size)
                try file.append(record: UnsafeBufferPointer(rebasing: bytes[record]))
                var recordReader = SpoolReader(bytes, range: record)
                let object: InventoryObject?
                do {
                    object = try Self.read(&recordReader, keys: &batchKeys, whereKey: { _ in true })
                } catch is SpoolReader.Malformed {
                    throw StrataError(.failure, "a spool batch is damaged: a record does not decode")
                }
                if let object {
                    if object.versionID != nil { hasVersionIDs = true }
                    try observe(object)
                }
                reader = SpoolReader(bytes, range: record.upperBound..<bytes.count)
            }
        }
    }

    /// The keys of the batches appended so far (``append(records:observe:)``), to rebuild the next.
    private var batchKeys = KeyDecoder()

    /// Encodes objects into batches of spool records on one thread, for ``ObjectSpool/append(records:observe:)``
    /// on another: the spooling of a report split over two cores.
    struct RecordEncoder {
        private var lastKey: [UInt8] = []
        private var scratch = SpoolWriter()

        /// Appends `object`'s record, with its length before it, to `batch`.
        /// - Throws: `StrataError(.failure)` naming the key of an object too large to spool.
        mutating func encode(_ object: InventoryObject, into batch: inout [UInt8]) throws {
            scratch.bytes.removeAll(keepingCapacity: true)
            ObjectSpool.encode(object, after: &lastKey, into: &scratch)
            guard scratch.bytes.count <= SpoolFile.maximumRecord else { throw ObjectSpool.oversized(object, bytes: scratch.bytes.count) }
            scratch.bytes.withUnsafeBufferPointer { SpoolWriter.appendRecord($0, to: &batch) }
        }
    }

    /// Finishes writing; reading needs it.
    public func finish() throws { try file.flush() }

    /// Calls `body` with every object, in the order appended.
    public func forEachObject(_ body: (InventoryObject) throws -> Void) throws {
        try forEachObject(whereKey: { _ in true }, body)
    }

    /// Calls `body` with every object whose key `accepts`, in the order appended; the others
    /// are not decoded past their key.
    public func forEachObject(whereKey accepts: (UnsafeBufferPointer<UInt8>) -> Bool, _ body: (InventoryObject) throws -> Void) throws {
        var keys = KeyDecoder()
        try file.forEach { reader in
            do {
                guard let object = try Self.read(&reader, keys: &keys, whereKey: accepts) else { return }
                try body(object)
            } catch is SpoolReader.Malformed {
                throw StrataError(.failure, "a spool file is damaged: a record does not decode")
            }
        }
    }

    /// Reads the objects whose key `accepts` one at a time, in the order appended, through a
    /// buffer of `bufferSize` bytes: for a reader that awaits between objects, or reads several
    /// spools in step, which ``forEachObject(whereKey:_:)`` cannot.
    func makeCursor(bufferSize: Int = 1 << 20, whereKey accepts: @escaping (UnsafeBufferPointer<UInt8>) -> Bool) -> Cursor {
        Cursor(records: SpoolFile.Cursor(file: file, bufferSize: bufferSize), accepts: accepts)
    }

    /// A spool's objects one at a time (``makeCursor(whereKey:)``).
    struct Cursor {
        fileprivate var records: SpoolFile.Cursor
        fileprivate var keys = KeyDecoder()
        fileprivate let accepts: (UnsafeBufferPointer<UInt8>) -> Bool

        fileprivate init(records: SpoolFile.Cursor, accepts: @escaping (UnsafeBufferPointer<UInt8>) -> Bool) {
            self.records = records
            self.accepts = accepts
        }

        /// The next object whose key is accepted, or `nil` after the last.
        mutating func next() throws -> InventoryObject? {
            // Moved out and back, not copied: the decoder's key buffer stays uniquely held.
            var keys = KeyDecoder()
            swap(&keys, &self.keys)
            defer { swap(&keys, &self.keys) }
            let accepts = self.accepts
            do {
                while let read = try records.next({ try ObjectSpool.read(&$0, keys: &keys, whereKey: accepts) }) {
                    if let object = read { return object }
                }
            } catch is SpoolReader.Malformed {
                throw StrataError(.failure, "a spool file is damaged: a record does not decode")
            }
            return nil
        }
    }

    /// The object of the record `reader` reads, `nil` when `accepts` turns its key down; `keys`
    /// holds the key before, the one front coding starts from.
    private static func read(_ reader: inout SpoolReader, keys: inout KeyDecoder,
                             whereKey accepts: (UnsafeBufferPointer<UInt8>) -> Bool) throws -> InventoryObject? {
        let flags = Flags(rawValue: try reader.byte())
        guard try keys.read(&reader, accepts) else { return nil }
        return try decode(flags: flags, key: keys.string, &reader)
    }

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let latest = Flags(rawValue: 1)
        static let deleteMarker = Flags(rawValue: 2)
        static let version = Flags(rawValue: 4)
        static let eTag = Flags(rawValue: 8)
        static let tags = Flags(rawValue: 16)
        static let lock = Flags(rawValue: 32)
        /// The ETag is 32 lowercase hex digits (an MD5), kept as its 16 bytes.
        static let hexETag = Flags(rawValue: 64)
    }

    /// Keys are written as the length they share with the key before and the rest: listings and
    /// reports come in key order, so a record keeps a few bytes of a long key.
    private var lastKey: [UInt8] = []

    static func encode(_ object: InventoryObject, after lastKey: inout [UInt8], into writer: inout SpoolWriter) {
        var flags: Flags = []
        if object.isLatest { flags.insert(.latest) }
        if object.isDeleteMarker { flags.insert(.deleteMarker) }
        if object.versionID != nil { flags.insert(.version) }
        let hexETag = object.eTag.flatMap(HexDigest.init)
        if object.eTag != nil { flags.insert(hexETag == nil ? .eTag : .hexETag) }
        if object.tags != nil { flags.insert(.tags) }
        if object.objectLock != nil { flags.insert(.lock) }
        writer.byte(flags.rawValue)
        var key = object.key
        key.withUTF8 { utf8 in
            let shared = FrontCoding.share(utf8, after: &lastKey)
            writer.varint(UInt64(shared))
            writer.field(UnsafeBufferPointer(rebasing: utf8[shared...]))
        }
        writer.varint(UInt64(bitPattern: object.size))
        writer.double(object.lastModified.timeIntervalSince1970)
        StorageClassCoding.write(object.storageClass, into: &writer)
        if let version = object.versionID { writer.string(version) }
        if let hexETag {
            hexETag.write(into: &writer)
        } else if let eTag = object.eTag {
            writer.string(eTag)
        }
        if let tags = object.tags {
            writer.varint(UInt64(tags.count))
            for (name, value) in tags.sorted(by: { $0.key < $1.key }) {
                writer.string(name)
                writer.string(value)
            }
        }
        if let lock = object.objectLock {
            writer.byte(lock.mode == nil ? 0 : lock.mode == .governance ? 1 : 2)
            writer.byte(lock.legalHold ? 1 : 0)
            writer.byte(lock.retainUntil == nil ? 0 : 1)
            if let until = lock.retainUntil { writer.double(until.timeIntervalSince1970) }
        }
    }

    /// The rest of a record after its flags and key.
    private static func decode(flags: Flags, key: String, _ reader: inout SpoolReader) throws -> InventoryObject {
        let size = Int64(bitPattern: try reader.varint())
        let modified = Date(timeIntervalSince1970: try reader.double())
        let storageClass = try StorageClassCoding.read(&reader)
        let version = flags.contains(.version) ? try reader.string() : nil
        let eTag = flags.contains(.hexETag) ? try HexDigest.read(&reader) : flags.contains(.eTag) ? try reader.string() : nil
        var tags: [String: String]?
        if flags.contains(.tags) {
            let count = try reader.varint()
            guard count <= UInt64(SpoolFile.maximumRecord) else { throw SpoolReader.Malformed() }
            var read: [String: String] = [:]
            for _ in 0..<count { read[try reader.string()] = try reader.string() }
            tags = read
        }
        var lock: ObjectLockState?
        if flags.contains(.lock) {
            let mode = try reader.byte()
            let legalHold = try reader.byte() == 1
            let until = try reader.byte() == 1 ? Date(timeIntervalSince1970: try reader.double()) : nil
            lock = ObjectLockState(mode: mode == 0 ? nil : mode == 1 ? .governance : .compliance, retainUntil: until, legalHold: legalHold)
        }
        return InventoryObject(key: key, size: size, lastModified: modified, storageClass: storageClass, eTag: eTag, versionID: version,
                               isLatest: flags.contains(.latest), isDeleteMarker: flags.contains(.deleteMarker), tags: tags, objectLock: lock)
    }
}

/// A storage class in one byte when it is one S3 names, by name otherwise.
enum StorageClassCoding {
    static func write(_ storageClass: StorageClass, into writer: inout SpoolWriter) {
        if let index = StorageClass.known.firstIndex(of: storageClass) {
            writer.byte(UInt8(index))
        } else {
            writer.byte(0xFF)
            writer.string(storageClass.rawValue)
        }
    }

    static func read(_ reader: inout SpoolReader) throws -> StorageClass {
        let code = try reader.byte()
        if code == 0xFF { return StorageClass(rawValue: try reader.string()) }
        guard Int(code) < StorageClass.known.count else { throw SpoolReader.Malformed() }
        return StorageClass.known[Int(code)]
    }
}
