import Foundation
import Retention

extension ObjectSpool {
    /// This spool's objects, in a new spool in `directory`, in ascending byte order of their
    /// keys, each key's objects in the order they were appended (a stable sort): an inventory
    /// report's rows, which come in no order, made into the key runs the streaming planner
    /// judges a key's versions by (`StreamingPlanner.outline(keyRuns:uploads:now:documents:)`).
    ///
    /// Up to `runLength` objects are sorted in memory at a time; more are written as sorted runs
    /// and merged (``RunMerge``, whose ties go to the earlier run), each run read through a small
    /// buffer, so memory is bounded by `runLength` whatever the spool holds.
    func sortedByKey(directory: String, runLength: Int = 250_000) throws -> ObjectSpool {
        let runLength = max(1, runLength)
        var runs: [ObjectSpool] = []
        var buffer: [InventoryObject] = []
        buffer.reserveCapacity(min(runLength, count))
        func spill() throws {
            let run = try ObjectSpool(directory: directory)
            for index in KeyRuns.order(buffer, key: \.key) { try run.append(buffer[index]) }
            try run.finish()
            runs.append(run)
            buffer.removeAll(keepingCapacity: true)
        }
        try forEachObject { object in
            buffer.append(object)
            if buffer.count == runLength { try spill() }
        }
        if !buffer.isEmpty || runs.isEmpty { try spill() }
        guard runs.count > 1 else { return runs[0] }
        buffer = []
        var merge = try RunMerge(runs.map { run in
            var cursor = run.makeCursor(bufferSize: 64 << 10, whereKey: { _ in true })
            return { try cursor.next() }
        }, by: { KeyRuns.compare($0.key, $1.key) < 0 })
        let sorted = try ObjectSpool(directory: directory)
        while let object = try merge.next() { try sorted.append(object) }
        try sorted.finish()
        return sorted
    }
}
