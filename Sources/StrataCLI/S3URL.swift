import StrataKit

/// An `s3://bucket/key` argument.
struct S3URL: Sendable, Hashable, CustomStringConvertible {
    var bucket: String
    var key: String

    /// Parses `s3://bucket[/key]`; `nil` for anything else (a local path).
    init?(_ text: String) {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        guard let slash = rest.firstIndex(of: "/") else {
            guard !rest.isEmpty else { return nil }
            bucket = String(rest)
            key = ""
            return
        }
        bucket = String(rest[..<slash])
        key = String(rest[rest.index(after: slash)...])
        guard !bucket.isEmpty else { return nil }
    }

    /// Parses or fails with a usage error naming the argument.
    static func require(_ text: String, argument: String) throws -> S3URL {
        guard let url = S3URL(text) else {
            throw StrataError(.configuration, "\(argument) '\(text)': expected s3://bucket/key")
        }
        return url
    }

    var description: String { "s3://\(bucket)/\(key)" }
}
