import Foundation

extension PlanJSONWriter {
    /// Writes the plan `outline` and its sorted placements make, the same bytes as
    /// ``write(_:to:)`` of ``PlanOutline/assemble(_:)``'s plan, without holding the plan:
    /// `placements` is walked twice, once for the actions and once for the sets' members.
    static func write(_ outline: PlanOutline, placements: (_ body: (Placement) throws -> Void) throws -> Void,
                      versions: (() throws -> Placement?)? = nil, to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        try write(outline, placements: placements, members: { body in
            // `body` is called only while `placements` runs; the walk just cannot prove it.
            try withoutActuallyEscaping(body) { body in
                try placements { placement in
                    // Only a live set's current objects are members (hidden sets' keys and entries are not).
                    guard placement.isMember else { return }
                    var key = placement.key
                    try key.withUTF8 { try body(placement.component, placement.group, $0) }
                }
            }
        }, versions: versions, to: sink)
    }

    /// As ``write(_:placements:to:)``, with the sets' members read by `members`: the member
    /// placements' component, set and key (UTF-8), in the same order, so a caller holding the
    /// placements encoded builds no `Placement` for the second walk. In a plan with versions,
    /// `versions` gives the placements again, in the plan's order, from the start (a third
    /// walk, pulled as each component's hidden sets and noncurrent entries are written; it
    /// may give every placement: those that list nothing there are skipped).
    static func write(_ outline: PlanOutline, placements: (_ body: (Placement) throws -> Void) throws -> Void,
                      members: (_ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void,
                      versions: (() throws -> Placement?)? = nil,
                      to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        var listings = versions.map { VersionListings(outline: outline, next: $0) }
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
        func advance(to c: Int, set s: Int, _ writer: inout PlanJSONWriter) throws {
            close(&writer)
            while component < c {
                if component >= 0 {
                    writer.raw("]")
                    writer.componentTail(plan.components[component])
                }
                component += 1
                if component > 0 { writer.raw(",") }
                if listings != nil {
                    try listings!.writeHead(plan.components[component], at: component, &writer)
                } else {
                    writer.componentHead(plan.components[component])
                }
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
                try advance(to: memberComponent, set: memberSet, &writer)
            }
            if !firstMember { writer.raw(",") }
            firstMember = false
            writer.string(utf8: key)
            writer.flushIfFull()
        }
        try advance(to: plan.components.count - 1, set: -1, &writer)
        if component >= 0 {
            writer.raw("]")
            writer.componentTail(plan.components[component])
        }
        writer.raw("]")
        writer.planTail(plan)
        writer.flush()
    }
}

/// A plan's hidden set members and noncurrent entries, pulled from its sorted placements as
/// each component's head is written.
private struct VersionListings {
    let outline: PlanOutline
    let next: () throws -> Placement?
    private var peeked: Placement?
    private var started = false

    init(outline: PlanOutline, next: @escaping () throws -> Placement?) {
        self.outline = outline
        self.next = next
    }

    /// The next placement of component `c` that `kind` lists, skipping any before it.
    private mutating func take(_ c: Int, _ kind: ComponentOutline.Listing) throws -> Placement? {
        if !started {
            peeked = try next()
            started = true
        }
        while let placement = peeked {
            if placement.component > c { return nil }
            // Members and bare actions are the other walks' to write.
            var listing = placement.component == c ? outline.components[c].listing(of: placement) : nil
            if case .member = listing { listing = nil }
            if let listing, listing > kind { return nil }
            peeked = try next()
            if listing == kind { return placement }
        }
        return nil
    }

    mutating func writeHead(_ plan: ComponentPlan, at c: Int, _ writer: inout PlanJSONWriter) throws {
        try writer.componentHead(plan, hiddenMembers: { writer, h in
            writer.raw("[")
            var first = true
            while let placement = try take(c, .hiddenMember(h)) {
                if !first { writer.raw(",") }
                first = false
                writer.string(placement.key)
                writer.flushIfFull()
            }
            writer.raw("]")
        }, noncurrent: { writer in
            writer.raw("[")
            var first = true
            while let placement = try take(c, .entry), let entry = placement.noncurrent {
                if !first { writer.raw(",") }
                first = false
                writer.entry(entry)
                writer.flushIfFull()
            }
            writer.raw("]")
        })
    }
}

extension PlanOutline {
    /// Streams the plan's compact JSON, as ``Plan/writeJSON(to:)`` of ``assemble(_:)``'s plan
    /// would, from `placements` (sorted by ``Placement/precedes(_:_:)``), which is walked twice.
    /// In a plan with versions, `versions` gives the sorted placements once more, pulled one at
    /// a time, for the hidden sets' members and the noncurrent entries.
    public func writeJSON(placements: (_ body: (Placement) throws -> Void) throws -> Void,
                          versions: (() throws -> Placement?)? = nil,
                          to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        try PlanJSONWriter.write(self, placements: placements, versions: versions, to: sink)
    }

    /// As ``writeJSON(placements:to:)``, with the sets' members read by `members`: the component,
    /// set and key (UTF-8) of every member placement, in the plan's order. Here `placements` may
    /// leave out placements without an action: they write nothing among the actions, and a
    /// component's upload aborts still come after its actions and before the next component's.
    public func writeJSON(placements: (_ body: (Placement) throws -> Void) throws -> Void,
                          members: (_ body: (Int, Int, UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void,
                          versions: (() throws -> Placement?)? = nil,
                          to sink: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        try PlanJSONWriter.write(self, placements: placements, members: members, versions: versions, to: sink)
    }
}
