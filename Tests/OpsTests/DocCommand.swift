import Foundation

/// One command of a doc's shell block, as a reader would type it (continuation lines included).
///
/// What the doc promises about it is read from the doc itself: a trailing comment that says
/// `exit N` states its exit status (otherwise 0), and in a `console` block the lines under a
/// `$ ` command are output it must print.
struct DocCommand: CustomStringConvertible {
    /// The file, relative to the repository root.
    var file: String
    /// The command's first line in the file (1-based).
    var line: Int
    /// The command as written, continuation lines joined with their backslash-newlines.
    var text: String
    /// Output lines the doc shows under the command (`console` blocks); `...` skips any lines.
    var output: [String] = []

    var location: String { "\(file):\(line)" }
    var description: String { "\(location): \(text)" }

    /// The shell code without its trailing comment.
    var code: String { split().code }
    /// The trailing comment (after an unquoted `#` that starts a word), or "".
    var comment: String { split().comment }

    /// The exit status the doc states (`# ... exit 3 ...`), else 0.
    var expectedStatus: Int32 {
        guard let match = comment.firstMatch(of: /\bexit (\d+)\b/) else { return 0 }
        return Int32(match.1) ?? 0
    }

    /// Splits at the comment the way the shell does: `#` starting a word, outside quotes.
    private func split() -> (code: String, comment: String) {
        var quote: Character?
        var previous: Character = " "
        for index in text.indices {
            let c = text[index]
            if let open = quote {
                if c == open { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#", previous.isWhitespace {
                return (String(text[..<index]), String(text[text.index(after: index)...]).trimmingCharacters(in: .whitespaces))
            }
            previous = c
        }
        return (text, "")
    }

    /// Whether `actual` is the output the doc shows: the same lines (blank lines and trailing
    /// spaces aside), where a `...` line stands for any number of lines.
    func outputMatches(_ actual: String) -> Bool {
        func lines(_ text: [String]) -> [String] {
            text.map(\.trimmingSuffixSpaces).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        let got = lines(actual.components(separatedBy: "\n"))
        let want = lines(output)
        // Classic wildcard matching, line by line; `...` is the wildcard.
        func match(_ w: Int, _ g: Int) -> Bool {
            if w == want.count { return g == got.count }
            if want[w] == "..." { return (g...got.count).contains { match(w + 1, $0) } }
            return g < got.count && got[g] == want[w] && match(w + 1, g + 1)
        }
        return match(0, 0)
    }
}

extension String {
    /// The string without trailing spaces.
    var trimmingSuffixSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
