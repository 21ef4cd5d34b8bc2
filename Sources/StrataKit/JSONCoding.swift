import Foundation

/// JSON as Strata writes it: ISO 8601 dates, sorted keys, so files diff cleanly.
public enum JSONCoding {
    /// Encoder with ISO 8601 dates and sorted keys.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
    /// Decoder with ISO 8601 dates.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
    /// `2026-11-25T10:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
