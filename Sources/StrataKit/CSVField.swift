import Retention

/// Fields of Strata's CSV output (`strata audit --format csv`), quoted as RFC 4180 says
/// (<https://www.rfc-editor.org/rfc/rfc4180>) and safe to open in a spreadsheet.
///
/// Text from outside Strata (keys, set ids and series taken from keys, version ids, storage
/// classes and restore states S3 reports, reasons that quote them) may start with `=`, `+`,
/// `-`, `@`, a tab or a carriage return, which a spreadsheet runs as a formula (CSV injection):
/// such a field gets a leading `'` and is quoted, as OWASP advises
/// (<https://owasp.org/www-community/attacks/CSV_Injection>). Numbers and times Strata formats
/// itself are never formulas and are written as they are, so a negative age stays a number.
enum CSVField {
    /// The first characters a spreadsheet reads as the start of a formula.
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// `text` from outside as a field: a would-be formula prefixed with `'`, control characters
    /// shown escaped (``TerminalText/escaped(_:)``; the CSV goes to terminals too), quoted when
    /// it holds a comma or a quote or was prefixed.
    static func text(_ text: String) -> String {
        let formula = text.first.map(formulaStarts.contains) ?? false
        let shown = (formula ? "'" : "") + TerminalText.escaped(text)
        guard formula || shown.contains(where: { $0 == "," || $0 == "\"" }) else { return shown }
        return "\"" + shown.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number or time Strata formatted itself (`-3`, `0.000123`, `2026-11-25T02:00:00Z`): as it is.
    static func formatted(_ value: String) -> String { value }
}
