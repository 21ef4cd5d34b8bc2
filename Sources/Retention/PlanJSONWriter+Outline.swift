import Foundation

extension PlanJSONWriter {
    /// Writes the plan `outline` and its sorted placements make, the same bytes as
    /// ``write(_:to:)`` of ``PlanOutline/assemble(_:)``'s plan, without holding the plan:
    /// `placements` is walked twice, once for the actions and once for the sets' members.
    static func write(_ outline: PlanOutline, placements: (_ body: (Placement) throws -> Void) throws -> Void,
                      to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        try write(outline, placements: placements, members: { body in
            // `body` is called only while `placements` runs; the walk just cannot prove it.
            try withoutActuallyEscaping(body) { body in
                try placements { placement in
                    guard placement.isMember else { return }
                    var key = placement.key
                    try key.withUTF8 { try body(placement.component, placement.group, $0) }
                }
            }
        }, to: sink)
    }

    /// As ``write(_:placements:to:)``, with the sets' members read by `members`: the member
    /// placements' component, set and key (UTF-8), in the same order, so a caller holding the
    /// placements encoded builds no `Placement` for the second walk.
    static func write(_ outline: PlanOutline, placements: (_ body: (Placement) throws -> Void) throws -> Void,
                      members: (_ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void,
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
        try members { memberComponent, memberSet, key in
            if open.map({ $0 != (memberComponent, memberSet) }) ?? true {
                advance(to: memberComponent, set: memberSet, &writer)
            }
            if !firstMember { writer.raw(",") }
            firstMember = false
            writer.string(utf8: key)
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

    /// As ``writeJSON(placements:to:)``, with the sets' members read by `members`: the component,
    /// set and key (UTF-8) of every member placement, in the plan's order. Here `placements` may
    /// leave out placements without an action: they write nothing among the actions, and a
    /// component's upload aborts still come after its actions and before the next component's.
    public func writeJSON(placements: (_ body: (Placement) throws -> Void) throws -> Void,
                          members: (_ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void,
                          to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        try PlanJSONWriter.write(self, placements: placements, members: members, to: sink)
    }
}
