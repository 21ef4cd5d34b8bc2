import Foundation
import StrataTestSupport
import Testing

/// Keys under a component's prefix that no backup has, written by someone else: a control
/// character (which XML 1.0 cannot carry) and terminal escape sequences. Issue 16, row 3: such a
/// key made every command that lists fail with `malformed XML`; row 14: keys were printed raw,
/// so a key could clear the screen or retitle the terminal of whoever ran `strata sweep`.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized, .blocking)
struct UnusualKeyCommandTests {
    static let now = SweepEndToEndTests.now

    /// (key, as every text output shows it)
    static let planted = [
        ("vault/\u{01}20261101_020000.snap", #"vault/\x0120261101_020000.snap"#),
        ("vault/\u{1B}]0;owned\u{07}\u{1B}[2J.snap", #"vault/\x1b]0;owned\x07\x1b[2J.snap"#),
        ("vault/20261101_020000.snap\u{202E}pans", #"vault/20261101_020000.snap\u{202e}pans"#),
    ]

    /// Control characters a terminal acts on, and the bidi override: none may reach the output raw.
    static func isRaw(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || scalar.value == 0x7F || scalar == "\u{202E}"
    }

    static func expectPrintable(_ text: String, _ command: String) {
        let raw = text.unicodeScalars.filter(isRaw)
        #expect(raw.isEmpty, "\(command) printed \(raw.map { String($0.value, radix: 16) }) raw")
    }

    @Test func everyCommandListsPastThemPrintsThemEscapedAndLeavesThemAlone() throws {
        try SweepEndToEndTests.withSeededBucket { harness in
            let expected = try SweepEndToEndTests.expectedKeys(harness, plan: try SweepEndToEndTests.plan(harness))
            try HostileBucketSweepTests.plant(harness, Self.planted.map(\.0))

            let sweep = try harness.strata(["sweep", "--force", "--all", "--now", Self.now])
            #expect(sweep.status == 0, "\(sweep.stderr)")
            #expect(sweep.stdoutText.contains("UNRECOGNIZED (never touched): 3 keys"), "\(sweep.stdoutText)")
            for (_, shown) in Self.planted { #expect(sweep.stdoutText.contains("    \(shown)\n"), "\(shown)") }
            Self.expectPrintable(sweep.stdoutText + sweep.stderr, "sweep")

            let json = try harness.strata(["sweep", "--json", "--force", "--now", Self.now])
            #expect(json.status == 0, "\(json.stderr)")
            // JSON escapes C0 control characters itself and keeps the rest exact.
            #expect(!json.stdoutText.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            struct Plan: Decodable {
                struct Component: Decodable { var unrecognizedKeys: [String] }
                var components: [Component]
            }
            let unrecognized = try JSONDecoder().decode(Plan.self, from: json.stdout).components.flatMap(\.unrecognizedKeys)
            #expect(Set(unrecognized.filter { $0.hasPrefix("vault/") }) == Set(Self.planted.map(\.0)), "JSON carries the exact keys")

            for command in [["audit", "--now", Self.now], ["audit", "--format", "csv", "--now", Self.now],
                            ["verify"], ["metrics"], ["retrieve", "--component", "vault", "--at", Self.now],
                            ["sweep", "--log-level", "debug", "--force", "--now", Self.now]] {
                let output = try harness.strata(command)
                #expect(output.status == 0, "\(command): \(output.stderr)")
                Self.expectPrintable(output.stdoutText + output.stderr, "\(command)")
            }

            let ls = try harness.strata(["ls", "s3://\(harness.bucket)/vault/"])
            #expect(ls.status == 0, "\(ls.stderr)")
            for (_, shown) in Self.planted { #expect(ls.stdoutText.contains("  \(shown)\n"), "\(shown)") }
            Self.expectPrintable(ls.stdoutText, "ls")

            let missing = try harness.strata(["cp", "s3://\(harness.bucket)/vault/\u{1B}[2Jgone", "/dev/null"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains(#"vault/\x1b[2Jgone"#), "\(missing.stderr)")
            Self.expectPrintable(missing.stderr, "cp")

            let apply = try harness.strata(["sweep", "--apply", "--force", "--now", Self.now])
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(try harness.keys() == expected.union(Self.planted.map(\.0)))
        }
    }
}
