import Foundation
import Retention

extension SweepExecutor {
    /// The prefixes of the components whose agreed deletions the ``DeletionFloor`` withholds
    /// (`nil` for none), counted from the fresh `objects` and the `agreed` deletions alone (only
    /// the `confirmed` sets count, when given); each is recorded as a failure (the sweep exits 1)
    /// and its deletions as skipped.
    func floorWithholds(_ agreed: SpoolFile, objects: some ObjectStream, now: Date, confirmed: [String: Set<String>]?,
                        spoolDirectory: String, entry: inout SweepJournal.Entry) throws -> WithheldPrefixes? {
        let floor = DeletionFloor(policies: try context.requirePolicies())
        var tally = floor.tally()
        var versioned = false
        try objects.forEachObject { object in
            if object.isCurrent { tally.addCurrent(key: object.key) } else { versioned = true }
        }
        if versioned {
            try Self.countDeletionsOfCurrent(agreed, objects: objects, spoolDirectory: spoolDirectory, into: &tally)
        } else {
            // Every object is current: every deletion takes one.
            try agreed.forEach { tally.addDeletion(ofCurrent: try DeletionSorter.decodeChecked(&$0).key) }
        }
        let violations = tally.violations(now: now, confirmed: confirmed)
        guard !violations.isEmpty else { return nil }
        for violation in violations {
            context.logger.critical("deletions withheld by the floor", metadata: ["violation": "\(violation)"])
            entry.failures.append(violation.description)
        }
        let withheld = WithheldPrefixes(components: Set(violations.map(\.component)), policies: floor.policies)
        try agreed.forEach { reader in
            if withheld.contains(try DeletionSorter.decodeChecked(&reader).key) { entry.done.skipped += 1 }
        }
        return withheld
    }

    /// Counts into `tally` the `agreed` deletions (in key order) that take a current object of
    /// `objects`, a bucket with versions: a deletion of a noncurrent version or of a delete
    /// marker takes no set. Which versions are current is read from the objects themselves, not
    /// from the plan, so that the floor shares nothing with the planner but the grouping: the
    /// current versions are sorted on disk into the deletions' order and the two are merged.
    private static func countDeletionsOfCurrent(_ agreed: SpoolFile, objects: some ObjectStream, spoolDirectory: String,
                                                into tally: inout DeletionFloor.Tally) throws {
        let current = DeletionSorter(directory: spoolDirectory)
        try objects.forEachObject { object in
            if object.isCurrent { try current.add(DeletionRef(key: object.key, versionID: object.versionID).unversionedAsNil) }
        }
        try current.finish()
        var currents = try current.makeIterator()
        var next = try currents.next()
        // The current versions of the key the deletions are at: one, unless a server lists more.
        var key: String?, versions: [String?] = []
        try agreed.forEach { reader in
            let ref = try DeletionSorter.decodeChecked(&reader)
            if key.map({ KeyRuns.compare($0, ref.key) != 0 }) ?? true {
                key = ref.key
                versions.removeAll(keepingCapacity: true)
                while let object = next, KeyRuns.compare(object.key, ref.key) < 0 { next = try currents.next() }
                while let object = next, KeyRuns.compare(object.key, ref.key) == 0 {
                    versions.append(object.versionID)
                    next = try currents.next()
                }
            }
            // "null" and no version name the same object, as S3 takes them.
            if versions.contains(ref.unversionedAsNil.versionID) { tally.addDeletion(ofCurrent: ref.key) }
        }
    }
}

extension DeletionRef {
    /// The same deletion with the version `"null"` (an object written before versioning was
    /// turned on) named as no version, as S3 takes both.
    var unversionedAsNil: DeletionRef {
        var ref = self
        if ref.versionID == "null" { ref.versionID = nil }
        return ref
    }
}
