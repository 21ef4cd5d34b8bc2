import ArgumentParser
import Foundation
import Retention
import StrataKit

/// `strata metrics`: Prometheus metrics of the backups and the last sweep.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print (or write atomically, for node_exporter's textfile collector) Prometheus metrics of the backups.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Write to this file atomically instead of printing.")
    var textfile: String?

    func run() async throws {
        try await runReportingErrors {
            guard !output.json else {
                throw StrataError(.configuration, "metrics prints the Prometheus text format; --json does not apply (strata audit --format json has the same facts)")
            }
            try await StrataContext.with(settings: try connection.settings(), environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger()) { context in
                var maker = PlanMaker(context: context)
                // Every component's freshness must still reach the alerts; the component whose
                // backup.info does not decrypt reports its WAL as unchecked.
                maker.documentFailure = .planWithout
                // Every 15 minutes in a 512 MiB pod: planned in memory that grows with the sets.
                let plan = try await maker.makeSummary(now: context.now())
                let last = try await SweepJournal(context: context, location: .bucket).latest()
                let text = MetricsTextfile.render(plan: plan, sweep: last.map(MetricsTextfile.SweepSummary.init))
                if let textfile { try MetricsTextfile.write(text, to: textfile) } else { emit(text) }
            }
        }
    }
}
