import Foundation

extension PlanJSONWriter {
    /// Writes the plan `outline` and its sorted placements make, the same bytes as
    /// ``write(_:to:)`` of ``PlanOutline/assemble(_:)``'s plan, without holding the plan:
    /// `placements` is walked twice, once for the actions and once for the sets' members.
    static func write(_ outline: PlanOutline, placements: (_ body: (Placement) throws -> Void) throws -> Void,
                      to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        var writer = PlanJSONWriter(sink: sink)
        writer.raw("{")
        writer.key("actions", first: true)
        writer.raw("[")
        var first = true
        let plan = try outline.forEachAction(placements) { action in
            if !first { writer.raw(",") }
            first = false
            writer.action(action)
            writer.flushIfFull()
        }
        writer.raw("]")

        // Components: every set's members come from the placements, in the same order.
        writer.key("components")
        writer.raw("[")
        var open: (component: Int, set: Int)? = nil  // the set whose members are being written
        var component = -1  // the component whose sets are being written
        var firstMember = true
        func close(_ writer: inout PlanJSONWriter) {
            guard let (c, s) = open else { return }
            writer.raw("]")
            writer.setTail(plan.components[c].sets[s])
            open = nil
        }
        /// Moves on to set `s` of component `c`, writing every set and component before it.
        func advance(to c: Int, set s: Int, _ writer: inout PlanJSONWriter) {
            close(&writer)
            while component < c {
                if component >= 0 {
                    writer.raw("]")
                    writer.componentTail(plan.components[component])
                }
                component += 1
                if component > 0 { writer.raw(",") }
                writer.componentHead(plan.components[component])
                writer.raw("[")
            }
            guard s >= 0 else { return }
            if s > 0 { writer.raw(",") }
            writer.setHead(plan.components[c].sets[s])
            writer.raw("[")
            open = (c, s)
            firstMember = true
        }
        try placements { placement in
            guard placement.isMember else { return }
            if open.map({ $0 != (placement.component, placement.group) }) ?? true {
                advance(to: placement.component, set: placement.group, &writer)
            }
            if !firstMember { writer.raw(",") }
            firstMember = false
            writer.string(placement.key)
            writer.flushIfFull()
        }
        advance(to: plan.components.count - 1, set: -1, &writer)
        if component >= 0 {
            writer.raw("]")
            writer.componentTail(plan.components[component])
        }
        writer.raw("]")
        writer.planTail(plan)
        writer.flush()
    }
}

extension PlanOutline {
    /// Streams the plan's compact JSON, as ``Plan/writeJSON(to:)`` of ``assemble(_:)``'s plan
    /// would, from `placements` (sorted by ``Placement/precedes(_:_:)``), which is walked twice.
    public func writeJSON(placements: (_ body: (Placement) throws -> Void) throws -> Void,
                          to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        try PlanJSONWriter.write(self, placements: placements, to: sink)
    }
}
