import Foundation

/// Writes an audit a row at a time, in the order given, to a sink: the same bytes the report in
/// memory gives for the format (``AuditReport/table``, ``AuditReport/csv``, its JSON), in memory
/// that does not grow with the rows. The CSV and the JSON are written as the rows come; the
/// table, whose columns are as wide as their widest cell, is spooled to a scratch file and
/// written by ``finish()``.
public struct AuditWriter {
    /// An audit's output format.
    public enum Format: String, Sendable, CaseIterable {
        /// Aligned columns for people, then totals.
        case table
        /// The report's JSON (``JSONCoding/encoder``).
        case json
        /// CSV with a header line.
        case csv
    }

    private let format: Format
    private let generatedAt: Date
    private let output: (String) -> Void
    /// What is written but not yet handed to the sink: a row is a few hundred bytes, and a write
    /// to a pipe per row would cost more than making it.
    private var pending = ""
    private var totals = AuditReport.TotalsTally()
    private var rows = 0
    /// The table's escaped cells, a record per row, and the widest cell of each column.
    private var tableRows: SpoolFile?
    private var widths: [Int] = []

    /// A writer of `format` for an audit made at `generatedAt`; the table's scratch file goes in
    /// `scratchDirectory`.
    public init(format: Format, generatedAt: Date, scratchDirectory: String = NSTemporaryDirectory(),
                sink: @escaping (String) -> Void) throws {
        self.format = format
        self.generatedAt = generatedAt
        self.output = sink
        pending.reserveCapacity(Self.chunk + 4_096)
        switch format {
        case .csv: sink(AuditReport.csvHeader + "\n")
        case .json: sink(try Self.json(generatedAt: generatedAt, totals: []).head)
        case .table:
            tableRows = try SpoolFile(directory: scratchDirectory)
            widths = TextGrid.escaped(AuditReport.tableHeader).map(\.count)
        }
    }

    private static let chunk = 1 << 16

    /// Buffers `text`, handing the buffer to the sink once it holds a chunk.
    private mutating func sink(_ text: String) {
        pending += text
        if pending.utf8.count >= Self.chunk { flush() }
    }

    private mutating func flush() {
        guard !pending.isEmpty else { return }
        output(pending)
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes `row`, which follows every row written before in the report's order.
    public mutating func write(_ row: AuditReport.Row) throws {
        totals.add(row)
        defer { rows += 1 }
        switch format {
        case .csv: sink(row.csvLine + "\n")
        case .json: sink(try JSONArraySplice.element(row, first: rows == 0))
        case .table:
            let cells = TextGrid.escaped(row.tableCells)
            for (column, cell) in cells.enumerated() where column < widths.count { widths[column] = max(widths[column], cell.count) }
            try tableRows?.append { writer in for cell in cells { writer.string(cell) } }
        }
    }

    /// Writes what follows the rows: the totals, what Strata's own files take (when given;
    /// not in CSV, which holds rows only), and for a table every row.
    public mutating func finish(strataFiles: StrataFiles.Tally? = nil) throws {
        let totals = totals.totals
        switch format {
        case .csv: break
        case .json:
            // The totals follow the rows: the document's end is known only now.
            let splice = try Self.json(generatedAt: generatedAt, totals: totals, strataFiles: strataFiles)
            sink(splice.closing(count: rows) + splice.tail + "\n")
        case .table:
            let widths = widths
            sink(TextGrid.line(TextGrid.escaped(AuditReport.tableHeader), widths: widths) + "\n")
            if let tableRows {
                try tableRows.flush()
                var cursor = SpoolFile.Cursor(file: tableRows, bufferSize: 1 << 20)
                while let cells = try cursor.next({ reader in
                    var cells: [String] = []
                    cells.reserveCapacity(widths.count)
                    while !reader.isAtEnd { cells.append(try reader.string()) }
                    return cells
                }) {
                    sink(TextGrid.line(cells, widths: widths) + "\n")
                }
            }
            sink(AuditReport.totalsTable(totals))
            if let strataFiles { sink("\n" + strataFiles.line + "\n") }
        }
        flush()
    }

    /// The report's JSON around its rows.
    private static func json(generatedAt: Date, totals: [AuditReport.Total],
                             strataFiles: StrataFiles.Tally? = nil) throws -> JSONArraySplice {
        try JSONArraySplice(skeleton: AuditReport(generatedAt: generatedAt, rows: [], totals: totals, strataFiles: strataFiles),
                            property: "rows")
    }
}
