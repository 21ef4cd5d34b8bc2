import Foundation
import StrataTestSupport
import Testing

/// Output for people: colours only on a terminal (never with NO_COLOR, --json or a pipe), progress
/// bars on standard error only when it is a terminal, and colouring never moves a column.
/// A terminal is a real pseudo-terminal from util-linux `script`.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct TerminalOutputTests {
    static let now = "2026-11-25T12:00:00Z"
    static let escape = "\u{1B}["

    /// Runs `strata arguments` on a pseudo-terminal; stdout and stderr arrive merged, as on a screen.
    static func onTerminal(_ harness: CLIHarness, _ arguments: [String], extra: [String: String] = [:]) throws -> ProcessRunner.Output {
        let command = ([CLIHarness.binary] + arguments).map(Self.shellQuoted).joined(separator: " ")
        // Pinned, since the test runner's own environment may carry NO_COLOR or TERM=dumb; an empty
        // NO_COLOR counts as unset (https://no-color.org).
        let screen = ["TERM": "xterm", "NO_COLOR": ""]
        return try ProcessRunner(environment: harness.environment.merging(screen) { $1 }.merging(extra) { $1 })
            .run(["script", "-qec", command, "/dev/null"], stdin: Data())
    }

    static func shellQuoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `text` without ANSI escape sequences.
    static func stripped(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*[A-Za-z]", with: "", options: .regularExpression)
    }

    @Test func planIsColouredOnATerminalOnly() throws {
        try CommandEndToEndTests.withBucket { harness in
            let plan = ["sweep", "--force", "--now", Self.now]
            let terminal = try Self.onTerminal(harness, plan)
            #expect(terminal.status == 0, "\(terminal.stdoutText)")
            #expect(terminal.stdoutText.contains(Self.escape + "32mkeep"))

            let piped = try harness.strata(plan)
            #expect(piped.status == 0)
            #expect(!piped.stdoutText.contains(Self.escape))
            #expect(!piped.stderr.contains(Self.escape))

            let noColor = try Self.onTerminal(harness, plan, extra: ["NO_COLOR": "1"])
            #expect(!noColor.stdoutText.contains(Self.escape))

            let json = try harness.strata(["sweep", "--json", "--force", "--now", Self.now, "--color", "always"])
            #expect(!json.stdoutText.contains(Self.escape))
        }
    }

    /// Colours are added after padding, so the coloured table is the plain one plus escapes.
    @Test func colouringNeverMovesAColumn() throws {
        try CommandEndToEndTests.withBucket { harness in
            let coloured = try harness.strata(["sweep", "--all", "--force", "--now", Self.now, "--color", "always"])
            let plain = try harness.strata(["sweep", "--all", "--force", "--now", Self.now, "--color", "never"])
            #expect(coloured.stdoutText.contains(Self.escape))
            #expect(!plain.stdoutText.contains(Self.escape))
            #expect(Self.stripped(coloured.stdoutText) == plain.stdoutText)
        }
    }

    @Test func transfersDrawAProgressBarOnlyOnATerminal() throws {
        try CommandEndToEndTests.withBucket { harness in
            let data = (0..<(11 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let file = try CommandEndToEndTests.temporaryFile(data)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let target = "s3://\(harness.bucket)/misc/progress.bin"

            let terminal = try Self.onTerminal(harness, ["cp", "--part-size-mib", "5", file, target])
            #expect(terminal.status == 0, "\(terminal.stdoutText)")
            let screen = terminal.stdoutText
            #expect(screen.contains("\r" + Self.escape + "Kupload ["))
            #expect(screen.contains("] 100% 11.0/11.0 MiB"))
            // The bar's line is ended before the result line.
            #expect(screen.contains("\r\nupload: \(file) to \(target)") || screen.contains("\nupload: \(file) to \(target)"))

            let back = file + ".back"
            defer { try? FileManager.default.removeItem(atPath: back) }
            let piped = try harness.strata(["cp", target, back])
            #expect(piped.status == 0)
            #expect(!piped.stderr.contains("\r"))
            #expect(!piped.stderr.contains("download ["))
            #expect(piped.stdoutText.hasPrefix("download: \(target)"))
        }
    }

    @Test func errorsAreOneRedLineOnATerminalAndPlainInAPipe() throws {
        try CommandEndToEndTests.withBucket { harness in
            let missing = ["sweep", "--bucket", "strata-no-such-bucket-\(UInt32.random(in: 0...UInt32.max))"]
            let terminal = try Self.onTerminal(harness, missing)
            #expect(terminal.status == 1)
            #expect(terminal.stdoutText.contains("strata: " + Self.escape + "1;31merror:"))
            let piped = try harness.strata(missing)
            #expect(piped.status == 1)
            #expect(piped.stderr.hasPrefix("strata: error: "))
        }
    }
}
