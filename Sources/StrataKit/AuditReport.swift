import Foundation
import Retention
import S3

/// Every retained backup object: why it is kept, until when, where it lives and what it costs.
/// Built from a plan and the inventory it was made from; `strata audit` prints it.
public struct AuditReport: Codable, Sendable {
    /// One retained object.
    public struct Row: Codable, Sendable, Hashable {
        /// Component.
        public var component: String
        /// Set id.
        public var set: String
        /// Series ("" when the layout has none).
        public var series: String
        /// Object key.
        public var key: String
        /// Version id in versioned buckets.
        public var versionID: String?
        /// Bytes.
        public var size: Int64
        /// Storage class now.
        public var storageClass: String
        /// Class the plan moves it to, if any.
        public var targetClass: String?
        /// Days since it was written.
        public var ageDays: Int
        /// Restore state of an archived object (`not archived`, `archived`, `restore in progress`, `restored until ...`).
        public var restore: String
        /// Why it cannot be deleted now, if locked or held.
        public var lock: String?
        /// Every reason the set is kept.
        public var reasons: [String]
        /// When the rule keeping it longest lets it go (none: kept indefinitely).
        public var projectedExpiry: Date?
        /// Monthly storage cost at list prices, USD.
        public var monthlyCost: Double
    }

    /// Totals per component and storage class.
    public struct Total: Codable, Sendable, Hashable {
        /// Component.
        public var component: String
        /// Storage class.
        public var storageClass: String
        /// Objects.
        public var objects: Int
        /// Bytes.
        public var bytes: Int64
        /// Monthly cost, USD.
        public var monthlyCost: Double
    }

    /// When the audit was made.
    public var generatedAt: Date
    /// Retained objects, by component then key.
    public var rows: [Row]
    /// Totals.
    public var totals: [Total]
    /// What Strata's own files under `.strata/` take (the lease, the journals, and in a
    /// versioned bucket their old versions), when measured (``StrataFiles/tally()``).
    public var strataFiles: StrataFiles.Tally?

    /// A report of `rows`, in the report's order, and their `totals`.
    init(generatedAt: Date, rows: [Row], totals: [Total], strataFiles: StrataFiles.Tally? = nil) {
        self.generatedAt = generatedAt
        self.rows = rows
        self.totals = totals
        self.strataFiles = strataFiles
    }

    /// Builds the report. `restoreStates` maps keys of archived objects to their HEAD's restore state.
    public init(plan: Plan, inventory: Inventory, pricing: PricingTable, now: Date,
                restoreStates: [String: RestoreStatus?] = [:]) {
        var byKey: [String: [InventoryObject]] = [:]
        for object in inventory.objects where !object.isDeleteMarker { byKey[object.key, default: []].append(object) }
        var rows: [Row] = []
        for component in plan.components {
            for set in component.sets where set.decision == .keep {
                for key in set.members {
                    // Noncurrent versions are listed from the plan's noncurrent entries below.
                    for object in byKey[key] ?? [] where object.isCurrent {
                        let restore = object.storageClass.needsRestore ? restoreStates[key].flatMap { $0?.description } ?? "archived" : Row.notArchived
                        rows.append(Row(component: component.component, set: set, object: object, restore: restore, now: now, pricing: pricing))
                    }
                }
            }
        }
        for component in plan.components {
            for version in component.noncurrent where version.decision == .keep {
                rows.append(Row(component: component.component, noncurrent: version, now: now))
            }
        }
        rows.sort(by: Row.precedes)
        var totals = TotalsTally()
        for row in rows { totals.add(row) }
        self.generatedAt = now
        self.rows = rows
        self.totals = totals.totals
    }

    /// CSV with a header line (RFC 4180). Text fields are written by ``CSVField/text(_:)``: a
    /// field that a spreadsheet would run as a formula is prefixed with `'`, control characters
    /// are shown escaped; numbers and times are Strata's own and written as they are.
    public var csv: String {
        ([Self.csvHeader] + rows.map(\.csvLine)).joined(separator: "\n") + "\n"
    }

    /// An aligned table for people, then totals, then what Strata's own files take.
    public var table: String {
        TextGrid.render([Self.tableHeader] + rows.map(\.tableCells)) + Self.totalsTable(totals)
            + (strataFiles.map { "\n" + $0.line + "\n" } ?? "")
    }

    /// The table's column titles.
    static let tableHeader = ["COMPONENT", "SET", "KEY", "SIZE", "CLASS", "AGE", "RESTORE", "EXPIRES", "$/MONTH", "KEPT BECAUSE"]

    /// The CSV's header line.
    static let csvHeader = "component,set,series,key,version_id,size,storage_class,target_class,age_days,restore,lock,reasons,projected_expiry,monthly_cost_usd"

    /// The totals as the table ends: a title line, then a grid of its own.
    static func totalsTable(_ totals: [Total]) -> String {
        var totalGrid = [["COMPONENT", "CLASS", "OBJECTS", "SIZE", "$/MONTH"]]
        for total in totals {
            totalGrid.append([total.component, total.storageClass, String(total.objects), PlanTable.formatBytes(total.bytes),
                              String(format: "%.4f", total.monthlyCost)])
        }
        return "\nTotals\n" + TextGrid.render(totalGrid)
    }
}

extension AuditReport.Row {
    /// The restore state of an object in a class read in place.
    static let notArchived = "not archived"

    /// The row of `object`, a current member of `set`, a set of `component` the plan keeps.
    init(component: String, set: PlanSet, object: InventoryObject, restore: String, now: Date, pricing: PricingTable) {
        self.init(component: component, set: set.id, series: set.series, key: object.key, versionID: object.versionID,
                  size: object.size, storageClass: object.storageClass.rawValue, targetClass: set.targetClass?.rawValue,
                  ageDays: Int(now.timeIntervalSince(object.lastModified) / 86_400), restore: restore,
                  lock: set.reasons.first { $0.preventsDeletion }?.text, reasons: set.reasons.map(\.text),
                  projectedExpiry: set.projectedExpiry, monthlyCost: pricing.monthlyCost(size: object.size, in: object.storageClass))
    }

    /// The row of `version`, a noncurrent version or delete marker of `component` the plan keeps
    /// (its restore state is not asked: a HEAD of the key reads the current version).
    init(component: String, noncurrent version: NoncurrentVersion, now: Date) {
        let kind = version.isDeleteMarker ? "(delete marker)" : version.hidden ? "(hidden: no current version)" : "(noncurrent)"
        let since = version.noncurrentSince ?? now
        self.init(component: component, set: kind, series: "", key: version.key, versionID: version.versionID,
                  size: version.size, storageClass: version.storageClass.rawValue, targetClass: nil,
                  ageDays: Int(now.timeIntervalSince(since) / 86_400), restore: version.storageClass.needsRestore ? "archived" : Self.notArchived,
                  lock: version.reason.hasPrefix("blocked by") ? version.reason : nil, reasons: [version.reason],
                  projectedExpiry: version.projectedExpiry, monthlyCost: version.monthlyCost)
    }

    /// The report's order: by component, then key by its bytes (S3's order, which tells apart keys
    /// Swift's `String` takes as equal), then version.
    static func precedes(_ a: Self, _ b: Self) -> Bool {
        if a.component != b.component { return a.component < b.component }
        let keys = KeyRuns.compare(a.key, b.key)
        if keys != 0 { return keys < 0 }
        return (a.versionID ?? "") < (b.versionID ?? "")
    }

    /// The row as a CSV line (no line end). Text fields are written by ``CSVField/text(_:)``;
    /// numbers and times are Strata's own and written as they are.
    var csvLine: String {
        let expiry = projectedExpiry.map(JSONCoding.timestamp) ?? ""
        let fields: [String] = [
            CSVField.text(component), CSVField.text(set), CSVField.text(series), CSVField.text(key),
            CSVField.text(versionID ?? ""), CSVField.formatted(String(size)), CSVField.text(storageClass),
            CSVField.text(targetClass ?? ""), CSVField.formatted(String(ageDays)), CSVField.text(restore),
            CSVField.text(lock ?? ""), CSVField.text(reasons.joined(separator: "; ")), CSVField.formatted(expiry),
            CSVField.formatted(String(format: "%.6f", monthlyCost)),
        ]
        return fields.joined(separator: ",")
    }

    /// The row's cells in the table, not yet escaped.
    var tableCells: [String] {
        [component, set, key, PlanTable.formatBytes(size),
         storageClass + (targetClass.map { "->\($0)" } ?? ""), "\(ageDays)d", restore,
         projectedExpiry.map { String(JSONCoding.timestamp($0).prefix(10)) } ?? "never",
         String(format: "%.4f", monthlyCost), (lock.map { [$0] } ?? []).joined() + reasons.joined(separator: "; ")]
    }
}

extension AuditReport {
    /// Totals per component and class, added up a row at a time.
    struct TotalsTally {
        private var byClass: [String: Total] = [:]

        /// Counts `row`.
        mutating func add(_ row: Row) {
            let id = row.component + "\u{0}" + row.storageClass
            var total = byClass[id] ?? Total(component: row.component, storageClass: row.storageClass, objects: 0, bytes: 0, monthlyCost: 0)
            total.objects += 1
            // Sizes come from the bucket, each up to 2^63-1: saturate, never trap.
            total.bytes.saturatingIncrease(by: row.size)
            total.monthlyCost += row.monthlyCost
            byClass[id] = total
        }

        /// The totals, by component then class.
        var totals: [Total] { byClass.values.sorted { ($0.component, $0.storageClass) < ($1.component, $1.storageClass) } }
    }
}

/// Left-aligned columns separated by two spaces, cells shown escaped (``TerminalText/escaped(_:)``:
/// keys, set ids and reasons come from the bucket) and measured as shown.
enum TextGrid {
    static func render(_ rows: [[String]]) -> String {
        let rows = rows.map(escaped)
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { line($0, widths: widths) }.joined(separator: "\n") + "\n"
    }

    /// A row's cells as shown (``TerminalText/escaped(_:)``).
    static func escaped(_ cells: [String]) -> [String] { cells.map { TerminalText.escaped($0) } }

    /// One row of cells already escaped, each but the last padded to its column's width.
    static func line(_ cells: [String], widths: [Int]) -> String {
        cells.enumerated().map { i, cell in
            i == cells.count - 1 || i >= widths.count ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
}
