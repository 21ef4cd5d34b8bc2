import Foundation

/// A value computed the first time it is asked for, and only then.
final class Lazy<Value>: @unchecked Sendable {
    private var computed: Value?
    private let compute: () -> Value
    private let lock = NSLock()

    init(_ compute: @escaping () -> Value) { self.compute = compute }

    /// The value, computed on first use.
    var value: Value {
        lock.withLock {
            if let computed { return computed }
            let value = compute()
            computed = value
            return value
        }
    }
}
