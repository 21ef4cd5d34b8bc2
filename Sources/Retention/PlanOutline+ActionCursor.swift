import Foundation

extension PlanOutline {
    /// Walks a streamed plan's actions in the plan's order, one placement at a time, for a
    /// caller that awaits between them (the executor, the journal): each component's placements'
    /// actions, then its upload aborts.
    public struct ActionCursor {
        private let outline: PlanOutline
        /// The next component whose aborts are due.
        private var next = 0

        /// A cursor at the start of `outline`'s plan.
        public init(_ outline: PlanOutline) { self.outline = outline }

        /// The actions due when `placement` comes next, in order: the aborts of the components
        /// before its own, then its action, if it has one.
        public mutating func actions(at placement: Placement) -> [PlanAction] {
            var due = aborts(before: placement.component)
            if let action = outline.action(of: placement) { due.append(action) }
            return due
        }

        /// The actions due after the last placement: the aborts not yet given.
        public mutating func finish() -> [PlanAction] { aborts(before: outline.components.count) }

        private mutating func aborts(before component: Int) -> [PlanAction] {
            var due: [PlanAction] = []
            while next < min(component, outline.components.count) {
                due += outline.aborts(of: next)
                next += 1
            }
            return due
        }
    }
}
