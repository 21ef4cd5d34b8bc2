import ArgumentParser
import Foundation
import Retention
import StrataKit

/// `strata unlock`: shows who holds the sweep lease and removes it, for an operator releasing
/// the lease of a sweep that was killed (instead of waiting for it to expire).
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Show who holds the bucket's sweep lease (.strata/lock) and remove it.",
        discussion: """
            For a lease left by a killed sweep. A sweep still running under the removed lease stops \
            at its next check, before its next delete batch. With no lease held, says so and exits 0.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runReportingErrors {
            let settings = try connection.settings()
            try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger(), loadPolicies: false) { context in
                let location = "s3://\(context.bucket)/\(StrataPaths.lockKey)"
                let removed = try await SweepLease.remove(context: context)
                if output.json {
                    let report = Report(removed: removed != nil, lease: removed?.record,
                                        expired: removed?.record.map { $0.hasExpired(at: context.now()) })
                    emit(String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self))
                    return
                }
                guard let removed else {
                    emit("no sweep lease is held on \(location)")
                    return
                }
                emit("removed the sweep lease on \(location): \(Self.describe(removed.record, now: context.now()))")
            }
        }
    }

    /// What `--json` prints.
    struct Report: Encodable {
        /// Whether a lease object was there and removed.
        var removed: Bool
        /// Its record, when it held one Strata can read.
        var lease: SweepLease.Record?
        /// Whether it had expired when it was removed.
        var expired: Bool?
    }

    /// Holder, run, since, expiry and whether it had expired; or why the object is not a lease.
    static func describe(_ record: SweepLease.Record?, now: Date) -> String {
        guard let record else { return "it did not hold a lease record Strata can read" }
        let state = record.hasExpired(at: now)
            ? "expired: its sweep had stopped renewing it"
            : "live: a sweep running under it stops at its next check"
        // The record is read from the bucket: anyone who can write there can write it.
        return "held by \(shown: record.summary) (\(state))"
    }
}
