import Foundation

/// The restore state of an archived object, parsed from the `x-amz-restore` header:
/// `ongoing-request="true"`, or `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#AmazonS3-HeadObject-response-header-Restore>.
public struct RestoreStatus: Sendable, Hashable, CustomStringConvertible {
    /// A restore was requested and is still running.
    public var ongoing: Bool
    /// When the restored copy goes away (only once the restore finished).
    public var expiry: Date?

    /// Creates a status.
    public init(ongoing: Bool, expiry: Date?) {
        self.ongoing = ongoing
        self.expiry = expiry
    }

    /// Whether a readable restored copy exists at `date`.
    public func isAvailable(at date: Date) -> Bool {
        guard !ongoing else { return false }
        guard let expiry else { return true }
        return expiry > date
    }

    /// Parses the header value; `nil` when it is not in S3's format.
    public init?(header: String) {
        var fields: [String: String] = [:]
        var rest = Substring(header)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            guard rest.first == "\"" else { return nil }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: "\"") else { return nil }
            fields[name] = String(rest[..<close])
            rest = rest[rest.index(after: close)...]
        }
        guard let ongoing = fields["ongoing-request"] else { return nil }
        switch ongoing.lowercased() {
        case "true": self.ongoing = true
        case "false": self.ongoing = false
        default: return nil
        }
        if let text = fields["expiry-date"] {
            guard let date = HTTPDate.parse(text) else { return nil }
            self.expiry = date
        } else {
            self.expiry = nil
        }
    }

    /// `restore in progress`, `restored until <date>` or `restored`.
    public var description: String {
        if ongoing { return "restore in progress" }
        if let expiry { return "restored until \(HTTPDate.format(expiry))" }
        return "restored"
    }
}
