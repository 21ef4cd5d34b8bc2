import Foundation

/// The key prefixes of the components whose deletions are withheld (a guard or the deletion floor
/// stopped them): one test, by bytes, for the executor in memory and the streamed one alike.
/// Bytes, as S3 lists a prefix: a key that Swift's `String` takes as starting with a prefix in
/// another Unicode form was never listed under it.
public struct WithheldPrefixes: Sendable {
    private let prefixes: [[UInt8]]

    /// The prefixes of `components`, as `policies` give them.
    public init(components: Set<String>, policies: PolicySet) {
        prefixes = policies.policies.filter { components.contains($0.component) }.map { Array($0.prefix.utf8) }
    }

    /// Whether no component is withheld.
    public var isEmpty: Bool { prefixes.isEmpty }

    /// Whether `key` lies under a withheld component's prefix.
    public func contains(_ key: String) -> Bool {
        Planner.owner(of: key, prefixes: prefixes) != nil
    }
}
