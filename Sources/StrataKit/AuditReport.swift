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

    /// Builds the report. `restoreStates` maps keys of archived objects to their HEAD's restore state.
    public init(plan: Plan, inventory: Inventory, pricing: PricingTable, now: Date,
                restoreStates: [String: RestoreStatus?] = [:]) {
        var byKey: [String: [InventoryObject]] = [:]
        for object in inventory.objects where !object.isDeleteMarker { byKey[object.key, default: []].append(object) }
        var rows: [Row] = []
        for component in plan.components {
            for set in component.sets where set.decision == .keep {
                let lock = set.reasons.first { $0.preventsDeletion }?.text
                for key in set.members {
                    // Noncurrent versions are listed from the plan's noncurrent entries below.
                    for object in byKey[key] ?? [] where object.isCurrent {
                        let restore: String
                        if object.storageClass.needsRestore {
                            restore = restoreStates[key].flatMap { $0?.description } ?? "archived"
                        } else {
                            restore = "not archived"
                        }
                        rows.append(Row(
                            component: component.component, set: set.id, series: set.series, key: key,
                            versionID: object.versionID, size: object.size, storageClass: object.storageClass.rawValue,
                            targetClass: set.targetClass?.rawValue,
                            ageDays: Int(now.timeIntervalSince(object.lastModified) / 86_400), restore: restore,
                            lock: lock, reasons: set.reasons.map(\.text), projectedExpiry: set.projectedExpiry,
                            monthlyCost: pricing.monthlyCost(size: object.size, in: object.storageClass)))
                    }
                }
            }
        }
        for component in plan.components {
            for version in component.noncurrent where version.decision == .keep {
                let kind = version.isDeleteMarker ? "(delete marker)" : version.hidden ? "(hidden: no current version)" : "(noncurrent)"
                let since = version.noncurrentSince ?? now
                rows.append(Row(
                    component: component.component, set: kind, series: "", key: version.key, versionID: version.versionID,
                    size: version.size, storageClass: version.storageClass.rawValue, targetClass: nil,
                    ageDays: Int(now.timeIntervalSince(since) / 86_400), restore: version.storageClass.needsRestore ? "archived" : "not archived",
                    lock: version.reason.hasPrefix("blocked by") ? version.reason : nil, reasons: [version.reason],
                    projectedExpiry: version.projectedExpiry, monthlyCost: version.monthlyCost))
            }
        }
        rows.sort { ($0.component, $0.key, $0.versionID ?? "") < ($1.component, $1.key, $1.versionID ?? "") }
        var totals: [String: Total] = [:]
        for row in rows {
            let id = row.component + "\u{0}" + row.storageClass
            var total = totals[id] ?? Total(component: row.component, storageClass: row.storageClass, objects: 0,
                                            bytes: 0, monthlyCost: 0)
            total.objects += 1
            total.bytes += row.size
            total.monthlyCost += row.monthlyCost
            totals[id] = total
        }
        self.generatedAt = now
        self.rows = rows
        self.totals = totals.values.sorted { ($0.component, $0.storageClass) < ($1.component, $1.storageClass) }
    }

    /// CSV with a header line (RFC 4180). Text fields are written by ``CSVField/text(_:)``: a
    /// field that a spreadsheet would run as a formula is prefixed with `'`, control characters
    /// are shown escaped; numbers and times are Strata's own and written as they are.
    public var csv: String {
        var lines = ["component,set,series,key,version_id,size,storage_class,target_class,age_days,restore,lock,reasons,projected_expiry,monthly_cost_usd"]
        for row in rows {
            let expiry = row.projectedExpiry.map(JSONCoding.timestamp) ?? ""
            let fields: [String] = [
                CSVField.text(row.component), CSVField.text(row.set), CSVField.text(row.series), CSVField.text(row.key),
                CSVField.text(row.versionID ?? ""), CSVField.formatted(String(row.size)), CSVField.text(row.storageClass),
                CSVField.text(row.targetClass ?? ""), CSVField.formatted(String(row.ageDays)), CSVField.text(row.restore),
                CSVField.text(row.lock ?? ""), CSVField.text(row.reasons.joined(separator: "; ")), CSVField.formatted(expiry),
                CSVField.formatted(String(format: "%.6f", row.monthlyCost)),
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An aligned table for people, then totals.
    public var table: String {
        var grid = [["COMPONENT", "SET", "KEY", "SIZE", "CLASS", "AGE", "RESTORE", "EXPIRES", "$/MONTH", "KEPT BECAUSE"]]
        for row in rows {
            grid.append([row.component, row.set, row.key, PlanTable.formatBytes(row.size),
                         row.storageClass + (row.targetClass.map { "->\($0)" } ?? ""), "\(row.ageDays)d", row.restore,
                         row.projectedExpiry.map { String(JSONCoding.timestamp($0).prefix(10)) } ?? "never",
                         String(format: "%.4f", row.monthlyCost), (row.lock.map { [$0] } ?? []).joined() + row.reasons.joined(separator: "; ")])
        }
        var out = TextGrid.render(grid)
        out += "\nTotals\n"
        var totalGrid = [["COMPONENT", "CLASS", "OBJECTS", "SIZE", "$/MONTH"]]
        for total in totals {
            totalGrid.append([total.component, total.storageClass, String(total.objects), PlanTable.formatBytes(total.bytes),
                              String(format: "%.4f", total.monthlyCost)])
        }
        out += TextGrid.render(totalGrid)
        return out
    }
}

/// Left-aligned columns separated by two spaces, cells shown escaped (``TerminalText/escaped(_:)``:
/// keys, set ids and reasons come from the bucket) and measured as shown.
enum TextGrid {
    static func render(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map { TerminalText.escaped($0) } }
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
