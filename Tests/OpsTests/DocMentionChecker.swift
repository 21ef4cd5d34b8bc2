import Foundation
import StrataTestSupport

/// Checks that what a doc shows of a command exists, without running the command: every
/// `strata SUBCOMMAND --flag` is accepted by the real binary (its `--help` lists the subcommand's
/// options), every `tools/...` script exists, is executable and knows the subcommands, flags and
/// environment variables shown, and every repository path named exists.
///
/// Used on every shell block (run or not), every inline code span and every `strata` synopsis, so
/// a renamed flag or script breaks the doc test even where the doc's command cannot run.
final class DocMentionChecker {
    let strataBinary: String
    /// Words the doc test substitutes (bucket names, paths): arguments, never subcommands.
    let placeholders: Set<String>
    private var helpCache: [[String]: ProcessRunner.Output] = [:]
    private var scriptHelpCache: [String: ProcessRunner.Output] = [:]
    static let root = RepositoryPaths.root.path

    init(strataBinary: String, placeholders: Set<String>) {
        self.strataBinary = strataBinary
        self.placeholders = placeholders
    }

    /// Problems with what `text` shows. `shell`: `text` is shell code, so an invocation ends at
    /// `|`, `;`, `&`, `)` or a redirection; otherwise (a span, a synopsis) it runs to the end,
    /// since synopses use `|` between alternatives.
    func problems(in text: String, at location: String, shell: Bool) -> [String] {
        var problems: [String] = []
        for rest in Self.invocations(of: #"strata"#, in: text, shell: shell) {
            let shown = rest.arguments.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(60)
            problems += strataProblems(rest.arguments).map { "\(location): `strata \(shown)`: \($0)" }
        }
        for tool in Self.invocations(of: #"tools/[A-Za-z0-9_./<>-]*"#, in: text, shell: shell) {
            problems += toolProblems(tool.name, tool.arguments, environment: tool.assignments)
                .map { "\(location): `\(tool.name)`: \($0)" }
        }
        for path in Self.matches(#"(?<![\w./$-])(?:docs|policies|Tests|Sources)/[\w./*<>{}-]*"#, in: text) {
            var path = path
            while let last = path.last, ".,:".contains(last) { path.removeLast() }
            // A pattern (policies/*.yaml, tools/backup/<component>) names the folder it is in.
            if let wild = path.firstIndex(where: { "*<{".contains($0) }) ?? path.range(of: "...")?.lowerBound {
                path = String(path[..<wild])
                path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            }
            if !path.isEmpty, !FileManager.default.fileExists(atPath: "\(Self.root)/\(path)") {
                problems.append("\(location): \(path) does not exist")
            }
        }
        return problems
    }

    // MARK: strata

    /// `sweep --all` -> checks `strata sweep --help` lists `--all`; `lifecycle render|apply` ->
    /// both `strata lifecycle render` and `strata lifecycle apply` must exist.
    private func strataProblems(_ arguments: String) -> [String] {
        let words = arguments.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first, first.wholeMatch(of: /[a-z][a-z0-9-]*/) != nil else {
            return []  // `strata <subcommand>`: a placeholder, nothing to check
        }
        // `strata nosuch --help` prints strata's own help: a subcommand exists when its parent
        // lists it.
        guard Self.subcommands(inHelp: help([]).stdoutText).contains(first) else { return ["no subcommand '\(first)'"] }
        var variants = [[first]]
        let nested = Self.subcommands(inHelp: help([first]).stdoutText)
        if words.count > 1, !nested.isEmpty, words[1].wholeMatch(of: /[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*/) != nil {
            variants = words[1].split(separator: "|").map { [first, String($0)] }
        }
        var problems: [String] = []
        let flags = Self.flags(in: arguments)
        for variant in variants {
            let name = variant.joined(separator: " ")
            guard variant.count == 1 || nested.contains(variant[1]) else { problems.append("no subcommand '\(name)'"); continue }
            let output = help(variant)
            guard output.status == 0 else { problems.append("strata \(name) --help exits \(output.status)"); continue }
            let accepted = Self.optionFlags(inHelp: output.stdoutText)
            for flag in flags where !accepted.contains(flag) {
                problems.append("strata \(name) has no option \(flag)")
            }
        }
        return problems
    }

    private func help(_ subcommand: [String]) -> ProcessRunner.Output {
        if let cached = helpCache[subcommand] { return cached }
        let output = (try? ProcessRunner().run([strataBinary] + subcommand + ["--help"]))
            ?? ProcessRunner.Output(status: -1, stdout: Data(), stderr: "could not run \(strataBinary)")
        helpCache[subcommand] = output
        return output
    }

    /// The flags a `--help` text lists as options (its `  --name <value>  help` lines).
    static func optionFlags(inHelp help: String) -> Set<String> {
        var flags: Set<String> = []
        for line in help.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("-") {
            // The option's own column, before the help text (two spaces or more).
            let column = line.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ")[0]
            flags.formUnion(Self.flags(in: column))
        }
        return flags
    }

    /// The names a `--help` text lists under SUBCOMMANDS.
    static func subcommands(inHelp help: String) -> Set<String> {
        guard let section = help.components(separatedBy: "SUBCOMMANDS:").dropFirst().first else { return [] }
        // `  name    what it does`: indented by two, then the name (continuation lines are deeper).
        return Set(section.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.dropFirst(2).prefixMatch(of: /[a-z][a-z0-9-]*/).map { String($0.0) }
        })
    }

    // MARK: tools/

    private func toolProblems(_ name: String, _ arguments: String, environment: [String]) -> [String] {
        if name.contains("<") || name.hasSuffix("...") || name.hasSuffix("/") {
            let folder = String(name[..<(name.lastIndex(of: "/") ?? name.endIndex)])
            return FileManager.default.fileExists(atPath: "\(Self.root)/\(folder)") ? [] : ["\(folder) does not exist"]
        }
        let path = "\(Self.root)/\(name)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return ["does not exist"] }
        // A file that is no program (tools/container/Containerfile) only has to exist.
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if isDirectory.boolValue || !text.hasPrefix("#!") { return [] }
        guard FileManager.default.isExecutableFile(atPath: path) else { return ["is not executable"] }
        // tools/backup's scripts all take --help (docs/runbook.md) and document their
        // subcommands, options and environment there; other tools are only read, never run
        // (tools/demo and tools/test have no --help and would do their whole job).
        let reference: String
        if name.hasPrefix("tools/backup/") {
            let usage = scriptHelp(path)
            guard usage.status == 0 else { return ["--help exits \(usage.status)"] }
            reference = usage.stdoutText
        } else {
            reference = text
        }
        var problems: [String] = []
        for flag in Self.flags(in: arguments) where !Self.containsWord(reference, flag) {
            problems.append("knows no option \(flag)")
        }
        // A first argument in lower case is a subcommand (`check`, `up|down`); data such as a
        // stream name, a path or a substituted bucket name is not.
        if let first = arguments.split(whereSeparator: \.isWhitespace).first.map(String.init),
           !placeholders.contains(first), first.wholeMatch(of: /[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*/) != nil {
            for word in first.split(separator: "|").map(String.init) where !Self.containsWord(reference, word) {
                problems.append("knows no subcommand '\(word)'")
            }
        }
        for variable in environment where !Self.containsWord(reference, variable) {
            problems.append("does not read \(variable)")
        }
        return problems
    }

    private func scriptHelp(_ path: String) -> ProcessRunner.Output {
        if let cached = scriptHelpCache[path] { return cached }
        let output = (try? ProcessRunner().run([path, "--help"]))
            ?? ProcessRunner.Output(status: -1, stdout: Data(), stderr: "could not run \(path)")
        scriptHelpCache[path] = output
        return output
    }

    // MARK: text

    /// An invocation found in text: the command's name, the environment assignments before it,
    /// and its arguments.
    struct Invocation {
        var name: String
        var assignments: [String]
        var arguments: String
    }

    /// Every place `command` (a regex) is run in `text`: at the start, or after a space, `(`, `;`,
    /// `&`, `|` or a quote, optionally after `VAR=value` assignments.
    static func invocations(of command: String, in text: String, shell: Bool) -> [Invocation] {
        let pattern = #"(?:^|(?<=[\s(;&|"']))((?:[A-Z_][A-Z0-9_]*=\S*\s+)*)("# + command + #")(?=[\s;&|)"'`]|$)"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            let assignments = ns.substring(with: match.range(at: 1)).split(whereSeparator: \.isWhitespace)
                .compactMap { $0.split(separator: "=").first.map(String.init) }
            var rest = ns.substring(from: match.range.location + match.range.length)
            if shell, let end = rest.firstIndex(where: { "|;&)<>#\n".contains($0) }) {
                rest = String(rest[..<end])
            }
            return Invocation(name: ns.substring(with: match.range(at: 2)), assignments: assignments, arguments: rest)
        }
    }

    /// `--name` options in `text` (not inside longer words, not `--name=`'s value).
    static func flags(in text: String) -> [String] {
        matches(#"(?<![\w-])--[a-z][a-z0-9-]*"#, in: text)
    }

    static func containsWord(_ text: String, _ word: String) -> Bool {
        !matches(#"(?<![\w-])"# + NSRegularExpression.escapedPattern(for: word) + #"(?![\w-])"#, in: text).isEmpty
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }
}
