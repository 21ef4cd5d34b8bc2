import Foundation
import Prometheus
import Retention

/// Prometheus metrics about the backups and the last sweep, in the text exposition format for
/// node_exporter's textfile collector. Names match the runbook's alerts
/// (`backup_last_success_timestamp_seconds`, `backup_size_bytes`); the rest are Strata's own.
public enum MetricsTextfile {
    /// What the metrics say about the last sweep.
    public struct SweepSummary: Sendable {
        /// When it ran.
        public var at: Date
        /// Whether it applied its plan (false for a dry run).
        public var applied: Bool
        /// What it did.
        public var done: SweepJournal.Counts
        /// How many actions failed.
        public var failures: Int
        /// Creates a summary.
        public init(at: Date, applied: Bool, done: SweepJournal.Counts, failures: Int) {
            self.at = at
            self.applied = applied
            self.done = done
            self.failures = failures
        }
        /// The summary of a journal entry.
        public init(_ entry: SweepJournal.Entry) {
            self.init(at: entry.finishedAt ?? entry.startedAt, applied: true, done: entry.done, failures: entry.failures.count)
        }
    }

    /// Renders the metrics of `plan` and, when known, of the last sweep.
    public static func render(plan: Plan, sweep: SweepSummary?) -> String {
        let registry = PrometheusCollectorRegistry()
        for component in plan.components {
            let name = [("component", component.component)]
            // A future-dated set (clock skew, a planted key) must not pass for a fresh backup.
            let present = component.sets.filter { !$0.reasons.contains { $0.kind == .future } }
            if let newest = present.max(by: { $0.time < $1.time }) {
                gauge(registry, "backup_last_success_timestamp_seconds", labels: name,
                                   help: "Time of the newest backup set of the component.")
                    .set(newest.time.timeIntervalSince1970)
                gauge(registry, "backup_size_bytes", labels: name,
                                   help: "Bytes of the newest backup set of the component.")
                    .set(Double(newest.bytes))
            }
            gauge(registry, "strata_sets", labels: name, help: "Backup sets found for the component.")
                .set(Double(component.sets.count))
            gauge(registry, "strata_sets_expiring", labels: name, help: "Sets the plan expires.")
                .set(Double(component.sets.filter { $0.decision == .expire }.count))
            gauge(registry, "strata_unrecognized_objects", labels: name,
                               help: "Objects under the prefix that match no layout (never touched).")
                .set(Double(component.unrecognizedKeys.count))
            for total in component.totals.byClass {
                let labels = name + [("storage_class", total.storageClass.rawValue)]
                gauge(registry, "strata_objects", labels: labels, help: "Objects per storage class.")
                    .set(Double(total.objects))
                gauge(registry, "strata_bytes", labels: labels, help: "Bytes per storage class.")
                    .set(Double(total.bytes))
            }
            gauge(registry, "strata_component_stale", labels: name,
                               help: "1 when the newest set is older than twice expect_every.")
                .set(component.guards.contains { $0.kind == .stale } ? 1.0 : 0.0)
            gauge(registry, "strata_sweep_blocked", labels: name,
                               help: "1 when a guard blocked the component's deletions.")
                .set(component.guards.contains { $0.blocking } ? 1.0 : 0.0)
            hostileContentGauges(registry, component, labels: name)
            // Keeping every WAL segment because no kept set's needs can be read (an encrypted
            // repository without its passphrase) grows storage without bound: never silent.
            gauge(registry, "strata_pgbackrest_wal_unchecked_objects", labels: name,
                  help: "pgBackRest WAL objects kept unchecked: no kept set's archive range could be read (0 when WAL is judged, and for other layouts).")
                .set(Double(component.uncheckedWAL?.objects ?? 0))
            gauge(registry, "strata_pgbackrest_wal_unchecked_bytes", labels: name,
                  help: "Bytes of the pgBackRest WAL kept unchecked.")
                .set(Double(component.uncheckedWAL?.bytes ?? 0))
            gauge(registry, "strata_monthly_cost_dollars", labels: name,
                               help: "Estimated monthly storage cost at list prices.")
                .set(component.cost.monthlyBefore)
        }
        guard let sweep else { return registry.emitToString() }
        gauge(registry, "strata_sweep_last_run_timestamp_seconds", help: "When the last sweep ran.")
            .set(sweep.at.timeIntervalSince1970)
        gauge(registry, "strata_sweep_applied", help: "1 when the last sweep applied its plan, 0 for a dry run.")
            .set(sweep.applied ? 1.0 : 0.0)
        let succeeded = sweep.failures == 0 && plan.blockedComponents.isEmpty
        gauge(registry, "strata_sweep_success", help: "1 when the last sweep had no failure and no guard block.")
            .set(succeeded ? 1.0 : 0.0)
        if sweep.applied {
            for (action, count) in [("transition", sweep.done.transitions), ("delete", sweep.done.deletes),
                                    ("abort", sweep.done.aborts), ("failed", sweep.failures)] {
                gauge(registry, "strata_sweep_actions", labels: [("action", action)],
                                   help: "Actions the last sweep carried out.").set(Double(count))
            }
        }
        return registry.emitToString()
    }

    /// What someone else may have written: future-dated sets, sets hidden by delete markers, and
    /// a delete-marker incident (docs/failure-modes.md, "A hostile bucket").
    private static func hostileContentGauges(_ registry: PrometheusCollectorRegistry, _ component: ComponentPlan, labels: [(String, String)]) {
        gauge(registry, "strata_future_dated_sets", labels: labels,
              help: "Sets dated more than future_tolerance after now: kept, counted for no rule.")
            .set(Double(component.sets.count { $0.reasons.contains { $0.kind == .future } }))
        for decision in [PlanSet.Decision.keep, .expire] {
            gauge(registry, "strata_hidden_sets", labels: labels + [("decision", decision.rawValue)],
                  help: "Sets hidden by delete markers (versioned buckets), by what the policy decides for them.")
                .set(Double(component.hiddenSets.count { $0.decision == decision }))
        }
        gauge(registry, "strata_delete_marker_incident", labels: labels,
              help: "1 when delete markers placed since the last sweep hide the newest set or more than max_delete_fraction of the sets.")
            .set(component.guards.contains { $0.kind == .deleteMarkerIncident } ? 1.0 : 0.0)
    }

    /// A gauge named exactly `name` (no namespace or unit added).
    private static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String,
                              labels: [(String, String)] = [], help: String) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }

    /// Writes `text` to `path` atomically (a temporary file in the same directory, then rename),
    /// so the collector never reads a half-written file. The temporary file has a random name
    /// and is created with `O_CREAT | O_EXCL | O_NOFOLLOW`: in a directory others can write, a
    /// planted file or symlink under a guessable name cannot redirect the write.
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StrataError(.failure, "\(path): cannot write the metrics file: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw StrataError(.failure, "\(path): cannot write the metrics file: \(error.localizedDescription)")
        }
        // rename(2) replaces the target atomically (a symlink at the target is replaced, not
        // followed); Foundation's replaceItemAt fails on Linux when the target exists.
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw StrataError(.failure, "\(path): cannot replace the metrics file: \(reason)")
        }
    }
}
