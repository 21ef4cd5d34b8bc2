import Foundation

/// Renders a plan for people: aligned columns, no colours, nothing but ASCII padding. Text from
/// the bucket (keys, set ids, series, version ids, reasons naming them) is shown with
/// ``TerminalText/escaped(_:)``: a key cannot move the cursor or recolour the table.
public enum PlanTable {
    /// The whole plan: per component a set table, then guards, warnings, unrecognized keys,
    /// then action and cost totals. `maxSetsPerComponent` trims long set lists (newest kept);
    /// `style` marks up decisions, guards and headings (none by default).
    public static func render(_ plan: Plan, maxSetsPerComponent: Int? = nil, style: PlanStyle = .plain) -> String {
        var out = "Retention plan for \(CivilTime.iso8601(Int64(plan.generatedAt.timeIntervalSince1970)))"
        out += plan.forced ? " (forced)\n" : "\n"
        for component in plan.components {
            out += "\n" + style.apply("== \(shown: component.component) (\(shown: component.policyFile)): \(component.totals.sets) sets, \(component.totals.expiringSets) expiring", .heading) + "\n"
            var rows = [["SERIES", "SET", "TIME", "DECISION", "CLASS", "TARGET", "EXPIRES", "OBJECTS", "SIZE", "REASONS"]]
            var sets = component.sets
            var skipped = 0
            if let limit = maxSetsPerComponent, sets.count > limit {
                skipped = sets.count - limit
                sets = Array(sets.suffix(limit))
            }
            for set in sets {
                rows.append([
                    set.series.isEmpty ? "-" : set.series, set.id, CivilTime.iso8601(Int64(set.time.timeIntervalSince1970)),
                    set.decision.rawValue + (set.cannotDelete ? " (cannot delete)" : ""),
                    set.currentClasses.map(\.rawValue).joined(separator: ","), set.targetClass?.rawValue ?? "-",
                    set.projectedExpiry.map { CivilTime.iso8601(Int64($0.timeIntervalSince1970)).prefix(10).description } ?? "-",
                    String(set.objectCount), formatBytes(set.bytes),
                    set.reasons.isEmpty ? "-" : set.reasons.map(\.text).joined(separator: "; "),
                ])
            }
            out += table(rows) { row, column, cell in
                guard row > 0 else { return cell }
                let set = sets[row - 1]
                switch column {
                case 3: return style.apply(cell, set.decision == .expire ? (set.cannotDelete ? .blocked : .expire) : .keep)
                case 5 where set.targetClass != nil: return style.apply(cell, .transition)
                default: return cell
                }
            }
            if skipped > 0 { out += "  ... \(skipped) older sets not shown\n" }
            for finding in component.guards {
                let text = "GUARD \(finding.kind.rawValue)\(finding.blocking ? " (blocking)" : ""): \(shown: finding.message)"
                out += "  " + (finding.blocking ? style.apply(text, .blocked) : style.apply(text, .warning)) + "\n"
            }
            for warning in component.warnings { out += "  " + style.apply("WARNING: \(shown: warning)", .warning) + "\n" }
            if !component.hiddenSets.isEmpty {
                let kept = component.hiddenSets.filter { $0.decision == .keep }
                out += "  " + style.apply("HIDDEN by delete markers: \(component.hiddenSets.count) sets, \(kept.count) kept by the policy (never deleted; strata undelete restores them)", .warning) + "\n"
                for set in component.hiddenSets.suffix(10).reversed() {
                    out += "    \(set.decision.rawValue.uppercased()) \(shown: set.id): \(shown: set.reasons.isEmpty ? "kept by no rule; noncurrent option applies" : set.reasons.map(\.text).joined(separator: "; "))\n"
                }
                if component.hiddenSets.count > 10 { out += "    ...\n" }
            }
            let noncurrent = component.noncurrentSummary
            if noncurrent.count > 0 {
                out += "  NONCURRENT: \(noncurrent.count) versions/markers (\(formatBytes(noncurrent.bytes))), \(noncurrent.expiring) expire\n"
                for version in noncurrent.first {
                    out += "    \(version.decision.rawValue.uppercased()) \(shown: version.key) \(version.isDeleteMarker ? "(delete marker)" : "(version \(shown: version.versionID ?? "null"))"): \(shown: version.reason)\n"
                }
                if noncurrent.count > noncurrent.first.count { out += "    ...\n" }
            }
            if !component.unrecognizedKeys.isEmpty {
                out += "  " + style.apply("UNRECOGNIZED (never touched): \(component.unrecognizedKeys.count) keys", .warning) + "\n"
                for key in component.unrecognizedKeys.prefix(10) { out += "    \(shown: key)\n" }
                if component.unrecognizedKeys.count > 10 { out += "    ...\n" }
            }
        }
        let t = plan.totals
        out += "\nTotals\n"
        var rows = [["OBJECTS", "SIZE", "SETS", "EXPIRING", "DELETES", "FREED", "TRANSITIONS", "MOVED", "ABORTS", "UNRECOGNIZED"]]
        rows.append([String(t.objects), formatBytes(t.bytes), String(t.sets), String(t.expiringSets), String(t.deletes),
                     formatBytes(t.deleteBytes), String(t.transitions), formatBytes(t.transitionBytes), String(t.abortedUploads),
                     String(t.unrecognized)])
        out += table(rows)
        var classRows = [["CLASS", "OBJECTS", "SIZE"]]
        for entry in t.byClass { classRows.append([entry.storageClass.rawValue, String(entry.objects), formatBytes(entry.bytes)]) }
        out += table(classRows)
        let c = plan.cost
        out += "Cost (USD): monthly \(money(c.monthlyBefore)) -> \(money(c.monthlyAfter)); one-off: transitions \(money(c.transitionRequests)), early removal \(money(c.earlyDeletion))\n"
        if plan.isBlocked {
            out += style.apply("BLOCKED: \(shown: plan.blockedComponents.map(\.component).joined(separator: ", ")) (rerun with force to override)", .blocked) + "\n"
        }
        return out
    }

    /// Left-aligned columns separated by two spaces, each row indented by two. `markup` sees each
    /// padded cell with its row and column (row 0 is the header) after alignment is decided.
    /// Cells are shown escaped (``TerminalText/escaped(_:)``), and measured as shown.
    static func table(_ rows: [[String]], markup: (_ row: Int, _ column: Int, _ cell: String) -> String = { $2 }) -> String {
        let rows = rows.map { $0.map { TerminalText.escaped($0) } }
        guard let width = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (r, row) in rows.enumerated() {
            var cells = row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 1, withPad: " ", startingAt: 0)
            }
            // Trailing blanks go before markup, so styled and plain lines end alike: blank cells
            // at the end are dropped, then the last one left loses its padding.
            while cells.count > 1, cells[cells.count - 1].allSatisfy({ $0 == " " }) { cells.removeLast() }
            if var last = cells.popLast() {
                while last.hasSuffix(" ") { last.removeLast() }
                cells.append(last)
            }
            let marked = cells.enumerated().map { i, cell in markup(r, i, cell) }
            out += " " + marked.map { " " + $0 }.joined() + "\n"
        }
        return out
    }

    /// Bytes in binary units: `512 B`, `1.5 KiB`, `3.2 GiB`.
    public static func formatBytes(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    static func money(_ value: Double) -> String { String(format: "$%.2f", value) }
}
