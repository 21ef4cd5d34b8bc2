import Foundation
import Retention
import S3

extension AuditReport {
    /// Audits the bucket as `maker` plans it at `now`, written to `sink` in `format` as it goes,
    /// in memory that grows with the bucket's sets, not its objects; the listing is spooled to
    /// `spoolDirectory`. Returns `false`, having written nothing, for a versioned bucket, which
    /// only the planner in memory plans (``init(plan:inventory:pricing:now:restoreStates:)``).
    public static func writeStreamed(maker: PlanMaker, now: Date, format: AuditWriter.Format,
                                     spoolDirectory: String = NSTemporaryDirectory(),
                                     sink: @escaping (String) -> Void) async throws -> Bool {
        guard let (plan, objects) = try await maker.makeUnversionedStreamedPlanAndSpool(now: now, spoolDirectory: spoolDirectory) else { return false }
        var writer = try AuditWriter(format: format, generatedAt: now, scratchDirectory: spoolDirectory, sink: sink)
        try await write(plan: plan, objects: objects, policies: try maker.selectedPolicies(), context: maker.context,
                        pricing: maker.pricing, now: now, to: &writer)
        return true
    }

    /// Writes the audit of `plan`, made by the streaming planner from `objects`, to `writer`:
    /// every current member of every kept set, by component (in name order), then by key as the
    /// listing gave them (S3's order). Each archived row's restore state comes from a HEAD, up to
    /// `concurrency` at once, a batch of rows at a time; memory holds one batch, not the rows.
    ///
    /// An object's set is found from its key by the layout's own matching (``Policy/setID(ofKey:)``),
    /// the matching the planner grouped by.
    static func write(plan: StreamedPlan, objects: ObjectSpool, policies: [Policy], context: StrataContext,
                      pricing: PricingTable, now: Date, concurrency: Int = 8, to writer: inout AuditWriter) async throws {
        let components = plan.summary.components.sorted { $0.component < $1.component }
        for component in components {
            guard let policy = policies.first(where: { $0.component == component.component }) else { continue }
            var kept: [String: PlanSet] = [:]
            for set in component.sets where set.decision == .keep && kept[set.id] == nil { kept[set.id] = set }
            guard !kept.isEmpty else { continue }
            let prefix = Array(policy.prefix.utf8)
            var cursor = objects.makeCursor { $0.starts(with: prefix) }
            var batch: [Row] = []
            while let object = try cursor.next() {
                guard object.isCurrent, !object.isDeleteMarker, let id = policy.setID(ofKey: object.key), let set = kept[id] else { continue }
                let restore = object.storageClass.needsRestore ? "archived" : Row.notArchived
                batch.append(Row(component: component.component, set: set, object: object, restore: restore, now: now, pricing: pricing))
                if batch.count == 1_000 {
                    try await writeBatch(&batch, context: context, concurrency: concurrency, to: &writer)
                }
            }
            try await writeBatch(&batch, context: context, concurrency: concurrency, to: &writer)
        }
        try writer.finish()
    }

    /// Fills in the restore state of the archived rows of `batch` (one HEAD each), writes the
    /// batch and empties it.
    private static func writeBatch(_ batch: inout [Row], context: StrataContext, concurrency: Int,
                                   to writer: inout AuditWriter) async throws {
        let archived = batch.indices.filter { batch[$0].restore != Row.notArchived }
        let client = context.client
        let bucket = context.bucket
        let keys = archived.map { batch[$0].key }
        let states = try await keys.concurrentMap(maxConcurrentTasks: concurrency) { key in
            try await client.headObject(bucket: bucket, key: key).restore
        }
        for (index, state) in zip(archived, states) { batch[index].restore = state?.description ?? "archived" }
        for row in batch { try writer.write(row) }
        batch.removeAll(keepingCapacity: true)
    }
}
