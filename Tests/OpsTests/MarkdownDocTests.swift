import Foundation
import Testing

/// How the doc test reads Markdown (MarkdownDoc, DocCommand, DocMentionChecker's parsing): what
/// counts as a command, a marker, a stated exit status or output. No servers, no binary.
@Suite struct MarkdownDocTests {
    static let sample = """
        Intro with `strata sweep --all` and a span `tools/backup/nats
        check` wrapped over two lines.

        ```sh
        strata lint            # exit 2 when a policy is wrong
        strata retrieve --component vault \\
            --at 2025-01-15T12:00:00Z   # the set of that morning

        # a comment line is no command
        ```

        ```sh {not-run: needs a Kubernetes cluster}
        kubectl get pods
        ```

        ```console
        $ strata lint
        ok: 6 policies
        ...
        done
        ```

        ```text
        strata <subcommand> [options]
        ```
        """

    @Test func blocksKeepTheirLanguageLineAndMarker() throws {
        let doc = try MarkdownDoc(file: "x.md", text: Self.sample)
        #expect(doc.blocks.map(\.language) == ["sh", "sh", "console", "text"])
        #expect(doc.blocks.map(\.line) == [4, 12, 16, 23])
        #expect(doc.blocks.map(\.notRun) == [nil, "needs a Kubernetes cluster", nil, nil])
        #expect(doc.blocks.map(\.isShell) == [true, true, true, false])
    }

    @Test func commandsJoinContinuationsAndSkipComments() throws {
        let commands = try MarkdownDoc(file: "x.md", text: Self.sample).blocks[0].commands
        #expect(commands.map(\.line) == [5, 6])
        #expect(commands[1].text == "strata retrieve --component vault \\\n    --at 2025-01-15T12:00:00Z   # the set of that morning")
        #expect(commands[1].code.trimmingCharacters(in: .whitespaces) == "strata retrieve --component vault \\\n    --at 2025-01-15T12:00:00Z")
    }

    @Test func aTrailingCommentStatesTheExitStatus() throws {
        let commands = try MarkdownDoc(file: "x.md", text: Self.sample).blocks[0].commands
        #expect(commands.map(\.expectedStatus) == [2, 0])
        // A '#' inside quotes is no comment.
        let quoted = DocCommand(file: "x.md", line: 1, text: "echo '# exit 5' \"#exit 6\"")
        #expect(quoted.expectedStatus == 0 && quoted.comment.isEmpty)
    }

    @Test func consoleBlocksStateOutput() throws {
        let command = try #require(try MarkdownDoc(file: "x.md", text: Self.sample).blocks[2].commands.first)
        #expect(command.text == "strata lint")
        #expect(command.outputMatches("ok: 6 policies\nwarning: a\nwarning: b\ndone\n"))
        #expect(command.outputMatches("ok: 6 policies   \n\ndone"))
        #expect(!command.outputMatches("ok: 5 policies\ndone"))
        #expect(!command.outputMatches("ok: 6 policies\ndone\nmore"))
    }

    @Test func spansMayWrapButNeverCrossParagraphs() throws {
        let spans = try MarkdownDoc(file: "x.md", text: Self.sample).spans
        #expect(spans.map(\.text) == ["strata sweep --all", "tools/backup/nats check"])
        #expect(spans.map(\.line) == [1, 1])
        // The first backtick has no partner in its paragraph; the next paragraph pairs its own.
        let unclosed = try MarkdownDoc(file: "x.md", text: "a `b\n\nc` d `e`").spans
        #expect(unclosed.map(\.text) == ["d"])
        #expect(try MarkdownDoc(file: "x.md", text: "``a `b` c``").spans.map(\.text) == ["a `b` c"])
    }

    /// A misspelt or empty marker is an error, not a silent exemption.
    @Test(arguments: ["```sh {not_run: typo}\nx\n```", "```sh {not-run:}\nx\n```", "```sh {skip}\nx\n```", "```sh\nx\n"])
    func aBadMarkerOrUnclosedFenceIsAnError(_ text: String) {
        #expect(throws: MarkdownDoc.Malformed.self) { try MarkdownDoc(file: "x.md", text: text) }
    }

    @Test func invocationsAreFoundWhereACommandStarts() {
        let shell = DocMentionChecker.invocations(of: "strata", in: "alias strata=.build/debug/strata && strata sweep --all | tail; X=1 strata lint", shell: true)
        #expect(shell.map(\.arguments) == [" sweep --all ", " lint"])
        #expect(shell.map(\.assignments) == [[], ["X"]])
        let tools = DocMentionChecker.invocations(of: #"tools/[A-Za-z0-9_./<>-]*"#,
                                                  in: #"A=1 B_FILE=/p tools/backup/vault; eval "$(tools/s3-server env)""#, shell: true)
        #expect(tools.map(\.name) == ["tools/backup/vault", "tools/s3-server"])
        #expect(tools.map(\.assignments) == [["A", "B_FILE"], []])
        #expect(tools.map(\.arguments) == ["", " env"])
        // In a synopsis `|` separates alternatives, not commands.
        let synopsis = DocMentionChecker.invocations(of: "strata", in: "strata retrieve (--at T | --set ID) [--to DIR]", shell: false)
        #expect(DocMentionChecker.flags(in: synopsis[0].arguments) == ["--at", "--set", "--to"])
    }

    @Test func optionsAreReadFromTheHelpsOptionColumn() {
        let help = """
            USAGE: strata sweep [--apply]

            OPTIONS:
              --component <component> Only this component.
              --apply                 Carry the plan out. Without --force, guards hold.
              -h, --help              Show help information.
            """
        #expect(DocMentionChecker.optionFlags(inHelp: help) == ["--component", "--apply", "--help"])
    }
}
