import ArgumentParser
import Foundation
import Retention

/// What the process writes to, decided once per run: colours only when standard output is a
/// terminal (and `NO_COLOR` is unset, `TERM` is not `dumb`), progress bars only when standard
/// error is one. Piped output, `--json` and log files stay plain ASCII.
struct Terminal: Sendable {
    /// `--color`: `auto` follows the rules above, `always`/`never` override them.
    enum ColorChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
        case auto, always, never
    }

    /// Standard output gets ANSI colours.
    var colours: Bool
    /// Standard error gets redrawn progress lines.
    var progress: Bool
    /// Standard error gets a coloured `error:` prefix.
    var colouredErrors: Bool

    /// Decides from the file descriptors, the environment and the flags.
    static func detect(choice: ColorChoice, json: Bool, environment: [String: String],
                       isTerminal: (Int32) -> Bool = { isatty($0) == 1 }) -> Terminal {
        let dumb = environment["TERM"] == "dumb"
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        let stdoutTTY = isTerminal(STDOUT_FILENO) && !dumb
        let stderrTTY = isTerminal(STDERR_FILENO) && !dumb
        let colours: Bool
        switch choice {
        case .always: colours = true
        case .never: colours = false
        case .auto: colours = stdoutTTY && !noColor
        }
        return Terminal(colours: colours && !json, progress: stderrTTY && !json,
                        colouredErrors: choice == .always || (choice == .auto && stderrTTY && !noColor))
    }

    /// ANSI styles used by Strata's tables.
    enum Style: String {
        case bold = "1", red = "31", green = "32", yellow = "33", cyan = "36", boldRed = "1;31"
    }

    /// `text` wrapped in `style` when colours are on.
    func paint(_ text: String, _ style: Style) -> String {
        colours ? Self.paint(text, style) : text
    }

    /// `text` wrapped in `style`.
    static func paint(_ text: String, _ style: Style) -> String {
        text.isEmpty ? text : "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    /// How the plan table marks decisions, guards and headings on this terminal.
    var planStyle: PlanStyle {
        guard colours else { return .plain }
        return PlanStyle { text, role in
            switch role {
            case .heading: Terminal.paint(text, .bold)
            case .keep: Terminal.paint(text, .green)
            case .expire: Terminal.paint(text, .red)
            case .transition: Terminal.paint(text, .cyan)
            case .blocked: Terminal.paint(text, .boldRed)
            case .warning: Terminal.paint(text, .yellow)
            }
        }
    }
}
