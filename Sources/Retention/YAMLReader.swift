import Yams

/// Walks a composed YAML tree and records located errors instead of throwing at the first one,
/// so a file with several mistakes is reported in one pass.
struct YAMLReader {
    let path: String
    var errors: [PolicyError] = []

    init(path: String) { self.path = path }

    mutating func fail(_ node: Node?, _ message: String) {
        let mark = node?.mark
        errors.append(PolicyError(file: path, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    /// Composes a document; a YAML syntax error becomes a located `PolicyError`.
    mutating func compose(_ text: String) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                errors.append(PolicyError(file: path, line: 1, column: 1, message: "file is empty, expected a YAML mapping"))
                return nil
            }
            return node
        } catch let error as YamlError {
            errors.append(Self.locate(error, path: path))
            return nil
        } catch {
            errors.append(PolicyError(file: path, line: 0, column: 0, message: "cannot parse YAML: \(error)"))
            return nil
        }
    }

    static func locate(_ error: YamlError, path: String) -> PolicyError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PolicyError(file: path, line: mark.line, column: mark.column, message: "invalid YAML: \(problem), expected well-formed YAML")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyError(file: path, line: context.mark.line, column: context.mark.column,
                               message: "duplicate key \(duplicates.joined(separator: ", ")), expected each key once")
        default:
            return PolicyError(file: path, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }

    /// The mapping's entries by key, reporting non-string keys and keys not in `allowed`.
    mutating func mapping(_ node: Node, context: String, allowed: [String]) -> [String: (key: Node, value: Node)]? {
        guard let mapping = node.mapping else {
            fail(node, "\(context) is \(Self.kind(node)), expected a mapping")
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                fail(key, "\(context) has a non-text key, expected one of \(allowed.joined(separator: ", "))")
                continue
            }
            guard allowed.contains(name) else {
                fail(key, "unknown key '\(name)' in \(context), expected one of \(allowed.joined(separator: ", "))")
                continue
            }
            guard entries[name] == nil else {
                fail(key, "duplicate key '\(name)' in \(context), expected each key once")
                continue
            }
            entries[name] = (key, value)
        }
        return entries
    }

    mutating func string(_ node: Node, _ name: String) -> String? {
        guard let scalar = node.scalar, !(scalar.style == .plain && node.null != nil) else {
            fail(node, "\(name) is \(Self.kind(node)), expected text")
            return nil
        }
        return scalar.string
    }

    mutating func int(_ node: Node, _ name: String, minimum: Int, maximum: Int = Int.max) -> Int? {
        guard node.scalar != nil, node.scalar?.style == .plain, let value = node.int else {
            fail(node, "\(name) is \(Self.kind(node)), expected a whole number >= \(minimum)")
            return nil
        }
        guard value >= minimum else {
            fail(node, "\(name) is \(value), expected a whole number >= \(minimum)")
            return nil
        }
        guard value <= maximum else {
            fail(node, "\(name) is \(value), expected a whole number from \(minimum) to \(maximum)")
            return nil
        }
        return value
    }

    /// The largest count a keep rule takes: a million hourly slots is over a century, and the
    /// bound keeps every window the evaluator computes from it far from Int64's limits.
    static let maximumCount = 1_000_000
    /// The longest duration a policy takes (100 years), for the same reason.
    static let maximumDuration = PolicyDuration.days(36_500)

    mutating func bool(_ node: Node, _ name: String) -> Bool? {
        guard node.scalar?.style == .plain, let value = node.bool else {
            fail(node, "\(name) is \(Self.kind(node)), expected true or false")
            return nil
        }
        return value
    }

    mutating func fraction(_ node: Node, _ name: String) -> Double? {
        guard node.scalar?.style == .plain, let value = node.float ?? node.int.map(Double.init), value > 0, value <= 1 else {
            fail(node, "\(name) is \(Self.kind(node)), expected a number greater than 0 and at most 1 (e.g. 0.5)")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node, _ name: String) -> PolicyDuration? {
        guard let text = node.scalar?.string, let value = PolicyDuration(parsing: text) else {
            fail(node, "\(name) is \(Self.kind(node)), expected a duration such as 30d, 12h or 1d12h (units s, m, h, d, w)")
            return nil
        }
        guard value <= Self.maximumDuration else {
            fail(node, "\(name) is '\(text)', expected a duration of at most \(Self.maximumDuration) (100 years)")
            return nil
        }
        return value
    }

    mutating func storageClass(_ node: Node, _ name: String) -> StorageClass? {
        guard let text = node.scalar?.string else {
            fail(node, "\(name) is \(Self.kind(node)), expected a storage class")
            return nil
        }
        let value = StorageClass(rawValue: text)
        guard value.isKnown, !text.isEmpty else {
            fail(node, "unknown storage class '\(text)' in \(name), expected one of \(StorageClass.known.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// How a node reads to a person, for "x is <kind>, expected ..." messages.
    static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if node.null != nil && scalar.style == .plain { return "empty" }
            return "'\(scalar.string)'"
        }
    }
}
