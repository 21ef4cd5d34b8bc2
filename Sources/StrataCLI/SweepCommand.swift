import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit

/// `strata sweep`: plan (and with `--apply`, carry out) transitions and deletions.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Plan retention and tiering for the bucket; with --apply, carry the plan out.",
        discussion: """
            Without --apply nothing changes: the plan is printed (a table, or --json). With --apply \
            the sweep takes the bucket's lease (.strata/lock, renewed while it runs), journals the plan under .strata/journal/, moves objects \
            to colder classes, re-lists and deletes only what a fresh plan still expires, and aborts \
            stale uploads. Exit codes: 0 ok, 1 failure, 2 usage/config, 3 blocked by a guard, 4 lease held by another sweep, \
            5 an outside lifecycle rule blocked a component.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("component"), help: "Only this component (repeatable).")
    var components: [String] = []

    @Option(help: "Plan as of this time (ISO 8601), for reproducible runs. Default: now.")
    var now: String?

    @Flag(help: "Carry the plan out. Without it, nothing changes.")
    var apply = false

    @Flag(help: "Delete even when a guard (max_delete_fraction) blocks a component.")
    var force = false

    @Flag(name: .customLong("bypass-governance"),
          help: "Let sets the policy expires go although a GOVERNANCE object lock still holds them (needs s3:BypassGovernanceRetention). COMPLIANCE locks and legal holds always block.")
    var bypassGovernance = false

    @Option(help: "Write the journal to this local directory instead of the bucket's .strata/journal/.")
    var journal: String?

    @Option(name: .customLong("lock-ttl"),
            help: ArgumentHelp("Lifetime in seconds of the sweep's lease (.strata/lock), renewed every third of it while the sweep runs.",
                               discussion: "A lease left by a killed sweep may be taken over once it has expired (or removed at once with strata unlock)."))
    var lockTTL: Int = 180

    @Flag(help: "List every set in the table (default: the 12 newest per component).")
    var all = false

    @OptionGroup var report: InventoryReportOptions

    @Option(name: .customLong("multipart-copy-threshold"),
            help: "Transitions of objects larger than this many bytes use a multipart copy (default 5 GiB, S3's CopyObject limit).")
    var multipartCopyThreshold: Int64?

    @Option(name: .customLong("copy-part-size"), help: "Part size in bytes of multipart copies (default 512 MiB, at least 5 MiB).")
    var copyPartSize: Int64?

    @Option(name: .customLong("metrics-textfile"), help: "Also write Prometheus metrics to this file (atomically).")
    var metricsTextfile: String?

    func run() async throws {
        try await runReportingErrors {
            let settings = try connection.settings()
            let logger = output.logger()
            guard lockTTL >= 1 else {
                throw StrataError(.configuration, "--lock-ttl \(lockTTL): expected at least 1 second")
            }
            let instant = try now.map { try parseInstant($0, option: "--now") } ?? Date()
            let options = PlanOptions(force: force, components: components.isEmpty ? nil : Set(components),
                                      bypassGovernance: bypassGovernance)
            let environment = ProcessInfo.processInfo.environment
            var transfer = TransferConfiguration()
            if let multipartCopyThreshold {
                guard multipartCopyThreshold >= 5 << 20 else {
                    throw StrataError(.configuration, "--multipart-copy-threshold \(multipartCopyThreshold): expected at least 5242880 (5 MiB)")
                }
                transfer.multipartCopyThreshold = min(multipartCopyThreshold, 5 << 30)
            }
            if let copyPartSize {
                guard copyPartSize >= 5 << 20, copyPartSize <= 5 << 30 else {
                    throw StrataError(.configuration, "--copy-part-size \(copyPartSize): expected 5242880 (5 MiB) to 5368709120 (5 GiB)")
                }
                transfer.copyPartSize = copyPartSize
            }
            try await StrataContext.with(settings: settings, environment: environment, logger: logger, transfer: transfer) { context in
                var sweep = Sweep(context: context, options: options, now: instant,
                                  journal: journal.map { .directory($0) } ?? .bucket,
                                  lockTTL: TimeInterval(lockTTL))
                if let source = try report.source() { sweep.source = source }
                guard apply else {
                    try emitDryRun(try await sweep.streamedDryRun(), context: context)
                    return
                }
                // Planned and applied in memory that grows with the sets, not the objects.
                let result = try await sweep.streamedApply()
                if output.json, let checked = result.streamed {
                    try checked.writeJSON { chunk in try? FileHandle.standardOutput.write(contentsOf: chunk) }
                    emitRaw("\n")
                } else if output.json {
                    Self.emitJSON(result.plan)
                } else {
                    emit(PlanTable.render(result.plan, maxSetsPerComponent: all ? nil : 12, style: output.terminal.planStyle))
                    if let outcome = result.outcome {
                        emit(Self.appliedLine(outcome.done))
                        for failure in outcome.failures { emit("failed: \(shown: failure)") }
                    }
                }
                if let metricsTextfile {
                    let summary = MetricsTextfile.SweepSummary(
                        at: context.now(), applied: result.outcome != nil, done: result.outcome?.done ?? .init(),
                        failures: result.outcome?.failures.count ?? 0)
                    try MetricsTextfile.write(MetricsTextfile.render(plan: result.plan, sweep: summary), to: metricsTextfile)
                }
                if let outcome = result.outcome, !outcome.failures.isEmpty {
                    throw StrataError(.failure, "\(outcome.failures.count) actions failed (see above and the journal)")
                }
                if !result.plan.blockedComponents.isEmpty {
                    throw Self.blockedError(result.plan.blockedComponents)
                }
            }
        }
    }

    /// Prints a dry run the streaming planner made, as a plan made in memory prints: the JSON
    /// (streamed from the spool) or the table; writes the metrics; exits 3 when a guard blocks.
    private func emitDryRun(_ streamed: StreamedPlan, context: StrataContext) throws {
        let plan = streamed.summary
        if output.json {
            try streamed.writeJSON { chunk in try? FileHandle.standardOutput.write(contentsOf: chunk) }
            emitRaw("\n")
        } else {
            emit(PlanTable.render(plan, maxSetsPerComponent: all ? nil : 12, style: output.terminal.planStyle))
            emit("dry run: nothing changed (use --apply to carry out \(streamed.actionCount) actions)")
        }
        if let metricsTextfile {
            let summary = MetricsTextfile.SweepSummary(at: context.now(), applied: false, done: .init(), failures: 0)
            try MetricsTextfile.write(MetricsTextfile.render(plan: plan, sweep: summary), to: metricsTextfile)
        }
        if !plan.blockedComponents.isEmpty {
            throw Self.blockedError(plan.blockedComponents)
        }
    }

    /// Writes the plan's compact JSON and a newline to standard output as the writer makes it, a
    /// chunk at a time: a plan of a million actions is about a hundred megabytes, which building
    /// as `Data`, then a `String`, then `Data` again to print held three times over. A reader that
    /// went away (EPIPE) is ignored, as ``emitRaw(_:)`` does.
    /// The line after an applying sweep: what was done, and what was planned but not done and why.
    static func appliedLine(_ done: SweepJournal.Counts) -> String {
        var skippedTransitions: [String] = []
        if done.transitionsAlreadyThere > 0 { skippedTransitions.append("\(done.transitionsAlreadyThere) already in the target class") }
        if done.transitionsGone > 0 { skippedTransitions.append("\(done.transitionsGone) gone") }
        let transitions = "\(done.transitions) transitions"
            + (skippedTransitions.isEmpty ? "" : " (skipped: \(skippedTransitions.joined(separator: ", ")))")
        let housekeeping = done.strataVersionsRemoved > 0
            ? ", \(done.strataVersionsRemoved) old versions of Strata's own files removed" : ""
        return "applied: \(transitions), \(done.deletes) deletions, \(done.aborts) aborted uploads, \(done.markersRemoved) delete markers removed, \(done.skipped) deletions skipped (no longer planned)\(housekeeping)"
    }

    static func emitJSON(_ plan: Plan) {
        plan.writeJSON { chunk in try? FileHandle.standardOutput.write(contentsOf: chunk) }
        emitRaw("\n")
    }

    /// The error a blocked sweep ends with: exit 5 when an outside lifecycle rule blocked a
    /// component (the operator has a rule to change, not a plan to check), else exit 3.
    static func blockedError(_ blocked: [GuardFinding]) -> StrataError {
        let kind: StrataError.Kind = blocked.contains { $0.kind == .outsideLifecycleRule } ? .outsideLifecycleRule : .blockedByGuard
        return StrataError(kind, blockedMessage(blocked))
    }

    /// The exit-3 (or 5) line: which guard blocked which component, and what the operator does
    /// next. `--force` lifts only `max_delete_fraction`.
    static func blockedMessage(_ blocked: [GuardFinding]) -> String {
        let byKind = Dictionary(grouping: blocked, by: \.kind)
        var parts: [String] = []
        if let fraction = byKind[.deleteFractionExceeded] {
            parts.append("deletions blocked by max_delete_fraction for \(Set(fraction.map(\.component)).sorted().joined(separator: ", ")) (see GUARD lines above); check the plan, then rerun with --force")
        }
        if let incident = byKind[.deleteMarkerIncident] {
            parts.append("delete-marker incident for \(Set(incident.map(\.component)).sorted().joined(separator: ", ")): nothing of it was deleted; see strata undelete (--force does not lift this)")
        }
        if let rules = byKind[.outsideLifecycleRule] {
            parts.append("lifecycle rules Strata did not write act on \(Set(rules.map(\.component)).sorted().joined(separator: ", ")) otherwise than the policies: no deletions there (see GUARD lines above; --force does not lift this)")
        }
        let others = blocked.filter { ![.deleteFractionExceeded, .deleteMarkerIncident, .outsideLifecycleRule].contains($0.kind) }
        if !others.isEmpty {
            parts.append(others.map { "\($0.kind.rawValue) for \($0.component)" }.sorted().joined(separator: ", ") + " (see GUARD lines above)")
        }
        return parts.joined(separator: "; ")
    }
}
