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
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("component"), help: "Only this component (repeatable).")
        var components: [String] = []

        @Flag(help: "Render for a versioned bucket (expiring rules also remove noncurrent versions).")
        var versioned = false

        @Flag(name: .customLong("no-transitions"),
              help: "Leave tiers out (for servers without an archive tier, which refuse Transition); strata sweep moves the sets.")
        var noTransitions = false

        func run() async throws {
            try await runReportingErrors {
                let settings = try connection.settings()
                let compiler = LifecycleCompiler(policies: try PolicyDirectory.load(settings.policiesDirectory),
                                                 transitions: !noTransitions)
                let result = try compiler.compile(components: components.isEmpty ? nil : Set(components),
                                                  versioned: versioned)
                if output.json {
                    emit(String(decoding: try JSONCoding.encoder.encode(result.rendered), as: UTF8.self))
                } else {
                    emit(result.renderedXML)
                }
            }
        }
    }

    /// `strata lifecycle apply`.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Replace the bucket's lifecycle configuration with the rendered one.",
            discussion: """
                Prints the rule ids of the configuration it replaced (rules not named strata-* are removed too) \
                and of the one applied. A server that does not implement part of it (501) changes nothing: \
                the error names the element.
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .customLong("component"), help: "Only this component (repeatable); other components' rules are removed.")
        var components: [String] = []

        @Flag(name: .customLong("no-transitions"),
              help: "Leave tiers out (for servers without an archive tier, which refuse Transition); strata sweep moves the sets.")
        var noTransitions = false

        func run() async throws {
            try await runReportingErrors {
                let settings = try connection.settings()
                let environment = ProcessInfo.processInfo.environment
                try await StrataContext.with(settings: settings, environment: environment, logger: output.logger()) { context in
                    let compiler = LifecycleCompiler(policies: try context.requirePolicies(), transitions: !noTransitions)
                    let applied = try await compiler.apply(context: context,
                                                           components: components.isEmpty ? nil : Set(components))
                    if output.json {
                        emit(String(decoding: try JSONCoding.encoder.encode(applied), as: UTF8.self))
                        return
                    }
                    if applied.replacedRules.isEmpty {
                        emit("replaced: there was no lifecycle configuration on \(shown: applied.bucket)")
                    } else {
                        emit("replaced \(applied.replacedRules.count) rules on \(shown: applied.bucket): \(shown: applied.replacedRules.joined(separator: ", "))")
                        for rule in applied.removedForeignRules {
                            emit("  note: \(shown: rule) was not Strata's and is removed")
                        }
                    }
                    for note in applied.notes { emit("\(note.rule): \(note.text)") }
                    emit("applied \(applied.appliedRules.count) rules: \(applied.appliedRules.joined(separator: ", "))")
                }
            }
        }
    }
}
