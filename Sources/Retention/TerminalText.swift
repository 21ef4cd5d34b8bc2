/// Text from outside Strata (keys, version ids, S3's messages, series names) made safe to print
/// on a terminal. A key may hold control characters: printed raw, `ESC [ 2 J` clears the
/// operator's screen, `ESC ] 0 ;` retitles the window, a carriage return overwrites the line
/// before it, and a bidi override (U+202E) makes `evil.snap\u{202E}pans` read as something else.
/// Each such character is shown instead as an escape (`\x1b`, `\u{202e}`), so what is printed is
/// what is there, one line per line; `--json` gives the exact text.
public enum TerminalText {
    /// `text` with every character a terminal acts on shown as an escape: C0 controls (tab and
    /// line feed included) and DEL as `\xNN`, C1 controls, the bidi embeddings, overrides,
    /// isolates and marks, and the line and paragraph separators as `\u{N}` (lowercase hex, as
    /// Swift writes them). Everything else, including a backslash, is left as it is.
    public static func escaped(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return String(text) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if !needsEscape(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x80 {
                out += "\\x" + hex(scalar.value, digits: 2)
            } else {
                out += "\\u{" + hex(scalar.value, digits: 1) + "}"
            }
        }
        return out
    }

    /// `text` escaped line by line, its line feeds kept: for messages of several lines (a policy
    /// file's errors, one a line) that may quote text from outside. A line feed there can only
    /// start a new line; every other control character is escaped.
    public static func escapedLines(_ text: some StringProtocol) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escaped($0) }.joined(separator: "\n")
    }

    /// Whether a terminal may act on `scalar` rather than show it.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Arabic letter mark, left-to-right and right-to-left marks.
        case 0x061C, 0x200E, 0x200F: true
        // Line and paragraph separators, embeddings and overrides (LRE, RLE, PDF, LRO, RLO).
        case 0x2028...0x202E: true
        // Isolates (LRI, RLI, FSI, PDI).
        case 0x2066...0x2069: true
        default: false
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

extension DefaultStringInterpolation {
    /// `"\(shown: key)"`: `value` described and escaped with ``TerminalText/escaped(_:)``, for
    /// text printed for people.
    public mutating func appendInterpolation<Value>(shown value: Value) {
        appendLiteral(TerminalText.escaped(String(describing: value)))
    }
}
