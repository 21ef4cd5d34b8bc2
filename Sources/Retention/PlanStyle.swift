/// How `PlanTable` marks up parts of the plan for a terminal. Retention knows nothing about
/// terminals: the caller decides what a role looks like (the CLI uses ANSI colours on a TTY),
/// and `plain` leaves the text as it is. Markup is applied after padding, so columns stay aligned
/// whatever escape sequences the style adds.
public struct PlanStyle: Sendable {
    /// What a piece of text is.
    public enum Role: Sendable {
        /// A component heading.
        case heading
        /// A set that is kept.
        case keep
        /// A set that expires.
        case expire
        /// A target storage class (the set moves).
        case transition
        /// A blocking guard or a blocked plan.
        case blocked
        /// A warning or unrecognized keys.
        case warning
    }

    /// Marks up `text` in `role`.
    public var apply: @Sendable (_ text: String, _ role: Role) -> String

    /// Creates a style.
    public init(apply: @escaping @Sendable (_ text: String, _ role: Role) -> String) {
        self.apply = apply
    }

    /// No markup.
    public static let plain = PlanStyle { text, _ in text }
}
