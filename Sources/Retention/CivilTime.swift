import Foundation

/// Proleptic-Gregorian calendar arithmetic on epoch seconds, without `Calendar`, so that parsing a
/// million keys stays cheap. Algorithms after Howard Hinnant's `days_from_civil`/`civil_from_days`.
enum CivilTime {
    /// Days since 1970-01-01 of a civil date. `month` 1...12, `day` 1...31.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }

    /// Whether `year` has a 29 February.
    static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// Days in a month.
    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Floor division that rounds towards negative infinity, for times before 1970.
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// ISO 8601 week-numbering year and week of a day count since 1970-01-01.
    static func isoWeek(days: Int64) -> (year: Int64, week: Int64) {
        // 1970-01-01 was a Thursday; weekday 0 = Monday.
        let weekday = ((days + 3) % 7 + 7) % 7
        let thursday = days - weekday + 3
        let year = civilFromDays(thursday).year
        let week = (thursday - daysFromCivil(year: year, month: 1, day: 1)) / 7 + 1
        return (year, week)
    }

    /// `2025-01-02T03:04:05Z` for epoch seconds (years 0...9999), written byte by byte because
    /// every backup set gets one.
    static func iso8601(_ seconds: Int64) -> String {
        let days = floorDiv(seconds, 86_400)
        let rest = seconds - days * 86_400
        let (y, m, d) = civilFromDays(days)
        guard (0...9999).contains(y) else {
            return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2))Z"
        }
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int64, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[i] = UInt8(48 + v % 10)
                    v /= 10
                }
            }
            put(y, 4, at: 0); buffer[4] = 45
            put(m, 2, at: 5); buffer[7] = 45
            put(d, 2, at: 8); buffer[10] = 84
            put(rest / 3600, 2, at: 11); buffer[13] = 58
            put(rest / 60 % 60, 2, at: 14); buffer[16] = 58
            put(rest % 60, 2, at: 17); buffer[19] = 90
            return 20
        }
    }

    /// Zero-padded decimal.
    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

/// The time zone a policy reads key times in and draws calendar periods in. UTC takes a pure
/// arithmetic path; other zones ask `TimeZone` for the offset at each instant (DST-aware).
public struct PolicyTimeZone: Sendable, Hashable {
    /// The zone.
    public let timeZone: TimeZone
    /// Whether this is UTC, so no offset lookups are needed.
    public let isUTC: Bool

    /// UTC.
    public static let utc = PolicyTimeZone(TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current)

    /// Wraps a zone.
    public init(_ timeZone: TimeZone) {
        self.timeZone = timeZone
        self.isUTC = timeZone.identifier == "UTC" || timeZone.identifier == "GMT"
    }

    /// The identifier, e.g. `Europe/Berlin`.
    public var identifier: String { timeZone.identifier }

    /// Offset from UTC in seconds at an instant.
    func offset(atEpoch seconds: Int64) -> Int64 {
        isUTC ? 0 : Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
    }

    /// Epoch seconds of a wall-clock time (given as if it were UTC). In a DST gap the wall time
    /// does not exist and is read with the offset before the gap (02:30 in a spring-forward
    /// becomes 03:30 after); in a fall-back overlap, the later (standard-time) instant is used.
    func epoch(fromLocal local: Int64) -> Int64 {
        if isUTC { return local }
        let first = offset(atEpoch: local)
        let guess = local - first
        let second = offset(atEpoch: guess)
        if second == first { return guess }
        return local - second
    }

    /// Wall-clock seconds (as if UTC) of an instant.
    func local(fromEpoch seconds: Int64) -> Int64 { seconds + offset(atEpoch: seconds) }
}
