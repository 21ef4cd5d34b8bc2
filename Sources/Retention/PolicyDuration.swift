/// A length of time written in a policy as `<number><unit>` parts, e.g. `30d`, `12h`, `1d12h`, `2w`.
/// Units: `s`, `m` (minutes), `h`, `d`, `w`. Months and years are not durations (they vary in
/// length); use `keep_monthly` / `keep_yearly` for calendar retention.
public struct PolicyDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Length in seconds.
    public var seconds: Int64

    /// Creates a duration of `seconds`.
    public init(seconds: Int64) { self.seconds = seconds }

    /// Days, as a convenience for building durations in code.
    public static func days(_ n: Int64) -> PolicyDuration { PolicyDuration(seconds: n * 86_400) }
    /// Hours, as a convenience for building durations in code.
    public static func hours(_ n: Int64) -> PolicyDuration { PolicyDuration(seconds: n * 3_600) }

    /// Parses `30d`, `1d12h`, ...; `nil` if the text is not a positive duration.
    public init?(parsing text: String) {
        var total: Int64 = 0
        var number: Int64? = nil
        var sawPart = false
        for byte in text.utf8 {
            if byte >= 48 && byte <= 57 {
                let (scaled, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (next, o2) = scaled.addingReportingOverflow(Int64(byte - 48))
                if o1 || o2 { return nil }
                number = next
                continue
            }
            guard let n = number else { return nil }
            let unit: Int64
            switch byte {
            case UInt8(ascii: "s"): unit = 1
            case UInt8(ascii: "m"): unit = 60
            case UInt8(ascii: "h"): unit = 3_600
            case UInt8(ascii: "d"): unit = 86_400
            case UInt8(ascii: "w"): unit = 604_800
            default: return nil
            }
            let (part, o1) = n.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(part)
            if o1 || o2 { return nil }
            total = sum
            number = nil
            sawPart = true
        }
        guard sawPart, number == nil, total > 0 else { return nil }
        seconds = total
    }

    /// The shortest spelling in the largest whole units, e.g. `30d`, `36h`, `90m`.
    public var description: String {
        for (unit, suffix) in [(Int64(604_800), "w"), (86_400, "d"), (3_600, "h"), (60, "m")] where seconds % unit == 0 {
            if suffix == "w" { return "\(seconds / 86_400)d" }
            return "\(seconds / unit)\(suffix)"
        }
        return "\(seconds)s"
    }

    /// Orders by length.
    public static func < (lhs: PolicyDuration, rhs: PolicyDuration) -> Bool { lhs.seconds < rhs.seconds }

    /// Encodes as the policy spelling.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes the policy spelling.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = PolicyDuration(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "bad duration \(text)")
        }
        self = parsed
    }
}
