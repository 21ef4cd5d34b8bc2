import Foundation
import Retention

/// Audit rows sorted into the report's order (``AuditReport/Row/precedes(_:_:)``) in bounded
/// memory (``SpoolSorter``, runs of `runLength`): what a streamed audit of a versioned bucket
/// sorts its noncurrent rows with, since the plan gives them in its own order, not the report's.
final class AuditRowSorter {
    private let sorter: SpoolSorter<AuditReport.Row>

    /// A sorter that spills to `directory` every `runLength` rows.
    init(directory: String, runLength: Int = 50_000) {
        sorter = SpoolSorter(directory: directory, runLength: runLength, by: AuditReport.Row.precedes,
                             encode: { Self.encode($0, into: &$1) }, decode: { try Self.decode(&$0) },
                             oversized: { row, bytes in
                                 StrataError(.failure, "an audit row of \(TerminalText.escaped(row.key.prefix(120))) takes \(bytes) bytes to spool, over the \(SpoolFile.maximumRecord)-byte limit")
                             })
    }

    /// Adds one row.
    func add(_ row: AuditReport.Row) throws { try sorter.add(row) }

    /// Ends adding; the rows are then read in order through ``makeIterator()``.
    func finish() throws { try sorter.finish() }

    /// An iterator over the rows in the report's order (after ``finish()``).
    func makeIterator() throws -> SpoolSorter<AuditReport.Row>.Iterator { try sorter.makeIterator() }

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
