import ArgumentParser
import Foundation
import Retention
import StrataKit

/// `strata lint [DIR]`: validates the policies and reports cost and tiering findings.
struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check policies: syntax and semantics (file:line:column), then cost and tiering findings.",
        discussion: """
            Exit code 2 when a policy is invalid or a finding is an error; warnings and info exit 0. \
            With --bucket on the command line, the bucket's lifecycle rules that Strata did not write are \
            checked against the policies too, as the sweep checks them.
            """)

    @Argument(help: "Policy directory (default: --policies, strata.yaml, or ./policies).")
    var directory: String?

    @Option(help: "A pricing YAML overriding the built-in us-east-1 list prices.")
    var pricing: String?

    /// With `--inventory`, what someone else wrote is checked too: future-dated sets, sets
    /// hidden by delete markers.
    @OptionGroup var report: InventoryReportOptions

    @Flag(name: .customLong("list-bucket"),
          help: "Check what the bucket holds, listing it as sweep does (--inventory reads a report instead).")
    var listBucket = false

    @Option(help: "With --inventory or --list-bucket: check as of this time (ISO 8601). Default: now.")
    var now: String?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runReportingErrors {
            let settings = try connection.settings()
            let policies = try PolicyDirectory.load(directory ?? settings.policiesDirectory)
            var table = PricingTable.usEast1
            if let pricing {
                guard let data = FileManager.default.contents(atPath: pricing) else {
                    throw StrataError(.configuration, "\(pricing): cannot read the pricing file")
                }
                do {
                    table = try PricingTable.load(yaml: String(decoding: data, as: UTF8.self), path: pricing)
                } catch let error as PolicyErrors {
                    throw StrataError(.configuration, error.description)
                }
            }
            let lint = Lint(policies: policies, pricing: table)
            let instant = try now.map { try parseInstant($0, option: "--now") } ?? Date()
            var findings: [LintFinding]
            switch try await bucketContents(settings: settings, lint: lint, now: instant) {
            case nil: findings = lint.run()
            case let (tally, plan)?: findings = lint.run(tally: tally, plan: plan)
            }
            // Only a bucket named here: lint without one stays offline (a policy repository's CI).
            if connection.bucket != nil { findings += try await lifecycleFindings(settings: settings, lint: lint) }
            if output.json {
                emit(String(decoding: try JSONCoding.encoder.encode(findings), as: UTF8.self))
            } else {
                emit("\(policies.policies.count) policies valid: \(policies.policies.map(\.component).joined(separator: ", "))")
                for finding in findings { emit(TerminalText.escaped(finding.description)) }
            }
            if findings.contains(where: { $0.severity == .error }) {
                throw StrataError(.configuration, "lint found errors")
            }
        }
    }

    /// The bucket's lifecycle rules Strata did not write, weighed against the policies lint checks.
    private func lifecycleFindings(settings: StrataSettings, lint: Lint) async throws -> [LintFinding] {
        try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                     logger: output.logger(), loadPolicies: false) { connection in
            let context = StrataContext(client: connection.client, bucket: connection.bucket, policies: lint.policies,
                                        logger: connection.logger, now: connection.now, environment: connection.environment)
            return lint.lifecycleFindings(rules: try await LifecycleCompiler(policies: lint.policies).outsideRules(context: context))
        }
    }

    /// The bucket's objects (the `--inventory` report's, or a listing with `--list-bucket`),
    /// counted, and its plan, as `lint` needs them; `nil` without either option.
    private func bucketContents(settings: StrataSettings, lint: Lint, now: Date) async throws -> (tally: Lint.BucketTally, plan: Plan)? {
        let reportSource = try report.source()
        if reportSource != nil && listBucket {
            throw StrataError(.configuration, "--inventory and --list-bucket both say where the bucket's contents come from, expected one")
        }
        guard let source = reportSource ?? (listBucket ? .listing : nil) else { return nil }
        return try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                            logger: output.logger(), loadPolicies: false) { connection in
            // The policies lint checks (its DIR argument), not the settings' directory.
            let context = StrataContext(client: connection.client, bucket: connection.bucket, policies: lint.policies,
                                        logger: connection.logger, now: connection.now, environment: connection.environment)
            var maker = PlanMaker(context: context, pricing: lint.pricing)
            maker.source = source
            // Counted and planned as it is read, in memory that grows with the sets.
            return try await maker.lintFacts(Lint.BucketTally(lint: lint), now: now)
        }
    }
}
