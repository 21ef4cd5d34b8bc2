import Foundation
import Yams

/// One policy file's text and the path it was read from (for error messages).
public struct PolicySource: Sendable, Hashable {
    /// Path shown in errors.
    public var path: String
    /// The YAML text.
    public var contents: String

    /// Creates a source.
    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// All policies in force, validated together: unique components, non-overlapping prefixes.
public struct PolicySet: Sendable, Hashable {
    /// Policies sorted by component name.
    public let policies: [Policy]

    /// Validates policies built in code (cross-policy checks only).
    public init(policies: [Policy]) throws(PolicyErrors) {
        var errors: [PolicyError] = []
        Self.crossCheck(policies.map { ($0, nil, nil) }, into: &errors)
        guard errors.isEmpty else { throw PolicyErrors(errors) }
        self.policies = policies.sorted { $0.component < $1.component }
    }

    /// Parses and validates policy files. Every problem in every file is reported, located at the
    /// offending node; if there is any, nothing is returned.
    public static func load(files: [PolicySource]) throws(PolicyErrors) -> PolicySet {
        var errors: [PolicyError] = []
        var loaded: [(Policy, Node?, Node?)] = []
        for file in files.sorted(by: { $0.path < $1.path }) {
            var reader = YAMLReader(path: file.path)
            let result = PolicyParser.parse(file, reader: &reader)
            errors += reader.errors
            if let result, reader.errors.isEmpty { loaded.append(result) }
        }
        crossCheck(loaded, into: &errors)
        guard errors.isEmpty else { throw PolicyErrors(errors) }
        do {
            return try PolicySet(policies: loaded.map(\.0))
        } catch {
            throw error
        }
    }

    private static func crossCheck(_ loaded: [(Policy, Node?, Node?)], into errors: inout [PolicyError]) {
        func locate(_ policy: Policy, _ node: Node?) -> (Int, Int) { (node?.mark?.line ?? 0, node?.mark?.column ?? 0) }
        for (i, (policy, componentNode, prefixNode)) in loaded.enumerated() {
            for (other, otherComponentNode, otherPrefixNode) in loaded[..<i] {
                if other.component == policy.component {
                    let (line, column) = locate(policy, componentNode)
                    let (otherLine, _) = locate(other, otherComponentNode)
                    errors.append(PolicyError(file: policy.sourcePath, line: line, column: column,
                        message: "component '\(policy.component)' is already defined in \(other.sourcePath):\(otherLine), expected each component once"))
                }
                if policy.prefix.hasPrefix(other.prefix) || other.prefix.hasPrefix(policy.prefix) {
                    let (line, column) = locate(policy, prefixNode)
                    let (otherLine, _) = locate(other, otherPrefixNode)
                    errors.append(PolicyError(file: policy.sourcePath, line: line, column: column,
                        message: "prefix '\(policy.prefix)' overlaps prefix '\(other.prefix)' of component '\(other.component)' (\(other.sourcePath):\(otherLine)), expected prefixes where neither starts with the other"))
                }
            }
        }
    }

    /// The policy owning `key` (prefixes do not overlap, so at most one).
    public func policy(forKey key: String) -> Policy? {
        policies.first { key.hasPrefix($0.prefix) }
    }

    /// The policy of a component.
    public func policy(named component: String) -> Policy? {
        policies.first { $0.component == component }
    }
}
