import Foundation
import Prometheus
import Retention

/// Prometheus metrics about the backups and the last sweep, in the text exposition format for
/// node_exporter's textfile collector. Names match the runbook's alerts
/// (`backup_last_success_timestamp_seconds`, `backup_size_bytes`); the rest are Strata's own.
public enum MetricsTextfile {
    /// Renders the metrics of `plan` (and of `outcome`, when the sweep applied it).
    public static func render(plan: Plan, outcome: SweepOutcome?, sweptAt: Date) -> String {
        let registry = PrometheusCollectorRegistry()
        for component in plan.components {
            let name = [("component", component.component)]
            if let newest = component.sets.max(by: { $0.time < $1.time }) {
                registry.makeGauge(name: "backup_last_success_timestamp_seconds", labels: name,
                                   help: "Time of the newest backup set of the component.")
                    .set(newest.time.timeIntervalSince1970)
                registry.makeGauge(name: "backup_size_bytes", labels: name,
                                   help: "Bytes of the newest backup set of the component.")
                    .set(Double(newest.bytes))
            }
            registry.makeGauge(name: "strata_sets", labels: name, help: "Backup sets found for the component.")
                .set(Double(component.sets.count))
            registry.makeGauge(name: "strata_sets_expiring", labels: name, help: "Sets the plan expires.")
                .set(Double(component.sets.filter { $0.decision == .expire }.count))
            registry.makeGauge(name: "strata_unrecognized_objects", labels: name,
                               help: "Objects under the prefix that match no layout (never touched).")
                .set(Double(component.unrecognizedKeys.count))
            for total in component.totals.byClass {
                let labels = name + [("storage_class", total.storageClass.rawValue)]
                registry.makeGauge(name: "strata_objects", labels: labels, help: "Objects per storage class.")
                    .set(Double(total.objects))
                registry.makeGauge(name: "strata_bytes", labels: labels, help: "Bytes per storage class.")
                    .set(Double(total.bytes))
            }
            registry.makeGauge(name: "strata_component_stale", labels: name,
                               help: "1 when the newest set is older than twice expect_every.")
                .set(component.guards.contains { $0.kind == .stale } ? 1.0 : 0.0)
            registry.makeGauge(name: "strata_sweep_blocked", labels: name,
                               help: "1 when a guard blocked the component's deletions.")
                .set(component.guards.contains { $0.blocking } ? 1.0 : 0.0)
            registry.makeGauge(name: "strata_monthly_cost_dollars", labels: name,
                               help: "Estimated monthly storage cost at list prices.")
                .set(component.cost.monthlyBefore)
        }
        registry.makeGauge(name: "strata_sweep_last_run_timestamp_seconds", help: "When the last sweep ran.")
            .set(sweptAt.timeIntervalSince1970)
        registry.makeGauge(name: "strata_sweep_applied", help: "1 when the last sweep applied its plan, 0 for a dry run.")
            .set(outcome == nil ? 0.0 : 1.0)
        let succeeded = (outcome?.failures.isEmpty ?? true) && plan.blockedComponents.isEmpty
        registry.makeGauge(name: "strata_sweep_success", help: "1 when the last sweep had no failure and no guard block.")
            .set(succeeded ? 1.0 : 0.0)
        if let outcome {
            for (action, count) in [("transition", outcome.done.transitions), ("delete", outcome.done.deletes),
                                    ("abort", outcome.done.aborts), ("failed", outcome.failures.count)] {
                registry.makeGauge(name: "strata_sweep_actions", labels: [("action", action)],
                                   help: "Actions the last sweep carried out.").set(Double(count))
            }
        }
        return registry.emitToString()
    }

    /// Writes `text` to `path` atomically (a temporary file in the same directory, then rename),
    /// so the collector never reads a half-written file.
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
            if FileManager.default.fileExists(atPath: path) {
                _ = try FileManager.default.replaceItemAt(url, withItemAt: temporary)
            } else {
                try FileManager.default.moveItem(at: temporary, to: url)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw StrataError(.failure, "\(path): cannot write the metrics file: \(error.localizedDescription)")
        }
    }
}
