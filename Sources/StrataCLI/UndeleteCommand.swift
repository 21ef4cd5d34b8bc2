import ArgumentParser
import Foundation
import Retention
import StrataKit

/// `strata undelete`: list (and with `--apply`, remove) the delete markers hiding sets the policy keeps.
struct UndeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undelete",
        abstract: "List the delete markers hiding backups the policy keeps; with --apply, remove them.",
        discussion: """
            For a versioned bucket: every delete marker over the newest data of a key of a set the \
            policy keeps, per set, with its version id and when it was placed. Markers over sets the \
            policy does not keep are left and counted. With --apply the bucket's lock is taken, the \
            bucket re-listed, and exactly those markers removed (DeleteObjects naming each marker's \
            version), so the backups are current again. Only delete markers are ever deleted. \
            Exit codes: 0 ok, 1 failure, 2 usage/config, 4 lock held.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The component whose backups are restored.")
    var component: String

    @Option(help: "Only markers placed at or after this time (ISO 8601).")
    var since: String?

    @Option(help: "Evaluate the policy as of this time (ISO 8601). Default: now.")
    var now: String?

    @Flag(help: "Remove the markers. Without it, nothing changes.")
    var apply = false

    @Option(name: .customLong("lock-ttl"), help: "Lifetime in seconds of the sweep lease undelete --apply holds (renewed while it runs); a dead holder's lease may be taken over after it.")
    var lockTTL: Int = 180

    func run() async throws {
        try await runReportingErrors {
            let settings = try connection.settings()
            let instant = try now.map { try parseInstant($0, option: "--now") } ?? Date()
            let from = try since.map { try parseInstant($0, option: "--since") }
            try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger()) { context in
                var undeleter = Undeleter(context: context, component: component, now: instant, since: from)
                undeleter.lockTTL = TimeInterval(lockTTL)
                let report = apply ? try await undeleter.apply() : try await undeleter.survey()
                if output.json {
                    emit(String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self))
                } else {
                    emit(Self.render(report, bucket: context.bucket))
                }
                if let failures = report.outcome?.failures, !failures.isEmpty {
                    throw StrataError(.failure, "\(failures.count) delete markers could not be removed (see above)")
                }
            }
        }
    }

    /// The report as an operator reads it: markers per set, what was left, one summary line.
    static func render(_ report: UndeleteReport, bucket: String) -> String {
        guard report.versioned else {
            return "s3://\(bucket) is not versioned: there are no delete markers; nothing to do"
        }
        var lines: [String] = []
        let byID = Dictionary(grouping: report.toRemove, by: { $0.setID ?? "" })
        for set in report.sets {
            lines.append("set \(shown: set.id) (\(set.extent == .whole ? "hidden" : "partly hidden"); kept: \(shown: set.reasons.joined(separator: ", ")))")
            for marker in byID[set.id] ?? [] {
                lines.append("  \(shown: marker.key)  marker \(shown: marker.versionID)  placed \(JSONCoding.timestamp(marker.placedAt))")
            }
        }
        lines += leftLines(report)
        lines.append(summary(report))
        return lines.joined(separator: "\n")
    }

    private static func leftLines(_ report: UndeleteReport) -> [String] {
        let left = report.left
        var lines: [String] = []
        if let count = left[.setNotKept] {
            let sets = Set(report.markers.filter { $0.verdict == .setNotKept }.compactMap(\.setID)).count
            lines.append("left \(count) delete markers over \(sets) sets the policy does not keep (restoring them would bring back backups a sweep may delete)")
        }
        if let count = left[.beforeSince] {
            lines.append("left \(count) delete markers over kept sets placed before --since")
        }
        if let count = left[.notInSet] {
            lines.append("left \(count) delete markers over keys that belong to no backup set")
        }
        return lines
    }

    private static func summary(_ report: UndeleteReport) -> String {
        let markers = report.toRemove.count
        guard let outcome = report.outcome else {
            let head = "\(markers) delete markers hide \(report.sets.count) kept sets"
            return markers == 0 ? "\(head); nothing to do" : "\(head); dry run: nothing changed (use --apply)"
        }
        var lines = outcome.skipped.map { "skipped \(shown: $0.marker.key) version \(shown: $0.marker.versionID): \($0.reason == .gone ? "no longer listed" : "not a delete marker (never deleted)")" }
        lines += outcome.failures.map { "failed: \(shown: $0)" }
        let sets = outcome.restoredSets
        lines.append("restored \(sets.count) sets: \(shown: sets.isEmpty ? "none" : sets.joined(separator: ", ")) (\(outcome.removed.count) delete markers removed)")
        return lines.joined(separator: "\n")
    }
}
