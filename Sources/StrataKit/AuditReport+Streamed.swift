import Foundation
import Retention
import S3

extension AuditReport {
    /// Audits the bucket as `maker` plans it at `now`, written to `sink` in `format` as it goes,
    /// in memory that grows with the bucket's sets, not its objects; the listing or report is
    /// spooled to `spoolDirectory` (a bucket with versions planned key by key).
    public static func writeStreamed(maker: PlanMaker, now: Date, format: AuditWriter.Format,
                                     spoolDirectory: String = NSTemporaryDirectory(),
                                     sink: @escaping (String) -> Void) async throws {
        let (plan, objects) = try await maker.makeStreamedPlanAndSpool(now: now, spoolDirectory: spoolDirectory)
        var writer = try AuditWriter(format: format, generatedAt: now, scratchDirectory: spoolDirectory, sink: sink)
        try await write(plan: plan, objects: objects, policies: try maker.selectedPolicies(), context: maker.context,
                        pricing: maker.pricing, now: now, spoolDirectory: spoolDirectory,
                        strataFiles: await strataFiles(maker.context), to: &writer)
    }

    /// What Strata's own files take, or `nil` (with a warning) when `.strata/` cannot be listed:
    /// the audit of the backups does not depend on it.
    static func strataFiles(_ context: StrataContext) async -> StrataFiles.Tally? {
        do {
            return try await StrataFiles(context: context).tally()
        } catch {
            context.logger.warning("could not measure Strata's own files under .strata/", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Writes the audit of `plan`, made by the streaming planner from `objects`, to `writer`:
    /// every current member of every kept set and, in a versioned bucket, every noncurrent
    /// version and delete marker the plan keeps, by component (in name order), then by key in
    /// S3's order, then by version (``Row/precedes(_:_:)``). The current members come from the
    /// listing in its order; the kept noncurrent entries from the plan's placements, sorted into
    /// the report's order on disk (``AuditRowSorter``), and merged in. Each archived current row's
    /// restore state comes from a HEAD, up to `concurrency` at once, a batch of rows at a time;
    /// memory holds one batch, not the rows.
    ///
    /// An object's set is found from its key by the layout's own matching (``Policy/setID(ofKey:)``),
    /// the matching the planner grouped by.
    static func write(plan: StreamedPlan, objects: ObjectSpool, policies: [Policy], context: StrataContext,
                      pricing: PricingTable, now: Date, concurrency: Int = 8, spoolDirectory: String = NSTemporaryDirectory(),
                      strataFiles: StrataFiles.Tally? = nil, to writer: inout AuditWriter) async throws {
        var noncurrent = try keptNoncurrentRows(of: plan, now: now, spoolDirectory: spoolDirectory)
        var pending = try noncurrent.next()
        var batch = RowBatch(context: context, concurrency: concurrency)
        let components = plan.summary.components.sorted { $0.component < $1.component }
        for component in components {
            // Rows of a component not audited (none: every planned component has its policy).
            while let row = pending, row.component < component.component { pending = try noncurrent.next() }
            guard let policy = policies.first(where: { $0.component == component.component }) else { continue }
            var kept: [String: PlanSet] = [:]
            for set in component.sets where set.decision == .keep && kept[set.id] == nil { kept[set.id] = set }
            let prefix = Array(policy.prefix.utf8)
            var cursor = objects.makeCursor { kept.isEmpty ? false : $0.starts(with: prefix) }
            while let object = try cursor.next() {
                guard object.isCurrent, !object.isDeleteMarker, let id = policy.setID(ofKey: object.key), let set = kept[id] else { continue }
                let restore = object.storageClass.needsRestore ? "archived" : Row.notArchived
                let row = Row(component: component.component, set: set, object: object, restore: restore, now: now, pricing: pricing)
                while let next = pending, next.component == component.component, Row.precedes(next, row) {
                    try await batch.add(next, asks: false, to: &writer)
                    pending = try noncurrent.next()
                }
                try await batch.add(row, asks: restore != Row.notArchived, to: &writer)
            }
            while let next = pending, next.component == component.component {
                try await batch.add(next, asks: false, to: &writer)
                pending = try noncurrent.next()
            }
            try await batch.flush(to: &writer)
        }
        try writer.finish(strataFiles: strataFiles)
    }

    /// The rows of the noncurrent versions and delete markers `plan` keeps (none without
    /// versions), sorted into the report's order.
    private static func keptNoncurrentRows(of plan: StreamedPlan, now: Date, spoolDirectory: String) throws -> SpoolSorter<AuditReport.Row>.Iterator {
        let sorter = AuditRowSorter(directory: spoolDirectory)
        if plan.outline.hasVersions {
            var placements = try plan.placements.makeIterator()
            while let placement = try placements.next() {
                guard let entry = placement.noncurrent, entry.decision == .keep else { continue }
                try sorter.add(Row(component: plan.summary.components[placement.component].component, noncurrent: entry, now: now))
            }
        }
        try sorter.finish()
        return try sorter.makeIterator()
    }

    /// Rows written a thousand at a time, with the restore states of the archived current ones
    /// asked first (one HEAD each).
    private struct RowBatch {
        let context: StrataContext
        let concurrency: Int
        private var rows: [Row] = []
        private var asks: [Bool] = []

        init(context: StrataContext, concurrency: Int) {
            self.context = context
            self.concurrency = concurrency
        }

        /// Adds `row` (whose restore state is to be asked, when `asks`), writing the batch when full.
        mutating func add(_ row: Row, asks ask: Bool, to writer: inout AuditWriter) async throws {
            rows.append(row)
            asks.append(ask)
            if rows.count == 1_000 { try await flush(to: &writer) }
        }

        /// Fills in the restore states asked, writes the rows and empties the batch.
        mutating func flush(to writer: inout AuditWriter) async throws {
            let asked = rows.indices.filter { asks[$0] }
            try await AuditReport.fillRestoreStates(&rows, at: asked, context: context, concurrency: concurrency)
            for row in rows { try writer.write(row) }
            rows.removeAll(keepingCapacity: true)
            asks.removeAll(keepingCapacity: true)
        }
    }

    /// Fills in the restore states of `rows` at `indices` (archived current objects), one HEAD each.
    fileprivate static func fillRestoreStates(_ rows: inout [Row], at indices: [Int], context: StrataContext,
                                              concurrency: Int) async throws {
        let client = context.client
        let bucket = context.bucket
        let keys = indices.map { rows[$0].key }
        let states = try await keys.concurrentMap(maxConcurrentTasks: concurrency) { key in
            try await client.headObject(bucket: bucket, key: key).restore
        }
        for (index, state) in zip(indices, states) { rows[index].restore = state?.description ?? "archived" }
    }
}
