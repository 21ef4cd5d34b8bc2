/// Arithmetic on numbers that come from outside (object sizes, times, policy durations) that
/// stops at the type's bounds instead of trapping: a planted size near `Int64.max` or a policy
/// window of `9223372036854775807s` must not crash a sweep. A sum that saturates is still larger
/// than any real bucket, so every comparison it feeds stays on the safe side. `package`: the
/// application's sums of such numbers (audit totals, a retrieval's bytes) use the same.
extension Int64 {
    /// `self + other`, clamped to `Int64.min...Int64.max`.
    package func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// Adds `other`, saturating.
    package mutating func saturatingIncrease(by other: Int64) { self = saturatingAdd(other) }

    /// `self - other`, clamped to `Int64.min...Int64.max`.
    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self * other`, clamped to `Int64.min...Int64.max`.
    func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}

extension Sequence {
    /// The sum of `value` over the elements, saturating at `Int64.max`.
    package func saturatingSum(_ value: (Element) -> Int64) -> Int64 {
        reduce(Int64(0)) { $0.saturatingAdd(value($1)) }
    }
}
