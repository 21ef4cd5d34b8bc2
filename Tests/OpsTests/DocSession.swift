import Foundation
import StrataTestSupport

/// A reader's terminal for one doc: its shell commands run one after another in one working
/// directory, and what a command leaves in the shell (exported variables, aliases, the current
/// directory) is there for the next, as when a reader follows the doc top to bottom.
///
/// The working directory is a scratch copy of the checkout's layout: `tools`, `policies` and `docs`
/// link to the repository and `.build/debug/strata` to the binary under test (also `strata` on
/// `PATH`, as in the CronJobs' image), so the doc's relative paths work and nothing it writes
/// (`audit.csv`, retrieved files) lands in the repository.
final class DocSession {
    /// A doc word the test replaces before running a command (a bucket name, a production path).
    struct Substitution: Sendable {
        var doc: String
        var test: String
    }

    let sandbox: TempDir
    let substitutions: [Substitution]
    /// The doc words replaced so far.
    private(set) var used: Set<String> = []
    private let environment: [String: String]
    private let state: String

    /// A session talking to `servers`, with strata at `strataBinary`; `substitutions` gets the
    /// sandbox's path (to send the doc's absolute paths there).
    init(servers: TestServers, strataBinary: String, substitutions: (String) -> [Substitution]) throws {
        let sandbox = try TempDir("doc")
        self.sandbox = sandbox
        self.substitutions = substitutions(sandbox.path)
        let files = FileManager.default
        let root = RepositoryPaths.root
        for item in ["tools", "policies", "docs"] {
            try files.createSymbolicLink(atPath: sandbox.file(item), withDestinationPath: root.appendingPathComponent(item).path)
        }
        for dir in [".build/debug", "bin"] {
            try files.createDirectory(atPath: sandbox.file(dir), withIntermediateDirectories: true)
            try files.createSymbolicLink(atPath: sandbox.file("\(dir)/strata"), withDestinationPath: strataBinary)
        }
        let inherited = ProcessInfo.processInfo.environment
        environment = [
            "PATH": sandbox.file("bin") + ":" + (inherited["PATH"] ?? "/usr/bin:/bin"),
            "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey,
            "AWS_REGION": servers.region, "AWS_ENDPOINT_URL": servers.rgwEndpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            // tools/s3-server finds its run directory from its own path, which through the
            // `tools` link is this sandbox: point it at the servers the tests use.
            "STRATA_S3_DIR": inherited["STRATA_S3_DIR"] ?? root.appendingPathComponent(".s3-server").path,
        ]
        state = sandbox.file(".doc-shell-state")
        try Data("cd \(Self.quoted(sandbox.path))\n".utf8).write(to: URL(fileURLWithPath: state))
    }

    /// Runs one command as the doc shows it (after substitutions), in the shell state the
    /// commands before it left; at most `timeout` seconds.
    func run(_ command: DocCommand, timeout: Int = 300) throws -> ProcessRunner.Output {
        var code = command.text
        for substitution in substitutions.sorted(by: { $0.doc.count > $1.doc.count }) where code.contains(substitution.doc) {
            code = code.replacingOccurrences(of: substitution.doc, with: substitution.test)
            used.insert(substitution.doc)
        }
        let script = """
            # The test's own settings of these are not the reader's: the doc sets what it needs.
            unset STRATA_BUCKET STRATA_POLICIES STRATA_BIN STRATA_CONFIG
            shopt -s expand_aliases
            set -o pipefail
            source \(Self.quoted(state))
            \(code)
            __doc_status=$?
            { export -p; alias -p; printf 'cd %q\\n' "$PWD"; } > \(Self.quoted(state))
            exit $__doc_status

            """
        let file = sandbox.file(".doc-command.sh")
        try Data(script.utf8).write(to: URL(fileURLWithPath: file))
        return try ProcessRunner(environment: environment)
            .run(["timeout", "--kill-after=10", String(timeout), "bash", file], stdin: Data())
    }

    /// A path in the sandbox.
    func path(_ relative: String) -> String { sandbox.file(relative) }

    func remove() { sandbox.remove() }

    private static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
