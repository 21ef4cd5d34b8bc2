import Foundation
import NIOHTTP1

/// Turns a non-2xx answer into an ``S3Error``.
///
/// S3 sends `<Error><Code/><Message/><RequestId/></Error>`; RGW may leave `Message` empty and
/// HEAD answers have no body at all, so the code then comes from the status.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>.
package enum S3ErrorParser {
    package static func error(request: S3Request, status: Int, headers: HTTPHeaders, body: Data) -> S3Error {
        var code = ""
        var message = ""
        var requestID = headers.first(name: "x-amz-request-id")
        var region = headers.first(name: "x-amz-bucket-region")
        if !body.isEmpty, let root = try? XMLNode.parse(body), root.name == "Error" {
            code = root.string("Code") ?? ""
            message = root.string("Message") ?? ""
            if let id = root.string("RequestId"), !id.isEmpty { requestID = id }
            if let r = root.string("Region"), !r.isEmpty { region = r }
        }
        let serverDate = headers.first(name: "date").flatMap(HTTPDate.parse)
        return S3Error(code: code.isEmpty ? .forStatus(status) : S3ErrorCode(code), message: message, status: status, requestID: requestID,
                       operation: request.operation, bucket: request.bucket, key: request.key,
                       bucketRegion: region, serverDate: serverDate)
    }
}

/// Dates as S3 writes them: RFC 1123 in headers, ISO 8601 in XML.
public enum HTTPDate {
    /// Parses `Wed, 25 Nov 2026 10:05:04 GMT`.
    public static func parse(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// Formats as RFC 1123 (`Wed, 25 Nov 2026 10:05:04 GMT`).
    public static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    /// Parses ISO 8601 with or without fractional seconds (`2026-11-25T10:05:04.123Z`).
    public static func parseISO8601(_ text: String) -> Date? {
        ISO8601Parser.parse(text)
    }
}

/// A fast ISO 8601 (`YYYY-MM-DDTHH:MM:SS[.fff]Z`) parser: list pages carry one date per object.
enum ISO8601Parser {
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for i in start..<(start + length) {
                let b = bytes[i]
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard let year = number(0, 4), bytes[4] == 45, let month = number(5, 2), bytes[7] == 45,
              let day = number(8, 2), bytes[10] == 84 || bytes[10] == 116,
              let hour = number(11, 2), bytes[13] == 58, let minute = number(14, 2), bytes[16] == 58,
              let second = number(17, 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == 90 || bytes[index] == 122 {
            index += 1
        } else if index + 6 <= bytes.count, bytes[index] == 43 || bytes[index] == 45,
                  let oh = number(index + 1, 2), bytes[index + 3] == 58, let om = number(index + 4, 2) {
            offsetSeconds = (oh * 3600 + om * 60) * (bytes[index] == 43 ? 1 : -1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm), so no Calendar is needed.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
