import CStrataSystem
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A scratch file for records too many to hold: unnamed from the start (`O_TMPFILE`, or a
/// random name removed at once), so a killed run leaves nothing behind and the space returns
/// when the descriptor closes. Written once, front to back, in length-prefixed records; then
/// read as often as needed.
final class SpoolFile {
    /// The largest record a spool takes: far beyond any real object's key, version, tags and
    /// lock, so a record that claims more is a damaged file, not a big object.
    static let maximumRecord = 1 << 20

    fileprivate let descriptor: CInt
    private var pending: [UInt8] = []
    private var scratch = SpoolWriter()
    /// Bytes written so far (flushed or pending).
    private(set) var length: Int64 = 0
    /// Records written so far.
    private(set) var count = 0
    private static let bufferSize = 1 << 20

    /// An empty spool in `directory`.
    /// - Throws: `StrataError(.failure)` naming the directory when no file can be made there.
    init(directory: String) throws {
        var fd: CInt = -1
        let tmpfile = cstrata_o_tmpfile()
        if tmpfile != 0 { fd = open(directory, O_RDWR | tmpfile | O_CLOEXEC, 0o600) }
        if fd < 0 {
            var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast()) + Array(".strata-spool-XXXXXX".utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) } }
        }
        guard fd >= 0 else {
            throw StrataError(.failure, "cannot make a spool file in \(directory): \(String(cString: strerror(errno))); set TMPDIR to a writable directory with room for the listing")
        }
        descriptor = fd
        pending.reserveCapacity(Self.bufferSize + 4_096)
    }

    deinit { close(descriptor) }

    /// Appends one record, which `encode` writes into the spool's buffer; `oversized` makes the
    /// error of a record over ``maximumRecord`` from its size (naming what it holds).
    func append(_ encode: (inout SpoolWriter) -> Void, oversized: ((Int) -> StrataError)? = nil) throws {
        // One scratch writer for every record: no array made and freed per record.
        scratch.bytes.removeAll(keepingCapacity: true)
        encode(&scratch)
        if let oversized, scratch.bytes.count > Self.maximumRecord { throw oversized(scratch.bytes.count) }
        try scratch.bytes.withUnsafeBufferPointer { try append(record: $0) }
    }

    /// Appends one record already encoded.
    func append(record bytes: UnsafeBufferPointer<UInt8>) throws {
        guard bytes.count <= Self.maximumRecord else {
            throw StrataError(.failure, "a spool record of \(bytes.count) bytes is over the \(Self.maximumRecord)-byte limit")
        }
        let before = pending.count
        SpoolWriter.appendRecord(bytes, to: &pending)
        length += Int64(pending.count - before)
        count += 1
        if pending.count >= Self.bufferSize { try flush() }
    }

    /// Writes out what is buffered; reading needs it done.
    func flush() throws {
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw StrataError(.failure, "writing a spool file: \(String(cString: strerror(errno))); set TMPDIR to a directory with room for the listing")
            }
            offset += written
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with a reader over each record, in the order written. The spool must be flushed.
    func forEach(_ body: (inout SpoolReader) throws -> Void) throws {
        var cursor = Cursor(file: self, bufferSize: Self.bufferSize)
        while try cursor.next(body) != nil {}
    }

    /// Reads a flushed spool's records front to back, through a buffer of its own: several
    /// cursors can read one file, or many files, at once.
    struct Cursor {
        private let file: SpoolFile
        private var buffer: [UInt8]
        private var filled = 0, start = 0
        private var offset: Int64 = 0
        /// Records read so far.
        private(set) var records = 0

        init(file: SpoolFile, bufferSize: Int) {
            self.file = file
            buffer = [UInt8](repeating: 0, count: max(64, bufferSize))
        }

        /// Decodes the next record with `decode`, or returns `nil` after the last.
        mutating func next<T>(_ decode: (inout SpoolReader) throws -> T) throws -> T? {
            while records < file.count {
                if let (size, body) = Self.header(buffer, start..<filled) {
                    guard size <= SpoolFile.maximumRecord else {
                        throw StrataError(.failure, "a spool file is damaged: a record claims \(size) bytes")
                    }
                    if filled - body >= size {
                        start = body + size
                        records += 1
                        let record = body..<start
                        return try buffer.withUnsafeBufferPointer { bytes in
                            var reader = SpoolReader(bytes, range: record)
                            return try decode(&reader)
                        }
                    }
                }
                // No reader holds the buffer here, so refilling it copies nothing.
                try refill()
            }
            return nil
        }

        /// The length of the record at the front of `range`, and where its body starts; `nil`
        /// when the length prefix is not all there.
        private static func header(_ buffer: [UInt8], _ range: Range<Int>) -> (Int, Int)? {
            buffer.withUnsafeBufferPointer { bytes in
                var reader = SpoolReader(bytes, range: range)
                guard let size = reader.peekLength() else { return nil }
                return (size, reader.position)
            }
        }

        /// Moves the partial record to the front and reads more after it, growing the buffer
        /// when one record needs more room than it has.
        private mutating func refill() throws {
            let (from, count) = (start, filled - start)
            buffer.withUnsafeMutableBytes { raw in
                if from > 0, count > 0 { memmove(raw.baseAddress!, raw.baseAddress! + from, count) }
            }
            filled = count
            start = 0
            if buffer.count - filled < buffer.count / 4 { buffer += [UInt8](repeating: 0, count: buffer.count) }
            while true {
                let (descriptor, at, fill) = (file.descriptor, offset, filled)
                let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + fill, $0.count - fill, off_t(at)) }
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { throw StrataError(.failure, "a spool file ended early (\(records) of \(file.count) records read)") }
                filled += got
                offset += Int64(got)
                return
            }
        }
    }
}
