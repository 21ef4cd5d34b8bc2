import Foundation
import Retention

/// Audit rows sorted into the report's order (``AuditReport/Row/precedes(_:_:)``) in bounded
/// memory: up to `runLength` are sorted in memory; more are written as sorted runs to unnamed
/// spool files and merged as they are read (``RunMerge``). What a streamed audit of a versioned
/// bucket sorts its noncurrent rows with: the plan gives them in its own order, not the report's.
final class AuditRowSorter {
    private typealias Row = AuditReport.Row
    private let directory: String
    private let runLength: Int
    private var buffer: [Row] = []
    private var runs: [SpoolFile] = []

    /// A sorter that spills to `directory` every `runLength` rows.
    init(directory: String, runLength: Int = 50_000) {
        self.directory = directory
        self.runLength = max(1, runLength)
    }

    /// Adds one row.
    func add(_ row: AuditReport.Row) throws {
        buffer.append(row)
        if buffer.count >= runLength { try spill() }
    }

    private func spill() throws {
        buffer.sort(by: Row.precedes)
        let run = try SpoolFile(directory: directory)
        for row in buffer {
            try run.append({ Self.encode(row, into: &$0) }, oversized: { bytes in
                StrataError(.failure, "an audit row of \(TerminalText.escaped(row.key.prefix(120))) takes \(bytes) bytes to spool, over the \(SpoolFile.maximumRecord)-byte limit")
            })
        }
        try run.flush()
        runs.append(run)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Ends adding; the rows are then read in order through ``makeIterator()``.
    func finish() throws {
        if runs.isEmpty { buffer.sort(by: Row.precedes) } else if !buffer.isEmpty { try spill() }
    }

    /// Reads the rows in the report's order (after ``finish()``), merging the runs as it goes.
    struct Iterator {
        private var memory: IndexingIterator<[AuditReport.Row]>?
        private var merge: RunMerge<AuditReport.Row>?

        fileprivate init(_ sorter: AuditRowSorter) throws {
            guard !sorter.runs.isEmpty else {
                memory = sorter.buffer.makeIterator()
                return
            }
            merge = try RunMerge(sorter.runs.map { run in
                var cursor = SpoolFile.Cursor(file: run, bufferSize: 64 << 10)
                return { try cursor.next { try AuditRowSorter.decode(&$0) } }
            }, by: AuditReport.Row.precedes)
        }

        /// The next row, or `nil` after the last.
        mutating func next() throws -> AuditReport.Row? {
            if memory != nil { return memory!.next() }
            return try merge?.next()
        }
    }

    /// An iterator over the rows in order (after ``finish()``).
    func makeIterator() throws -> Iterator { try Iterator(self) }

    private static func optional(_ value: String?, into writer: inout SpoolWriter) {
        writer.byte(value == nil ? 0 : 1)
        if let value { writer.string(value) }
    }

    private static func optional(_ reader: inout SpoolReader) throws -> String? {
        try reader.byte() == 0 ? nil : try reader.string()
    }

    private static func encode(_ row: AuditReport.Row, into writer: inout SpoolWriter) {
        for text in [row.component, row.set, row.series, row.key, row.storageClass, row.restore] { writer.string(text) }
        for text in [row.versionID, row.targetClass, row.lock] { optional(text, into: &writer) }
        writer.varint(UInt64(row.reasons.count))
        for reason in row.reasons { writer.string(reason) }
        writer.int64(row.size)
        writer.int64(Int64(row.ageDays))
        writer.byte(row.projectedExpiry == nil ? 0 : 1)
        // Dates as their own double, so they come back exactly.
        if let expiry = row.projectedExpiry { writer.double(expiry.timeIntervalSinceReferenceDate) }
        writer.double(row.monthlyCost)
    }

    private static func decode(_ reader: inout SpoolReader) throws -> AuditReport.Row {
        do {
            let (component, set, series, key) = (try reader.string(), try reader.string(), try reader.string(), try reader.string())
            let (storageClass, restore) = (try reader.string(), try reader.string())
            let (versionID, targetClass, lock) = (try optional(&reader), try optional(&reader), try optional(&reader))
            let count = try reader.varint()
            guard count <= UInt64(SpoolFile.maximumRecord) else { throw SpoolReader.Malformed() }
            let reasons = try (0..<count).map { _ in try reader.string() }
            let size = try reader.int64()
            let ageDays = try reader.int64()
            let expiry = try reader.byte() == 0 ? nil : Date(timeIntervalSinceReferenceDate: try reader.double())
            return AuditReport.Row(component: component, set: set, series: series, key: key, versionID: versionID, size: size,
                                   storageClass: storageClass, targetClass: targetClass, ageDays: Int(clamping: ageDays),
                                   restore: restore, lock: lock, reasons: reasons, projectedExpiry: expiry,
                                   monthlyCost: try reader.double())
        } catch is SpoolReader.Malformed {
            throw StrataError(.failure, "a spool file is damaged: an audit row does not decode")
        }
    }
}
