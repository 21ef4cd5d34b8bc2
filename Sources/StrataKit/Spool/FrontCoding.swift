import Foundation

/// Sorted placement records written as the number of bytes they share with the record before
/// and the bytes after: sorted records share component, position and most of the key, so runs
/// and the merged file take a fraction of the room, and of the time to write and read.
struct FrontCodedWriter {
    private var last: [UInt8] = []
    private var scratch = SpoolWriter()

    /// Appends `record` to `file`.
    mutating func append(_ record: UnsafeBufferPointer<UInt8>, to file: SpoolFile) throws {
        let shared = FrontCoding.share(record, after: &last)
        scratch.bytes.removeAll(keepingCapacity: true)
        scratch.varint(UInt64(shared))
        scratch.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: record[shared...]))
        try scratch.bytes.withUnsafeBufferPointer { try file.append(record: $0) }
    }
}

/// The step both front codings share (placement records here, an object spool's keys).
enum FrontCoding {
    /// How many leading bytes `bytes` shares with `last`, the bytes written before; `last`
    /// becomes `bytes`.
    static func share(_ bytes: UnsafeBufferPointer<UInt8>, after last: inout [UInt8]) -> Int {
        var shared = 0
        let limit = min(bytes.count, last.count)
        while shared < limit && bytes[shared] == last[shared] { shared += 1 }
        last.removeSubrange(shared...)
        last.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[shared...]))
        return shared
    }
}

/// Reads what ``FrontCodedWriter`` wrote, one whole record at a time.
struct FrontCodedReader {
    private var cursor: SpoolFile.Cursor
    /// The record last read, whole.
    private(set) var record: [UInt8] = []

    init(file: SpoolFile, bufferSize: Int) {
        cursor = SpoolFile.Cursor(file: file, bufferSize: bufferSize)
    }

    /// Reads the next record into ``record``; `false` after the last.
    /// - Throws: `StrataError(.failure)` when a record claims more shared bytes than the one before had.
    mutating func next() throws -> Bool {
        var record = self.record
        self.record = []  // one owner, so the edit below reuses its storage
        defer { self.record = record }
        return try cursor.next { reader in
            let shared = try? reader.varint()
            guard let shared, shared <= UInt64(record.count) else {
                throw StrataError(.failure, "a spool file is damaged: a record claims more than the record before it")
            }
            record.removeSubrange(Int(shared)...)
            reader.appendRest(to: &record)
            return true
        } ?? false
    }
}
