import Foundation

/// One step for the executor.
public enum PlanAction: Codable, Sendable, Hashable {
    /// Delete an object (or one version of it).
    case delete(key: String, versionID: String?, reason: String)
    /// Copy an object onto itself with a colder storage class.
    case transition(key: String, from: StorageClass, to: StorageClass, reason: String)
    /// Abort an incomplete multipart upload.
    case abortUpload(key: String, uploadID: String, reason: String)

    /// The object key.
    public var key: String {
        switch self {
        case .delete(let key, _, _), .transition(let key, _, _, _), .abortUpload(let key, _, _): key
        }
    }

    /// The reason text.
    public var reason: String {
        switch self {
        case .delete(_, _, let reason), .transition(_, _, _, let reason), .abortUpload(_, _, let reason): reason
        }
    }

    private enum CodingKeys: String, CodingKey { case type, key, versionID, from, to, uploadID, reason }

    /// Encodes as `{"type": "delete"|"transition"|"abortUpload", ...}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .delete(let key, let versionID, let reason):
            try c.encode("delete", forKey: .type)
            try c.encode(key, forKey: .key)
            try c.encodeIfPresent(versionID, forKey: .versionID)
            try c.encode(reason, forKey: .reason)
        case .transition(let key, let from, let to, let reason):
            try c.encode("transition", forKey: .type)
            try c.encode(key, forKey: .key)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
            try c.encode(reason, forKey: .reason)
        case .abortUpload(let key, let uploadID, let reason):
            try c.encode("abortUpload", forKey: .type)
            try c.encode(key, forKey: .key)
            try c.encode(uploadID, forKey: .uploadID)
            try c.encode(reason, forKey: .reason)
        }
    }

    /// Decodes the encoding above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let key = try c.decode(String.self, forKey: .key)
        let reason = try c.decode(String.self, forKey: .reason)
        switch try c.decode(String.self, forKey: .type) {
        case "delete": self = .delete(key: key, versionID: try c.decodeIfPresent(String.self, forKey: .versionID), reason: reason)
        case "transition":
            self = .transition(key: key, from: try c.decode(StorageClass.self, forKey: .from),
                               to: try c.decode(StorageClass.self, forKey: .to), reason: reason)
        case "abortUpload": self = .abortUpload(key: key, uploadID: try c.decode(String.self, forKey: .uploadID), reason: reason)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown action type \(other)")
        }
    }
}

extension Array where Element == PlanAction {
    /// These actions without the deletions of `components`' keys (by their policies' prefixes,
    /// which never overlap): what a guard that withholds a component's deletions leaves.
    public func removingDeletions(of components: Set<String>, policies: PolicySet) -> [PlanAction] {
        let withheld = WithheldPrefixes(components: components, policies: policies)
        guard !withheld.isEmpty else { return self }
        return filter { action in
            guard case .delete = action else { return true }
            return !withheld.contains(action.key)
        }
    }
}
