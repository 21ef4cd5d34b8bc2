import Foundation

/// One Markdown file as the doc tests read it: its fenced code blocks and its inline code spans.
///
/// A fence's info string is a language and at most one attribute, `{not-run: reason}`, which
/// exempts a shell block from being run (its commands are still checked to exist). Anything else
/// in braces is an error, so a misspelt marker cannot silently exempt a block.
struct MarkdownDoc {
    /// A fenced code block.
    struct Block {
        /// The file, relative to the repository root.
        var file: String
        /// Line of the opening fence (1-based).
        var line: Int
        /// The info string's first word (`sh`, `text`, ...), empty when there is none.
        var language: String
        /// The reason given by `{not-run: reason}`, or nil when the block is to be run.
        var notRun: String?
        /// The lines between the fences.
        var lines: [String]

        /// Shell languages: these blocks hold commands a reader types.
        static let shellLanguages: Set = ["sh", "bash", "shell", "console"]
        var isShell: Bool { Self.shellLanguages.contains(language) }
        var location: String { "\(file):\(line)" }

        /// The block's commands: continuation lines joined, comment-only lines dropped. In a
        /// `console` block only `$ ` lines are commands and the lines after one are its output.
        var commands: [DocCommand] {
            var commands: [DocCommand] = []
            var index = 0
            while index < lines.count {
                let first = index
                var text = lines[index]
                if language == "console" {
                    guard text.hasPrefix("$ ") else { index += 1; continue }
                    text.removeFirst(2)
                }
                // A trailing backslash continues the command on the next line, as in the shell.
                while text.hasSuffix("\\"), index + 1 < lines.count {
                    index += 1
                    text += "\n" + lines[index]
                }
                index += 1
                var output: [String] = []
                if language == "console" {
                    while index < lines.count, !lines[index].hasPrefix("$ ") {
                        output.append(lines[index])
                        index += 1
                    }
                }
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
                commands.append(DocCommand(file: file, line: line + 1 + first, text: text, output: output))
            }
            return commands
        }
    }

    /// An inline code span (`like this`), possibly wrapped over lines of one paragraph.
    struct Span {
        var file: String
        var line: Int
        /// The span's text, line breaks turned into spaces.
        var text: String
        var location: String { "\(file):\(line)" }
    }

    /// Something in the file the extractor cannot read safely.
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    var file: String
    var blocks: [Block] = []
    var spans: [Span] = []

    /// Reads `text` (the contents of `file`).
    init(file: String, text: String) throws {
        self.file = file
        let lines = text.components(separatedBy: "\n")
        var prose: [(line: Int, text: String)] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard let fence = Self.fence(line) else {
                prose.append((index + 1, line))
                index += 1
                continue
            }
            let start = index + 1
            let (language, notRun) = try Self.infoString(fence.info, at: "\(file):\(start)")
            var body: [String] = []
            var closed = false
            index += 1
            while index < lines.count {
                if let end = Self.fence(lines[index]), end.marker.hasPrefix(fence.marker), end.info.isEmpty {
                    closed = true
                    break
                }
                body.append(lines[index])
                index += 1
            }
            guard closed else { throw Malformed(description: "\(file):\(start): unclosed code fence") }
            blocks.append(Block(file: file, line: start, language: language, notRun: notRun, lines: body))
            // The prose around a block is separate paragraphs: a span never crosses a fence.
            prose.append((index + 1, ""))
            index += 1
        }
        spans = Self.spans(in: prose, file: file)
    }

    /// The fence marker (three or more backticks) and info string of a fence line, or nil.
    private static func fence(_ line: String) -> (marker: String, info: String)? {
        let trimmed = line.drop { $0 == " " }
        guard line.count - trimmed.count < 4 else { return nil }
        let marker = trimmed.prefix { $0 == "`" }
        guard marker.count >= 3 else { return nil }
        return (String(marker), trimmed.dropFirst(marker.count).trimmingCharacters(in: .whitespaces))
    }

    /// `sh {not-run: why}` -> ("sh", "why"); throws on any other attribute or an empty reason.
    private static func infoString(_ info: String, at location: String) throws -> (String, String?) {
        guard let brace = info.firstIndex(of: "{") else { return (info, nil) }
        let language = info[..<brace].trimmingCharacters(in: .whitespaces)
        let attribute = info[brace...].trimmingCharacters(in: .whitespaces)
        guard attribute.hasPrefix("{not-run:"), attribute.hasSuffix("}") else {
            throw Malformed(description: "\(location): unknown fence attribute \(attribute), expected {not-run: reason}")
        }
        let reason = attribute.dropFirst("{not-run:".count).dropLast().trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else { throw Malformed(description: "\(location): {not-run:} needs a reason") }
        return (language, reason)
    }

    /// Inline code spans of the prose, paragraph by paragraph (a span never crosses a blank line).
    private static func spans(in prose: [(line: Int, text: String)], file: String) -> [Span] {
        var spans: [Span] = []
        var paragraph: [(line: Int, text: String)] = []
        func flush() {
            // Walk the paragraph as one string, remembering where each line starts.
            let joined = paragraph.map(\.text).joined(separator: "\n")
            let chars = Array(joined)
            var i = 0
            while i < chars.count {
                guard chars[i] == "`" else { i += 1; continue }
                var run = 0
                while i + run < chars.count, chars[i + run] == "`" { run += 1 }
                // The span closes at the next run of exactly as many backticks.
                var j = i + run
                var close: Int?
                while j < chars.count {
                    if chars[j] == "`" {
                        var other = 0
                        while j + other < chars.count, chars[j + other] == "`" { other += 1 }
                        if other == run { close = j; break }
                        j += other
                    } else {
                        j += 1
                    }
                }
                guard let close else { i += run; continue }
                let text = String(chars[(i + run)..<close]).replacingOccurrences(of: "\n", with: " ")
                let lineOffset = chars[..<i].filter { $0 == "\n" }.count
                spans.append(Span(file: file, line: paragraph[lineOffset].line,
                                  text: text.trimmingCharacters(in: .whitespaces)))
                i = close + run
            }
            paragraph = []
        }
        for entry in prose {
            if entry.text.trimmingCharacters(in: .whitespaces).isEmpty { flush() } else { paragraph.append(entry) }
        }
        flush()
        return spans
    }
}
