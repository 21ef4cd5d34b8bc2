import Foundation
import StrataTestSupport
import Testing

/// The commands the docs show are the commands that work (issue 7: "every command shown in the
/// docs is run by a test, so the docs cannot drift").
///
/// - Every shell block (`sh`, `bash`, `shell`, `console`) of README.md and docs/*.md runs, command
///   by command, in a reader's session against the local RGW with a fresh bucket, and must exit 0
///   (or the status its comment states, `# ... exit 3 ...`) and print the output a `console`
///   block shows. A block that cannot run here (a Kubernetes cluster, a database host, the whole
///   test suite) says so in its fence, ```` ```sh {not-run: reason} ````; there is no other way out.
/// - Every fenced block names its language, so a command cannot hide in an untyped block.
/// - Every `strata` and `tools/` invocation anywhere in the docs (blocks run or not, inline code,
///   synopses, headings) is accepted by the real binary and scripts: subcommands, flags, and the
///   environment variables handed to tools/backup's scripts (DocMentionChecker).
@Suite(.blocking) struct DocCommandTests {
    /// README.md and docs/*.md, relative to the repository root.
    static let docFiles: [String] = {
        let docs = RepositoryPaths.root.appendingPathComponent("docs").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs)) ?? []
        return ["README.md"] + names.filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
    }()

    static func doc(_ file: String) throws -> MarkdownDoc {
        try MarkdownDoc(file: file, text: String(contentsOf: RepositoryPaths.root.appendingPathComponent(file), encoding: .utf8))
    }

    static func docs() throws -> [MarkdownDoc] { try docFiles.map(doc) }

    /// The commands of a doc that run (its shell blocks not marked not-run).
    static func runnableCommands(_ doc: MarkdownDoc) -> [DocCommand] {
        doc.blocks.filter { $0.isShell && $0.notRun == nil }.flatMap(\.commands)
    }

    /// Doc words a reader types for their own setup, replaced by the test's: the bucket names, the
    /// runbook's production paths, and README's build step (the binary under test is built already:
    /// the doc's alias must find it where `swift build` puts it).
    static func substitutions(bucket: String, sandbox: String) -> [DocSession.Substitution] {
        [.init(doc: "my-bucket", test: bucket),
         .init(doc: "mind-backups-production", test: bucket),
         .init(doc: "/etc/strata/policies", test: RepositoryPaths.root.appendingPathComponent("policies").path),
         .init(doc: "/restore/", test: sandbox + "/restore/"),
         .init(doc: "swift build --product strata", test: "test -x .build/debug/strata")]
    }

    // MARK: what the docs contain

    @Test func docsAreFound() {
        #expect(Self.docFiles.contains("docs/runbook.md") && Self.docFiles.contains("docs/cli.md"))
    }

    /// An untyped fence could hold commands nobody runs; text that is not a command says `text`.
    @Test func everyFencedBlockNamesItsLanguage() throws {
        for doc in try Self.docs() {
            for block in doc.blocks {
                #expect(!block.language.isEmpty, "\(block.location): a code block without a language (sh, text, yaml, ...)")
            }
        }
    }

    /// The way out of running is explicit and says what is missing. strata itself always runs
    /// here (against the local servers), so a not-run block holds no strata command: a block
    /// mixing strata with commands that cannot run is split in two.
    @Test func shellBlocksRunUnlessTheySayWhyNot() throws {
        var run = 0, notRun = 0
        for doc in try Self.docs() {
            for block in doc.blocks where block.isShell {
                guard let reason = block.notRun else { run += 1; continue }
                notRun += 1
                #expect(reason.hasPrefix("needs ") || reason.split(separator: " ").count >= 6,
                        "\(block.location): say what it needs, or why it cannot run here")
                #expect(!block.commands.isEmpty, "\(block.location): a not-run block with no command")
                for command in block.commands {
                    #expect(DocMentionChecker.invocations(of: "strata", in: command.code, shell: true).isEmpty,
                            "\(command.location): strata commands run; split them from the block that cannot")
                }
            }
        }
        #expect(run >= notRun, "\(run) shell blocks run, \(notRun) do not")
    }

    /// Each substitution stands for a word a runnable command really contains (none is stale).
    @Test func everySubstitutionIsUsed() throws {
        let commands = try Self.docs().flatMap(Self.runnableCommands).map(\.text).joined(separator: "\n")
        for substitution in Self.substitutions(bucket: "b", sandbox: "/s") {
            #expect(commands.contains(substitution.doc), "no runnable doc command contains '\(substitution.doc)'")
        }
    }

    // MARK: every invocation exists, with its flags

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: OpsHarness.strataBinary) || TestServers.isCI,
                   "the strata binary is not built"))
    func everyInvocationShownIsAcceptedByTheBinaryAndTheScripts() throws {
        let placeholders = Set(Self.substitutions(bucket: "b", sandbox: "/s").map(\.doc))
        let checker = DocMentionChecker(strataBinary: OpsHarness.strataBinary, placeholders: placeholders)
        var problems: [String] = []
        var checked = 0
        for doc in try Self.docs() {
            for block in doc.blocks where block.isShell {
                for command in block.commands {
                    problems += checker.problems(in: command.code, at: command.location, shell: true)
                    checked += 1
                }
            }
            // Synopses: a `strata ...` line and the indented lines continuing it.
            for block in doc.blocks where block.language == "text" {
                var usages: [(line: Int, text: String)] = []
                for (offset, line) in block.lines.enumerated() {
                    if line.hasPrefix("strata ") { usages.append((block.line + 1 + offset, line)) }
                    else if line.hasPrefix(" "), !usages.isEmpty { usages[usages.count - 1].text += " " + line }
                    else { usages.append((0, "")) }
                }
                for usage in usages where !usage.text.isEmpty {
                    problems += checker.problems(in: usage.text, at: "\(doc.file):\(usage.line)", shell: false)
                    checked += 1
                }
            }
            for span in doc.spans {
                problems += checker.problems(in: span.text, at: span.location, shell: false)
                checked += 1
            }
        }
        #expect(checked > 150)
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
    }

    /// The check is not vacuous: each of these made-up doc lines is caught.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: OpsHarness.strataBinary) || TestServers.isCI,
                   "the strata binary is not built"),
          arguments: [
              ("strata sweep --bucket b --no-such-flag", "strata sweep has no option --no-such-flag"),
              ("strata sweeps --all", "no subcommand 'sweeps'"),
              ("strata lifecycle remove --component c", "no subcommand 'lifecycle remove'"),
              ("tools/backup/nats --bogus", "knows no option --bogus"),
              ("tools/backup/postgresql sync-all", "knows no subcommand 'sync-all'"),
              ("VAULT_TOKN_FILE=/t tools/backup/vault", "does not read VAULT_TOKN_FILE"),
              ("tools/s3-server restart", "knows no subcommand 'restart'"),
              ("tools/no-such-tool --x", "does not exist"),
              ("cat docs/no-such.md", "docs/no-such.md does not exist"),
          ])
    func aWrongInvocationIsCaught(_ line: String, _ problem: String) {
        let checker = DocMentionChecker(strataBinary: OpsHarness.strataBinary, placeholders: [])
        let problems = checker.problems(in: line, at: "x.md:1", shell: true)
        #expect(problems.contains { $0.hasSuffix(problem) }, "\(problems)")
    }

    /// docs/cli.md names options on their own (`--bucket`, `--json`): each is one strata has.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: OpsHarness.strataBinary) || TestServers.isCI,
                   "the strata binary is not built"))
    func everyOptionTheReferenceNamesExists() throws {
        let top = try ProcessRunner().run([OpsHarness.strataBinary, "--help"])
        #expect(top.status == 0)
        let subcommands = DocMentionChecker.subcommands(inHelp: top.stdoutText)
        #expect(subcommands.contains("sweep") && subcommands.contains("retrieve"))
        var accepted: Set<String> = []
        func collect(_ name: [String]) throws {
            let help = try ProcessRunner().run([OpsHarness.strataBinary] + name + ["--help"]).stdoutText
            accepted.formUnion(DocMentionChecker.optionFlags(inHelp: help))
            for nested in DocMentionChecker.subcommands(inHelp: help) { try collect(name + [nested]) }
        }
        for subcommand in subcommands { try collect([subcommand]) }
        for span in try Self.doc("docs/cli.md").spans where span.text.hasPrefix("--") {
            for flag in DocMentionChecker.flags(in: span.text) {
                #expect(accepted.contains(flag), "\(span.location): no strata subcommand has \(flag)")
            }
        }
    }

    // MARK: every shell block runs

    /// The seeded bucket's backups end here: the runbook's recovery examples ask for sets of
    /// 15 January 2025, which must still be kept (NATS keeps 3 days, FalkorDB 7).
    static let seedNow = "2025-01-16T00:00:00Z"
    /// The days whose sets get real-format contents for the runbook's `check` commands.
    static let realFormatDays = ["20250114", "20250115"]

    /// Each doc's shell blocks, in order, in one session against a fresh bucket. README.md creates
    /// and seeds its bucket itself; the runbook's is seeded as of `seedNow` and swept once, as the
    /// nightly sweep leaves a production bucket; other docs get an empty one.
    @Test(.enabled(if: TestServers.shouldRun, "the local S3 servers are not configured (tools/test starts them)"),
          // A bound on a hang only: it runs while the case waits for a blocking slot too.
          .timeLimit(.minutes(30)), arguments: DocCommandTests.docFiles)
    func shellBlocksRunAsShown(_ file: String) async throws {
        let doc = try Self.doc(file)
        let commands = Self.runnableCommands(doc)
        guard !commands.isEmpty else { return }
        let servers = try TestServers.require()
        try #require(FileManager.default.isExecutableFile(atPath: OpsHarness.strataBinary), "build strata first (STRATA_BIN)")
        // Blocking work runs off the cooperative pool; what failed comes back to be recorded here,
        // in the test's own context.
        let failures = try await offPool { () throws -> [String] in
            let harness = OpsHarness(servers: servers, bucket: TestServers.uniqueBucketName("doc-\(file.split(separator: "/").last!.prefix(8))"))
            defer { harness.destroy() }
            switch file {
            case "README.md": try Self.requireServersManagedByS3Server(servers)  // it makes its own bucket
            case "docs/runbook.md": try Self.seed(harness)
            default: try harness.createBucket()
            }
            let session = try DocSession(servers: servers, strataBinary: OpsHarness.strataBinary) {
                Self.substitutions(bucket: harness.bucket, sandbox: $0)
            }
            defer { session.remove() }
            for command in commands {
                let started = Date()
                let output = try session.run(command)
                let report = """
                    \(command)
                    exit \(output.status) after \(Int(Date().timeIntervalSince(started))) s, expected \(command.expectedStatus)
                    stderr: \(output.stderr.suffix(2000))
                    stdout: \(output.stdoutText.suffix(2000))
                    """
                // Later commands build on this one (a bucket, a download): stop at the first failure.
                if output.status != command.expectedStatus { return [report] }
                if !command.output.isEmpty, !command.outputMatches(output.stdoutText) {
                    return ["the doc shows other output:\n\(report)"]
                }
            }
            return []
        }
        for failure in failures { Issue.record("\(failure)") }
    }

    /// README starts from `tools/s3-server up`, which must find the servers these tests use
    /// running (it then only says so) rather than start others.
    static func requireServersManagedByS3Server(_ servers: TestServers) throws {
        let script = RepositoryPaths.root.appendingPathComponent("tools/s3-server").path
        let status = try ProcessRunner().run([script, "status"])
        let env = try ProcessRunner().run([script, "env"])
        guard status.status == 0, env.stdoutText.contains("STRATA_TEST_RGW_ENDPOINT=\(servers.rgwEndpoint)\n") else {
            throw OpsError("README's commands start with tools/s3-server up: run the tests with the servers tools/s3-server started (tools/test does; set STRATA_S3_DIR and the STRATA_*_PORT variables as for up). status: \(status.stdoutText)\(status.stderr)")
        }
    }

    /// A bucket as production has it after a night: `seedNow`'s backups (tools/seed-backups),
    /// the sets of `realFormatDays` in real formats, and one `strata sweep --apply` done.
    static func seed(_ harness: OpsHarness) throws {
        let runner = ProcessRunner(environment: harness.environment)
        let seed = try runner.run(["python3", RepositoryPaths.root.appendingPathComponent("tools/seed-backups").path,
                                   harness.bucket, "--create-bucket", "--now", seedNow, "--years", "0.2",
                                   "--endpoint", harness.servers.rgwEndpoint])
        guard seed.status == 0 else { throw OpsError("tools/seed-backups: \(seed.stderr)") }
        let real = try runner.run(["python3", OpsHarness.opsFixtures.appendingPathComponent("real_format_sets.py").path,
                                   harness.servers.rgwEndpoint, harness.bucket] + realFormatDays)
        guard real.status == 0 else { throw OpsError("real_format_sets.py: \(real.stderr)") }
        let sweep = try harness.strata(["sweep", "--apply", "--force", "--now", seedNow])
        guard sweep.status == 0 else { throw OpsError("the setup sweep: \(sweep.stderr)\n\(sweep.stdoutText.suffix(2000))") }
    }
}
