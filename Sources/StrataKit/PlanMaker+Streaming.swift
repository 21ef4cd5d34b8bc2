import Foundation
import Retention

extension PlanMaker {
    /// The plan of the bucket as it is now, for the instant `now`, made by the streaming planner:
    /// the listing or report is spooled to `spoolDirectory` and read twice, and the plan's members
    /// and actions are sorted on disk. A bucket with versions is planned a key's versions at a
    /// time (a report's rows sorted on disk into key runs first).
    ///
    /// Holds and locks are fetched for every object the plan would delete, as ``plan(inventory:now:)``
    /// does, and the bucket is planned again with them until no new hold turns up.
    public func makeStreamedPlan(now: Date, spoolDirectory: String = NSTemporaryDirectory()) async throws -> StreamedPlan {
        try await makeStreamedPlanAndSpool(now: now, spoolDirectory: spoolDirectory).plan
    }

    /// The plan of the bucket without members and actions (``StreamedPlan/summary``): what
    /// `strata metrics` needs, made by the streaming planner in memory that grows with the sets.
    public func makeSummary(now: Date, spoolDirectory: String = NSTemporaryDirectory()) async throws -> Plan {
        try await makeStreamedPlan(now: now, spoolDirectory: spoolDirectory).summary
    }

    /// ``makeStreamedPlan(now:spoolDirectory:)``, with the spooled objects the plan was made from.
    func makeStreamedPlanAndSpool(now: Date, spoolDirectory: String) async throws -> (plan: StreamedPlan, objects: ObjectSpool) {
        var planning = try await StreamedPlanning(maker: self, now: now, spoolDirectory: spoolDirectory)
        return (try await planning.plan(), planning.spool)
    }

    /// The objects of the selected components into `spool`, from a listing or the report, each
    /// shown to `observe` on the way; the incomplete uploads. `versioned` is the bucket's
    /// versioning for a listing, when just asked.
    func spoolInventory(into spool: ObjectSpool, versioned: Bool?,
                        observe: @escaping (InventoryObject) -> Void) async throws -> [MultipartUploadRecord] {
        switch source {
        case .listing:
            return try await InventoryBuilder(context: context).spool(policies: try selectedPolicies(), into: spool, versioned: versioned,
                                                                      observe: observe)
        case .report(let location, let maximumAge, let allowsUnverifiedFiles):
            var reader = InventoryReportReader(context: context, location: location)
            reader.maximumAge = maximumAge
            reader.allowsUnverifiedFiles = allowsUnverifiedFiles
            return try await reader.spool(policies: try selectedPolicies(), into: spool, observe: observe)
        }
    }

    /// The tags and lock state of every object `sorter`'s plan deletes that no earlier round
    /// `checked`, fetched in batches, that hold something `known` did not: a `strata-hold` tag or
    /// a lock. `checked` becomes every deletion checked so far.
    func holds(deletedBy sorter: PlacementSorter, checks: Checks, known: [ObjectRef: Detail],
                       checked: inout DeletionSorter?, spoolDirectory: String) async throws -> [ObjectRef: Detail] {
        // A plan that deletes nothing (a guard blocked it) needs no walk of its placements.
        guard checks.isNeeded, sorter.tally.deletions > 0 else { return [:] }
        // Only what a check can find something on (``fetchDetails`` would skip the others).
        var deletions = try DeletionSorter(deletionsOf: sorter, directory: spoolDirectory, where: { placement in
            checks.applies(to: placement.key, isDeleteMarker: placement.isDeleteMarker)
        }).makeIterator()
        var earlier = try checked?.makeIterator()
        var next = try earlier?.next()
        let union = DeletionSorter(directory: spoolDirectory)
        var found: [ObjectRef: Detail] = [:]
        var batch: [ObjectRef] = []
        func fetch() async throws {
            for (ref, detail) in try await fetchDetails(batch, checks: checks)
            where (detail.tags?[Planner.holdTag] != nil || detail.lock != nil) && known[ref] == nil {
                found[ref] = detail
            }
            batch.removeAll(keepingCapacity: true)
        }
        // Both in key order: a merge finds this round's deletions no earlier round checked.
        while let ref = try deletions.next() {
            while let old = next, DeletionRef.precedes(old, ref) {
                try union.add(old)
                next = try earlier?.next()
            }
            try union.add(ref)
            if let old = next, DeletionRef.same(old, ref) {
                next = try earlier?.next()
                continue
            }
            // A batch at a time, so memory holds one batch of keys, not every deletion's.
            batch.append(ObjectRef(key: ref.key, versionID: ref.versionID))
            if batch.count == 10_000 { try await fetch() }
        }
        while let old = next {
            try union.add(old)
            next = try earlier?.next()
        }
        if !batch.isEmpty { try await fetch() }
        try union.finish()
        checked = union
        return found
    }

    /// The policies of the selected components.
    /// - Throws: `StrataError(.configuration)` naming a selected component no policy has.
    func selectedPolicies() throws -> [Policy] {
        let policies = try context.requirePolicies()
        if let wanted = options.components {
            let unknown = wanted.subtracting(policies.policies.map(\.component))
            if !unknown.isEmpty {
                throw StrataError(.configuration, "unknown component \(unknown.sorted().joined(separator: ", ")); expected one of \(policies.policies.map(\.component).joined(separator: ", "))")
            }
        }
        return policies.policies.filter { options.components?.contains($0.component) ?? true }
    }
}

/// The spooled objects with the tags and locks fetched for some of them, without the rows
/// `excluded` names.
struct HeldObjects: ObjectStream {
    let base: ObjectSpool
    let details: [PlanMaker.ObjectRef: PlanMaker.Detail]
    var excluded: Set<PlanMaker.ObjectRef> = []

    func forEachObject(_ body: (InventoryObject) throws -> Void) throws {
        guard !details.isEmpty || !excluded.isEmpty else { return try base.forEachObject(body) }
        try base.forEachObject { object in
            let ref = PlanMaker.ObjectRef(key: object.key, versionID: object.versionID)
            guard !excluded.contains(ref) else { return }
            guard let detail = details[ref] else { return try body(object) }
            var object = object
            if let tags = detail.tags { object.tags = tags }
            if detail.checkedLock { object.objectLock = detail.lock }
            try body(object)
        }
    }
}
