import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit

/// `strata lifecycle render|apply`: the age-only parts of the policies as a bucket lifecycle configuration.
struct LifecycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle",
        abstract: "Render or apply the bucket lifecycle rules S3 can carry out by itself.",
        discussion: """
            One rule per component (id strata-<component>, filtered by its prefix): abort incomplete \
            uploads after abort_incomplete_after, transitions from tiers (not for pgBackRest), and \
            expiration only when the retention is purely keep_within with anchor: now and \
            keep_tagged: false. Everything else (keep_last, calendar rules, anchor: newest, holds, \
            pgBackRest chains) stays with strata sweep; the rendered XML says why in comments.
            """,
        subcommands: [Render.self, Apply.self])

    /// `strata lifecycle render`.
    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render", abstract: "Print the lifecycle configuration XML (nothing is sent to S3).")

        @OptionGroup var connection: ConnectionOptions

        @Option(name: .customLong("component"), help: "Only this component (repeatable).")
        var components: [String] = []

        @Flag(help: "Render for a versioned bucket (expiring rules also remove noncurrent versions).")
        var versioned = false

        func run() async throws {
            try await runReportingErrors {
                let settings = try connection.settings()
                let compiler = LifecycleCompiler(policies: try PolicyDirectory.load(settings.policiesDirectory))
                let result = try compiler.compile(components: components.isEmpty ? nil : Set(components),
                                                  versioned: versioned)
                emit(result.renderedXML)
            }
        }
    }

    /// `strata lifecycle apply`.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Replace the bucket's lifecycle configuration with the rendered one.",
            discussion: "Prints the rule ids of the configuration being replaced first. Rules not named strata-* are removed too.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("component"), help: "Only this component (repeatable); other components' rules are removed.")
        var components: [String] = []

        func run() async throws {
            try await runReportingErrors {
                let settings = try connection.settings()
                let environment = ProcessInfo.processInfo.environment
                try await StrataContext.with(settings: settings, environment: environment, logger: output.logger()) { context in
                    let compiler = LifecycleCompiler(policies: try context.requirePolicies())
                    let (_, applied) = try await compiler.apply(context: context,
                                                                components: components.isEmpty ? nil : Set(components)) { previous in
                        guard let previous, !previous.rules.isEmpty else {
                            emit("replacing: no lifecycle configuration on \(context.bucket)")
                            return
                        }
                        emit("replacing \(previous.rules.count) rules on \(context.bucket): \(shown: previous.rules.map(\.id).joined(separator: ", "))")
                        for rule in previous.rules where !rule.id.hasPrefix("strata-") {
                            emit("  note: \(shown: rule.id) is not Strata's and will be removed")
                        }
                    }
                    for note in applied.notes { emit("\(note.ruleID): \(note.text)") }
                    emit("applied \(applied.configuration.rules.count) rules: \(applied.configuration.rules.map(\.id).joined(separator: ", "))")
                }
            }
        }
    }
}
