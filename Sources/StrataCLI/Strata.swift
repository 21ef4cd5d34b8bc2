import ArgumentParser
import Foundation
import Retention
import StrataKit

/// The `strata` command: storage tiering and retention for backups kept in S3.
@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Storage tiering and retention for backups kept in S3.",
        discussion: """
            Strata reconciles a bucket's inventory against one retention policy per \
            component (policies/*.yaml) and plans, explains and applies transitions \
            and deletions. See docs/cli.md.
            """,
        version: StrataVersion.current,
        subcommands: [SweepCommand.self, LintCommand.self, AuditCommand.self, UploadCommand.self, MetricsCommand.self, LsCommand.self, CpCommand.self, PresignCommand.self, RetrieveCommand.self, VerifyCommand.self, LifecycleCommand.self, UnlockCommand.self, UndeleteCommand.self]
    )

    /// Parses and runs the chosen subcommand. Usage errors exit 2, as docs/cli.md documents,
    /// rather than ArgumentParser's default 64 (`EX_USAGE`), so that cron wrappers and alerts
    /// see one code for every kind of bad usage or configuration.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code == .validationFailure else { exit(withError: error) }
            // The message quotes the command line, which may hold anything.
            try? FileHandle.standardError.write(contentsOf: Data((TerminalText.escapedLines(fullMessage(for: error)) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
