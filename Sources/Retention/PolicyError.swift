/// A problem in a policy or pricing file, located at the offending YAML node.
/// Its description reads `file:line:column: what is wrong, what is expected`.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file path as given in the `PolicySource`.
    public var file: String
    /// 1-based line (0 when the problem concerns the file as a whole).
    public var line: Int
    /// 1-based column (0 when the problem concerns the file as a whole).
    public var column: Int
    /// What is wrong and what is expected.
    public var message: String

    /// Creates an error.
    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found while loading a set of policy files, in file, line, column order.
/// Loading reports them all at once so an operator fixes a file in one pass.
public struct PolicyErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, sorted by file, line, column.
    public var errors: [PolicyError]

    /// Creates the collection, sorting the problems.
    public init(_ errors: [PolicyError]) {
        self.errors = errors.sorted { ($0.file, $0.line, $0.column, $0.message) < ($1.file, $1.line, $1.column, $1.message) }
    }

    /// One problem per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
