import Foundation

/// The two renderings of the signing time SigV4 uses: `20130524` in the credential scope and
/// `20130524T000000Z` in `x-amz-date` and the string to sign.
///
/// Computed arithmetically (days-from-civil in reverse) instead of through `DateFormatter`,
/// which is slow and locale-sensitive. See
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-string-to-sign>.
struct SigningDate: Sendable, Hashable {
    /// `YYYYMMDD`, UTC.
    let day: String
    /// `YYYYMMDDTHHMMSSZ`, UTC.
    let timestamp: String

    init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's civil_from_days: proleptic Gregorian calendar from a day count.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        let day = String(unsafeUninitializedCapacity: 8) { buffer in
            var text = ByteWriter(buffer)
            text.append(year, width: 4)
            text.append(month, width: 2)
            text.append(dayOfMonth, width: 2)
            return text.count
        }
        self.day = day
        self.timestamp = String(unsafeUninitializedCapacity: 16) { buffer in
            var text = ByteWriter(buffer)
            text.append(day)
            text.append(UInt8(ascii: "T"))
            text.append(secondOfDay / 3600, width: 2)
            text.append(secondOfDay / 60 % 60, width: 2)
            text.append(secondOfDay % 60, width: 2)
            text.append(UInt8(ascii: "Z"))
            return text.count
        }
    }
}
