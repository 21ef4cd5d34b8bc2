import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit

/// `strata audit`: every retained backup object, why it is kept, until when, where, at what cost.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "List every retained set and object: reasons, projected expiry, class, restore state, cost.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("component"), help: "Only this component (repeatable).")
    var components: [String] = []

    @Option(help: "table, json or csv.")
    var format: Format = .table

    @Option(help: "Audit as of this time (ISO 8601). Default: now.")
    var now: String?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv

        /// The library's name for it.
        var writerFormat: AuditWriter.Format {
            switch self {
            case .table: .table
            case .json: .json
            case .csv: .csv
            }
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let instant = try now.map { try parseInstant($0, option: "--now") } ?? Date()
            try await StrataContext.with(settings: try connection.settings(), environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger()) { context in
                let options = PlanOptions(components: components.isEmpty ? nil : Set(components))
                var maker = PlanMaker(context: context, options: options)
                // An audit explains; a wrong passphrase must not hide the rest of the bucket from it.
                maker.documentFailure = .planWithout
                let format = output.json ? .json : format
                // Written as it is made: memory holds a batch of rows, not the bucket.
                try await AuditReport.writeStreamed(maker: maker, now: instant, format: format.writerFormat, sink: emitRaw)
            }
        }
    }
}
