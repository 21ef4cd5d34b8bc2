import ArgumentParser
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
        subcommands: [SweepCommand.self, LintCommand.self, AuditCommand.self, UploadCommand.self, MetricsCommand.self, LsCommand.self, CpCommand.self, PresignCommand.self, RetrieveCommand.self, VerifyCommand.self, LifecycleCommand.self]
    )
}
