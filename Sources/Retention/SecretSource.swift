/// Where a secret comes from: a file (a mounted Kubernetes Secret) or an environment variable.
/// A policy names the place, never the secret; the application reads it when it needs it.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible {
    /// A file whose contents (without a trailing line break) are the secret.
    case file(String)
    /// An environment variable whose value is the secret.
    case environment(String)

    /// `file /path` or `environment variable NAME`: the place, for messages.
    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let name): "environment variable \(name)"
        }
    }
}
