import Foundation

/// A bucket with versions through the streaming planner. Each key's versions are judged
/// together, so the stream must give every version of a key in one run, as a
/// `ListObjectVersions` listing does; memory then holds one key's versions at a time.
extension StreamingPlanner {
    /// Pass one and the decisions of any bucket, with versions or without: `objects` gives every
    /// version of a key in one run (``forEachKeyRun(_:prefixes:_:)``), and is walked twice when
    /// it has versions.
    public func outline(keyRuns objects: some ObjectStream, uploads: [MultipartUploadRecord], now: Date,
                        documents: [String: String]) throws -> PlanOutline {
        var tally = passOne(now: now)
        try objects.forEachObject { tally.add($0) }
        return try tally.outline(uploads: uploads, documents: documents, keyRuns: objects)
    }

    /// Calls `body` with each run of versions of one key under one of `prefixes` (the run's
    /// component first), in the order of `objects`. Keys are compared as bytes: two keys that
    /// Unicode takes as one are two S3 keys.
    /// - Throws: ``KeyOrderError`` when a component's keys do not come in ascending byte order,
    ///   as S3 lists them: a key's versions could then be split over two runs, and judged apart.
    static func forEachKeyRun(_ objects: some ObjectStream, prefixes: [[UInt8]],
                              _ body: (Int, [InventoryObject]) throws -> Void) throws {
        var run: [InventoryObject] = []
        var runKey: [UInt8] = []
        var runOwner = 0
        // Per component, the key of its last run.
        var last = [[UInt8]?](repeating: nil, count: prefixes.count)
        try objects.forEachObject { object in
            var key = object.key
            let (owner, same) = key.withUTF8 { bytes in
                (Planner.owner(of: bytes, prefixes: prefixes), !run.isEmpty && bytes.elementsEqual(runKey))
            }
            if same { return run.append(object) }
            if !run.isEmpty { try body(runOwner, run) }
            run.removeAll(keepingCapacity: true)
            guard let owner else { return }
            let bytes = Array(object.key.utf8)
            if let previous = last[owner], !previous.lexicographicallyPrecedes(bytes) {
                throw KeyOrderError(key: object.key, after: String(decoding: previous, as: UTF8.self))
            }
            last[owner] = bytes
            runOwner = owner
            runKey = bytes
            run.append(object)
        }
        if !run.isEmpty { try body(runOwner, run) }
    }

    /// Pass two of a plan with versions: each key's run of versions placed together.
    func placeKeyRuns(_ objects: some ObjectStream, outline: inout PlanOutline,
                      into sink: (Placement, InventoryObject) throws -> Void) throws {
        try Self.forEachKeyRun(objects, prefixes: outline.prefixes) { slot, versions in
            if outline.components[slot].versioned {
                try outline.components[slot].place(versionsOf: versions) { placement, object in
                    var placement = placement
                    placement.component = slot
                    try sink(placement, object)
                }
                return
            }
            for object in versions {
                guard var placement = outline.components[slot].place(object) else { continue }
                placement.component = slot
                try sink(placement, object)
            }
        }
    }
}

extension StreamingPlanner.PassOne {
    /// The decisions of any bucket, with versions or without: for a bucket with versions,
    /// `keyRuns` (the objects pass one counted, every version of a key in one run) is walked
    /// once more to judge each key's versions before the guards are weighed.
    public func outline(uploads: [MultipartUploadRecord], documents: [String: String], keyRuns: some ObjectStream) throws -> PlanOutline {
        var outline = makeOutline(uploads: uploads, documents: documents)
        guard outline.components.contains(where: \.awaitsVersions) else { return outline }
        try StreamingPlanner.forEachKeyRun(keyRuns, prefixes: outline.prefixes) { slot, versions in
            if outline.components[slot].awaitsVersions { outline.components[slot].judge(versionsOf: versions) }
        }
        for i in outline.components.indices { outline.components[i].finishJudging() }
        return outline
    }
}

/// A stream of versions whose keys are not in ascending byte order within a component: the
/// streaming planner judges each key's versions together, so it refuses such a stream rather
/// than judge one key's versions apart. A `ListObjectVersions` listing from a server that keeps
/// S3's order never gives one.
public struct KeyOrderError: Error, CustomStringConvertible {
    /// The key out of order, and the key before it.
    public let key: String
    public let after: String

    public var description: String {
        "the listing's keys are out of order: \"\(TerminalText.escaped(key))\" came after \"\(TerminalText.escaped(after))\" (S3 lists keys in ascending byte order); nothing was planned"
    }
}
