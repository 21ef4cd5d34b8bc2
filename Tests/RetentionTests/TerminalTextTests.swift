import Retention
import Testing

/// How text from the bucket is shown on a terminal (issue 16, row 14): what a terminal would act
/// on is shown as an escape, everything else as it is.
@Suite struct TerminalTextTests {
    /// (text, as shown)
    static let cases: [(String, String)] = [
        ("vault/20261101_020000.snap", "vault/20261101_020000.snap"),
        ("vault/\u{01}x", #"vault/\x01x"#),
        ("\u{1B}[2J\u{1B}]0;title\u{07}", #"\x1b[2J\x1b]0;title\x07"#),
        ("a\tb\nc\rd", #"a\x09b\x0ac\x0dd"#),
        ("\u{00}\u{7F}", #"\x00\x7f"#),
        ("C1 \u{85}\u{9B}31m", #"C1 \u{85}\u{9b}31m"#),
        ("evil\u{202E}pans.snap", #"evil\u{202e}pans.snap"#),
        ("\u{2066}\u{2067}\u{2068}\u{2069}\u{202A}\u{202B}\u{202C}\u{202D}", #"\u{2066}\u{2067}\u{2068}\u{2069}\u{202a}\u{202b}\u{202c}\u{202d}"#),
        ("\u{200E}\u{200F}\u{061C}\u{2028}\u{2029}", #"\u{200e}\u{200f}\u{61c}\u{2028}\u{2029}"#),
        ("caf\u{E9} \u{1F600} \u{E001} \\x01", "caf\u{E9} \u{1F600} \u{E001} \\x01"),
        ("", ""),
    ]

    @Test(arguments: cases)
    func controlsAreShownAsEscapes(_ text: String, _ shown: String) {
        #expect(TerminalText.escaped(text) == shown)
        #expect("[\(shown: text)]" == "[\(shown)]")
    }

    /// A message of several lines keeps its lines; nothing else passes raw.
    @Test func linesKeepTheirLineFeeds() {
        #expect(TerminalText.escapedLines("a.yaml:1:1: bad\nb.yaml:2:3: \u{1B}[2J\r") == #"a.yaml:1:1: bad"# + "\n" + #"b.yaml:2:3: \x1b[2J\x0d"#)
    }
}
