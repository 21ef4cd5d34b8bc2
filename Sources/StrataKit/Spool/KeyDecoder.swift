import Foundation

/// Reads the keys of an object spool, each written as the length it shares with the key before
/// and the bytes after that: keeps the last key's bytes so the next can be rebuilt.
struct KeyDecoder {
    private var bytes: [UInt8] = []

    /// Reads the next key and returns what `test` says of its UTF-8.
    /// - Throws: ``SpoolReader/Malformed`` when the record claims more shared bytes than the
    ///   key before had, or is short.
    mutating func read(_ reader: inout SpoolReader, _ test: (UnsafeBufferPointer<UInt8>) -> Bool) throws -> Bool {
        let shared = try reader.varint()
        guard shared <= UInt64(bytes.count) else { throw SpoolReader.Malformed() }
        let rest = try reader.field()
        bytes.removeSubrange(Int(shared)...)
        reader.withBytes(rest) { bytes.append(contentsOf: $0) }
        return bytes.withUnsafeBufferPointer(test)
    }

    /// The key last read.
    var string: String { bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }
}
