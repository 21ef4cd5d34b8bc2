import Foundation

/// Writes a `Plan` as compact JSON with sorted keys, the same document `JSONEncoder` with
/// `.sortedKeys` and ISO 8601 dates produces (it decodes with `Plan.jsonDecoder()`), but about
/// two orders of magnitude faster, which matters for plans with a million actions.
struct PlanJSONWriter {
    private var bytes: [UInt8] = []
    private let sink: (UnsafeRawBufferPointer) -> Void
    /// Bytes are handed to the sink in chunks of about this size, so memory stays flat.
    private static let chunkSize = 1 << 20

    init(sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.sink = sink
        bytes.reserveCapacity(Self.chunkSize + 4_096)
    }

    /// Streams the plan to `sink` in chunks.
    static func write(_ plan: Plan, to sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        var writer = PlanJSONWriter(sink: sink)
        writer.plan(plan)
        writer.flush()
    }

    /// The whole document.
    static func encode(_ plan: Plan) -> Data {
        var data = Data()
        write(plan) { data.append(contentsOf: $0) }
        return data
    }

    mutating func flush() {
        bytes.withUnsafeBytes { sink($0) }
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func flushIfFull() {
        if bytes.count >= Self.chunkSize { flush() }
    }

    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func string(_ text: String) {
        var text = text
        // Native strings hand out their UTF-8 storage; no byte-by-byte walk through UTF8View.
        text.withUTF8 { string(utf8: $0) }
    }

    /// A string given as its UTF-8 (valid UTF-8, as a `String`'s is), quoted and escaped.
    mutating func string(utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(34)
        escaped(utf8)
        bytes.append(34)
    }

    /// Appends `utf8` with JSON's escapes, copying each run that needs none in one go (keys and
    /// reasons rarely need any).
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var run = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            if byte >= 32, byte != 34, byte != 92 { continue }
            if run < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index])) }
            escape(byte)
            run = index + 1
        }
        if run < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...])) }
    }

    /// One byte that JSON needs escaped: a quote, a backslash or a control character.
    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case 34: raw("\\\"")
        case 92: raw("\\\\")
        case 10: raw("\\n")
        case 13: raw("\\r")
        case 9: raw("\\t")
        case 8: raw("\\b")
        case 12: raw("\\f")
        default:
            raw("\\u00")
            bytes.append(Self.hex[Int(byte >> 4)])
            bytes.append(Self.hex[Int(byte & 15)])
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func int(_ value: Int) { int(Int64(value)) }

    /// Decimal digits written straight into the buffer: no `String` for each of a plan's numbers.
    private mutating func int(_ value: Int64) {
        if value < 0 { bytes.append(45) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(48 + magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }
    mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }
    private mutating func double(_ value: Double) {
        guard value.isFinite else { return raw("0") }
        // Like JSONEncoder: whole numbers without a fraction ("0", not "0.0").
        if value == value.rounded(), abs(value) < 1e15 { return int(Int64(value)) }
        bytes.append(contentsOf: String(value).utf8)
    }
    mutating func date(_ value: Date) { string(CivilTime.iso8601(Int64(value.timeIntervalSince1970.rounded(.down)))) }

    /// `"key":` with the comma for every key after the first.
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(44) }
        bytes.append(34)
        raw(name)
        raw("\":")
    }

    private mutating func array<T>(_ items: [T], _ write: (inout PlanJSONWriter, T) -> Void) {
        bytes.append(91)
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(44) }
            write(&self, item)
            flushIfFull()
        }
        bytes.append(93)
    }

    private mutating func plan(_ plan: Plan) {
        raw("{")
        key("actions", first: true); array(plan.actions) { $0.action($1) }
        key("components"); array(plan.components) { $0.component($1) }
        planTail(plan)
    }

    /// A plan after its components' array.
    mutating func planTail(_ plan: Plan) {
        key("cost"); cost(plan.cost)
        key("forced"); bool(plan.forced)
        key("generatedAt"); date(plan.generatedAt)
        key("schemaVersion"); int(plan.schemaVersion)
        key("totals"); totals(plan.totals)
        raw("}")
    }

    mutating func action(_ action: PlanAction) {
        switch action {
        case .delete(let key, let versionID, let reason):
            raw("{\"key\":"); string(key)
            raw(",\"reason\":"); string(reason)
            raw(",\"type\":\"delete\"")
            if let versionID { raw(",\"versionID\":"); string(versionID) }
        case .transition(let key, let from, let to, let reason):
            raw("{\"from\":"); string(from.rawValue)
            raw(",\"key\":"); string(key)
            raw(",\"reason\":"); string(reason)
            raw(",\"to\":"); string(to.rawValue)
            raw(",\"type\":\"transition\"")
        case .abortUpload(let key, let uploadID, let reason):
            raw("{\"key\":"); string(key)
            raw(",\"reason\":"); string(reason)
            raw(",\"type\":\"abortUpload\",\"uploadID\":"); string(uploadID)
        }
        raw("}")
    }

    private mutating func component(_ c: ComponentPlan) {
        componentHead(c)
        array(c.sets) { $0.set($1) }
        componentTail(c)
    }

    /// A component up to its sets' array, whose elements follow.
    mutating func componentHead(_ c: ComponentPlan) {
        componentHead(c, hiddenMembers: { writer, h in writer.members(c.hiddenSets[h].members) },
                      noncurrent: { writer in writer.array(c.noncurrent) { $0.noncurrent($1) } })
    }

    /// A component up to its sets' array, with each hidden set's members and the noncurrent
    /// entries written by the closures (arrays, brackets included), for a writer that streams them.
    mutating func componentHead(_ c: ComponentPlan, hiddenMembers: (inout PlanJSONWriter, Int) throws -> Void,
                                noncurrent entries: (inout PlanJSONWriter) throws -> Void) rethrows {
        raw("{")
        key("component", first: true); string(c.component)
        key("cost"); cost(c.cost)
        key("guards"); array(c.guards) { $0.guardFinding($1) }
        key("hiddenSets"); raw("[")
        for (h, set) in c.hiddenSets.enumerated() {
            if h > 0 { raw(",") }
            setHead(set)
            try hiddenMembers(&self, h)
            setTail(set)
        }
        raw("]")
        key("noncurrent"); try entries(&self)
        key("policyFile"); string(c.policyFile)
        key("sets")
    }

    /// An array of keys.
    mutating func members(_ keys: [String]) { array(keys) { $0.string($1) } }

    /// A noncurrent version's entry, as an element of the component's `noncurrent` array.
    mutating func entry(_ v: NoncurrentVersion) { noncurrent(v) }

    /// A component after its sets' array.
    mutating func componentTail(_ c: ComponentPlan) {
        key("totals"); totals(c.totals)
        if let unchecked = c.uncheckedWAL {
            key("uncheckedWAL"); raw("{")
            key("bytes", first: true); int(unchecked.bytes)
            key("monthlyCost"); double(unchecked.monthlyCost)
            key("objects"); int(unchecked.objects)
            key("reason"); string(unchecked.reason)
            raw("}")
        }
        key("unrecognizedKeys"); array(c.unrecognizedKeys) { $0.string($1) }
        key("warnings"); array(c.warnings) { $0.string($1) }
        raw("}")
    }

    private mutating func set(_ s: PlanSet) {
        setHead(s)
        array(s.members) { $0.string($1) }
        setTail(s)
    }

    /// A set up to its members' array, whose elements follow.
    mutating func setHead(_ s: PlanSet) {
        raw("{")
        key("bytes", first: true); int(s.bytes)
        key("cannotDelete"); bool(s.cannotDelete)
        key("currentClasses"); array(s.currentClasses) { $0.string($1.rawValue) }
        key("decision"); string(s.decision.rawValue)
        key("id"); string(s.id)
        key("members")
    }

    /// A set after its members' array.
    mutating func setTail(_ s: PlanSet) {
        key("objectCount"); int(s.objectCount)
        if let expiry = s.projectedExpiry { key("projectedExpiry"); date(expiry) }
        key("reasons"); array(s.reasons) { w, r in
            w.raw("{\"kind\":"); w.string(r.kind.rawValue); w.raw(",\"text\":"); w.string(r.text); w.raw("}")
        }
        key("series"); string(s.series)
        if let target = s.targetClass { key("targetClass"); string(target.rawValue) }
        key("time"); date(s.time)
        raw("}")
    }

    private mutating func noncurrent(_ v: NoncurrentVersion) {
        raw("{")
        key("decision", first: true); string(v.decision.rawValue)
        key("hidden"); bool(v.hidden)
        key("isDeleteMarker"); bool(v.isDeleteMarker)
        key("key"); string(v.key)
        key("monthlyCost"); double(v.monthlyCost)
        if let since = v.noncurrentSince { key("noncurrentSince"); date(since) }
        if let expiry = v.projectedExpiry { key("projectedExpiry"); date(expiry) }
        key("reason"); string(v.reason)
        key("size"); int(v.size)
        key("storageClass"); string(v.storageClass.rawValue)
        if let version = v.versionID { key("versionID"); string(version) }
        raw("}")
    }

    private mutating func guardFinding(_ g: GuardFinding) {
        raw("{")
        key("blocking", first: true); bool(g.blocking)
        key("component"); string(g.component)
        key("kind"); string(g.kind.rawValue)
        key("message"); string(g.message)
        key("series"); string(g.series)
        raw("}")
    }

    mutating func totals(_ t: PlanTotals) {
        raw("{")
        key("abortedUploads", first: true); int(t.abortedUploads)
        key("byClass"); array(t.byClass) { w, c in
            w.raw("{\"bytes\":"); w.int(c.bytes); w.raw(",\"objects\":"); w.int(c.objects)
            w.raw(",\"storageClass\":"); w.string(c.storageClass.rawValue); w.raw("}")
        }
        key("bytes"); int(t.bytes)
        key("deleteBytes"); int(t.deleteBytes)
        key("deletes"); int(t.deletes)
        key("expiringSets"); int(t.expiringSets)
        key("objects"); int(t.objects)
        key("sets"); int(t.sets)
        key("transitionBytes"); int(t.transitionBytes)
        key("transitions"); int(t.transitions)
        key("unrecognized"); int(t.unrecognized)
        raw("}")
    }

    mutating func cost(_ c: PlanCost) {
        raw("{")
        key("earlyDeletion", first: true); double(c.earlyDeletion)
        key("monthlyAfter"); double(c.monthlyAfter)
        key("monthlyBefore"); double(c.monthlyBefore)
        key("transitionRequests"); double(c.transitionRequests)
        raw("}")
    }
}
