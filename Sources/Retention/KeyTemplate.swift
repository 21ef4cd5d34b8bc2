import Foundation

/// A key template such as `qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot`.
///
/// Placeholders: `{time:<format>}` (exactly one) with the strftime subset `%Y %m %d %H %M %S %j %s %%`
/// and literal text; `{series}` (at most one; one path segment, no `/`); `{file}` (at most one;
/// anything, including `/`). Matching is a hand-written byte matcher, not a regex or
/// `DateFormatter`, because it runs once per object in the inventory.
public struct KeyTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Field: Sendable, Hashable {
        case year, month, day, hour, minute, second, dayOfYear, epoch

        var width: Int {
            switch self {
            case .year: 4
            case .dayOfYear: 3
            case .epoch: 0
            default: 2
            }
        }
    }

    enum Segment: Sendable, Hashable {
        case literal([UInt8])
        case field(Field)
        case series
        case file
    }

    /// The template as written.
    public let text: String
    let segments: [Segment]
    /// Whether the template has a `{series}` placeholder.
    public let hasSeries: Bool
    /// Whether the template has a `{file}` placeholder.
    public let hasFile: Bool

    /// The literal text before the first placeholder.
    public var literalPrefix: String {
        if case .literal(let bytes)? = segments.first { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }

    /// The template as written.
    public var description: String { text }

    /// Parses a template; the error message says what is wrong and what is expected.
    public init(parsing text: String) throws(TemplateError) {
        var segments: [Segment] = []
        var literal: [UInt8] = []
        var timeCount = 0
        var fields = Set<Field>()
        let bytes = Array(text.utf8)
        var i = 0
        func flush() {
            if !literal.isEmpty { segments.append(.literal(literal)); literal = [] }
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "}") {
                throw TemplateError("unmatched '}' in key template '\(text)', expected placeholders {time:<format>}, {series} or {file}")
            }
            guard byte == UInt8(ascii: "{") else { literal.append(byte); i += 1; continue }
            guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) else {
                throw TemplateError("unclosed '{' in key template '\(text)', expected placeholders {time:<format>}, {series} or {file}")
            }
            let name = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
            flush()
            if name == "series" || name == "file" {
                let segment: Segment = name == "series" ? .series : .file
                guard !segments.contains(segment) else {
                    throw TemplateError("{\(name)} appears twice in key template '\(text)', expected it at most once")
                }
                if let last = segments.last, last == .series || last == .file || last == .field(.epoch) {
                    throw TemplateError("{\(name)} directly follows another variable-width placeholder in '\(text)', expected literal text between them")
                }
                segments.append(segment)
            } else if name.hasPrefix("time:") {
                timeCount += 1
                let format = Array(name.utf8.dropFirst(5))
                var j = 0
                while j < format.count {
                    if format[j] != UInt8(ascii: "%") { literal.append(format[j]); j += 1; continue }
                    guard j + 1 < format.count else {
                        throw TemplateError("time format in '\(text)' ends with '%', expected a directive such as %Y")
                    }
                    let field: Field
                    switch format[j + 1] {
                    case UInt8(ascii: "Y"): field = .year
                    case UInt8(ascii: "m"): field = .month
                    case UInt8(ascii: "d"): field = .day
                    case UInt8(ascii: "H"): field = .hour
                    case UInt8(ascii: "M"): field = .minute
                    case UInt8(ascii: "S"): field = .second
                    case UInt8(ascii: "j"): field = .dayOfYear
                    case UInt8(ascii: "s"): field = .epoch
                    case UInt8(ascii: "%"):
                        literal.append(UInt8(ascii: "%")); j += 2; continue
                    default:
                        let directive = String(decoding: format[j...(j + 1)], as: UTF8.self)
                        throw TemplateError("unsupported time directive \(directive) in '\(text)', expected one of %Y %m %d %H %M %S %j %s %%")
                    }
                    guard fields.insert(field).inserted else {
                        throw TemplateError("time directive %\(Character(Unicode.Scalar(format[j + 1]))) appears twice in '\(text)', expected each at most once")
                    }
                    flush()
                    if field == .epoch, let last = segments.last, last == .series || last == .file {
                        throw TemplateError("%s directly follows a variable-width placeholder in '\(text)', expected literal text between them")
                    }
                    segments.append(.field(field))
                    j += 2
                }
                flush()
            } else {
                throw TemplateError("unknown placeholder {\(name)} in key template '\(text)', expected {time:<format>}, {series} or {file}")
            }
            i = close + 1
        }
        flush()
        guard timeCount == 1 else {
            throw TemplateError(timeCount == 0
                ? "key template '\(text)' has no time, expected exactly one {time:<format>} placeholder such as {time:%Y%m%d_%H%M%S}"
                : "key template '\(text)' has \(timeCount) {time:...} placeholders, expected exactly one")
        }
        let dated = fields.contains(.epoch)
            || (fields.contains(.year) && (fields.contains(.dayOfYear) || (fields.contains(.month) && fields.contains(.day))))
        guard dated else {
            throw TemplateError("time format in '\(text)' does not give a full date, expected %Y with %m and %d (or %j), or %s")
        }
        if fields.contains(.epoch) && fields.count > 1 {
            throw TemplateError("time format in '\(text)' mixes %s with other directives, expected %s alone")
        }
        if fields.contains(.dayOfYear) && (fields.contains(.month) || fields.contains(.day)) {
            throw TemplateError("time format in '\(text)' mixes %j with %m/%d, expected one or the other")
        }
        self.text = text
        self.segments = segments
        self.hasSeries = segments.contains(.series)
        self.hasFile = segments.contains(.file)
    }

    /// Matches a key. Returns the series (empty if the template has none) and the key's time as
    /// epoch seconds, read in `zone`; `nil` if the key does not match or names an invalid date.
    public func match(_ key: String, zone: PolicyTimeZone = .utc) -> (series: String, epochSeconds: Int64)? {
        var key = key
        return key.withUTF8 { buffer -> (String, Int64)? in
            var state = MatchState()
            guard matchFrom(0, buffer, 0, &state) else { return nil }
            guard let local = state.localSeconds() else { return nil }
            let series = state.seriesRange.map { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self) } ?? ""
            return (series, state.isEpoch ? local : zone.epoch(fromLocal: local))
        }
    }

    struct MatchState {
        var values: (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64, doy: Int64) = (-1, 1, 1, 0, 0, 0, -1)
        var epoch: Int64? = nil
        var seriesRange: Range<Int>? = nil
        var isEpoch: Bool { epoch != nil }

        func localSeconds() -> Int64? {
            if let epoch { return epoch }
            let v = values
            guard v.year >= 0, (1...12).contains(v.month), v.hour < 24, v.minute < 60, v.second < 61 else { return nil }
            let days: Int64
            if v.doy >= 0 {
                guard v.doy >= 1, v.doy <= (CivilTime.isLeap(v.year) ? 366 : 365) else { return nil }
                days = CivilTime.daysFromCivil(year: v.year, month: 1, day: 1) + v.doy - 1
            } else {
                guard v.day >= 1, v.day <= CivilTime.daysInMonth(year: v.year, month: v.month) else { return nil }
                days = CivilTime.daysFromCivil(year: v.year, month: v.month, day: v.day)
            }
            return days * 86_400 + v.hour * 3_600 + v.minute * 60 + min(v.second, 59)
        }
    }

    private func matchFrom(_ index: Int, _ key: UnsafeBufferPointer<UInt8>, _ position: Int, _ state: inout MatchState) -> Bool {
        if index == segments.count { return position == key.count }
        switch segments[index] {
        case .literal(let bytes):
            guard key.count - position >= bytes.count else { return false }
            for k in 0..<bytes.count where key[position + k] != bytes[k] { return false }
            return matchFrom(index + 1, key, position + bytes.count, &state)
        case .field(let field):
            if field == .epoch {
                var end = position
                var value: Int64 = 0
                while end < key.count, end - position < 12, key[end] >= 48, key[end] <= 57 {
                    value = value * 10 + Int64(key[end] - 48)
                    end += 1
                }
                guard end > position else { return false }
                state.epoch = value
                return matchFrom(index + 1, key, end, &state)
            }
            let width = field.width
            guard key.count - position >= width else { return false }
            var value: Int64 = 0
            for k in 0..<width {
                let digit = key[position + k]
                guard digit >= 48, digit <= 57 else { return false }
                value = value * 10 + Int64(digit - 48)
            }
            switch field {
            case .year: state.values.year = value
            case .month: state.values.month = value
            case .day: state.values.day = value
            case .hour: state.values.hour = value
            case .minute: state.values.minute = value
            case .second: state.values.second = value
            case .dayOfYear: state.values.doy = value
            case .epoch: break
            }
            return matchFrom(index + 1, key, position + width, &state)
        case .series, .file:
            let isSeries = segments[index] == .series
            var limit = key.count
            if isSeries, let slash = (position..<key.count).first(where: { key[$0] == UInt8(ascii: "/") }) {
                limit = slash
            }
            guard limit > position else { return false }
            // Longest first, so a series containing the separator (e.g. `mind-memories`) still
            // reads its full name when the rest of the key matches.
            var end = limit
            while end > position {
                var attempt = state
                if isSeries { attempt.seriesRange = position..<end }
                if matchFrom(index + 1, key, end, &attempt) {
                    state = attempt
                    return true
                }
                end -= 1
            }
            return false
        }
    }

    /// Renders a key for an upload: the time in `zone`, the series and file as given.
    public func render(date: Date, series: String = "", file: String = "", zone: PolicyTimeZone = .utc) -> String {
        let epoch = Int64(date.timeIntervalSince1970.rounded(.down))
        let local = zone.local(fromEpoch: epoch)
        let days = CivilTime.floorDiv(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (y, m, d) = CivilTime.civilFromDays(days)
        var out = ""
        for segment in segments {
            switch segment {
            case .literal(let bytes): out += String(decoding: bytes, as: UTF8.self)
            case .series: out += series
            case .file: out += file
            case .field(let field):
                switch field {
                case .year: out += CivilTime.pad(y, 4)
                case .month: out += CivilTime.pad(m, 2)
                case .day: out += CivilTime.pad(d, 2)
                case .hour: out += CivilTime.pad(secondOfDay / 3600, 2)
                case .minute: out += CivilTime.pad(secondOfDay / 60 % 60, 2)
                case .second: out += CivilTime.pad(secondOfDay % 60, 2)
                case .dayOfYear: out += CivilTime.pad(days - CivilTime.daysFromCivil(year: y, month: 1, day: 1) + 1, 3)
                case .epoch: out += String(epoch)
                }
            }
        }
        return out
    }
}

/// Why a key template was rejected: what is wrong and what is expected.
public struct TemplateError: Error, Sendable, Hashable {
    /// The message.
    public var message: String
    init(_ message: String) { self.message = message }
}
