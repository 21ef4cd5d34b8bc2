import Foundation
import Logging
import Retention

/// One bucket spooled for the streaming planner and planned as often as a caller needs: each
/// plan checks the holds and locks of what it would delete (each object once, whatever the
/// plan), and rows found not to be in the bucket can be left out of the next plan
/// (``exclude(_:)``), as a sweep from an inventory report does with phantom keepers.
struct StreamedPlanning {
    let maker: PlanMaker
    let now: Date
    let spoolDirectory: String
    /// The listing or report, spooled.
    let spool: ObjectSpool
    private let uploads: [MultipartUploadRecord]
    private let streaming: StreamingPlanner
    private let checks: PlanMaker.Checks?
    /// Pass one already made over the objects as they are now, ready for the next plan's first round.
    private var passOne: StreamingPlanner.PassOne?
    private var documents: [String: String]
    /// The document keys fetched so far (those that failed are not fetched again).
    private var fetched: Set<String>
    /// Tags and locks fetched that hold something.
    private var details: [PlanMaker.ObjectRef: PlanMaker.Detail] = [:]
    /// Every deletion checked so far, in key order.
    private var checked: DeletionSorter?
    /// Rows left out of every plan from now on.
    private(set) var excluded: Set<PlanMaker.ObjectRef> = []
    /// Whether deletions carry what the report said of their object (``Placement/reported``),
    /// for the executor's last check.
    var recordsReported = false

    /// Spools the bucket's listing or report, with pass one on the way, and fetches the
    /// documents the decisions need. A bucket with versions is judged a key's versions at a
    /// time: a `ListObjectVersions` listing gives them in one run; a report's rows are sorted on
    /// disk into key runs first.
    init(maker: PlanMaker, now: Date, spoolDirectory: String) async throws {
        let policies = try maker.context.requirePolicies()
        _ = try maker.selectedPolicies()
        // A listing's versioning, asked once (it decides ListObjectVersions or ListObjectsV2).
        let versioned = maker.source == .listing
            ? try await InventoryBuilder.isVersioned(client: maker.context.client, bucket: maker.context.bucket) : nil
        self.maker = maker
        self.now = now
        self.spoolDirectory = spoolDirectory
        let spooled = try ObjectSpool(directory: spoolDirectory)
        streaming = StreamingPlanner(planner: Planner(policies: policies, pricing: maker.pricing, options: maker.options))
        // Pass one runs as the objects are spooled (it counts them in any order): the spool is
        // read once more, for pass two.
        var passOne = streaming.passOne(now: now)
        uploads = try await maker.spoolInventory(into: spooled, versioned: versioned) { passOne.add($0) }
        // A report's rows come in no key order; a key's versions are judged in one run.
        spool = passOne.versioned && maker.source != .listing ? try spooled.sortedByKey(directory: spoolDirectory) : spooled
        let needed = passOne.documentsNeeded
        documents = try await Self.fetch(needed, maker: maker)
        fetched = Set(needed)
        self.passOne = passOne
        checks = maker.holdCheck == .deletions ? try await maker.checks(versioned: spool.hasVersionIDs, policies: policies) : nil
    }

    /// The objects the next plan reads: the spool without the excluded rows, with the holds
    /// and locks found.
    var objects: HeldObjects { HeldObjects(base: spool, details: details, excluded: excluded) }

    /// Leaves `refs` out of every later plan, and fetches the documents the objects left now
    /// need (a manifest's copy, when its manifest was left out).
    mutating func exclude(_ refs: Set<PlanMaker.ObjectRef>) async throws {
        guard !refs.isSubset(of: excluded) else { return }
        excluded.formUnion(refs)
        var passOne = streaming.passOne(now: now)
        try objects.forEachObject { passOne.add($0) }
        let needed = passOne.documentsNeeded
        documents = documents.filter { needed.contains($0.key) }
        documents.merge(try await Self.fetch(needed.filter { !fetched.contains($0) }, maker: maker)) { old, _ in old }
        fetched.formUnion(needed)
        self.passOne = passOne
    }

    /// The plan of the objects, with holds and locks fetched for every object it would delete
    /// and the bucket planned again with them until no new hold turns up.
    mutating func plan() async throws -> StreamedPlan {
        var round = 1
        while true {
            let objects = self.objects
            // The first round uses the pass one already made; later rounds see the holds found.
            let first = passOne.take()
            var outline = try keyOrdered {
                if let first { try first.outline(uploads: uploads, documents: documents, keyRuns: objects) }
                else { try streaming.outline(keyRuns: objects, uploads: uploads, now: now, documents: documents) }
            }
            let sorter = try place(objects, outline: &outline)
            // Holds and locks only keep more: a round that finds none new is the last.
            var found: [PlanMaker.ObjectRef: PlanMaker.Detail] = [:]
            if let checks {
                found = try await maker.holds(deletedBy: sorter, checks: checks, known: details, checked: &checked, spoolDirectory: spoolDirectory)
            }
            if found.isEmpty || round >= 4 {
                maker.context.logger.info("streamed plan", metadata: [
                    "objects": "\(spool.count)", "spool_bytes": "\(spool.size)", "placement_bytes": "\(sorter.diskBytes)",
                    "hold_rounds": "\(round)"])
                return try StreamedPlan(outline: outline, placements: sorter)
            }
            details.merge(found) { _, new in new }
            round += 1
        }
    }

    /// The plan of the objects with `guards` imposed on their components
    /// (``PlanOptions/imposedGuards``), which block their deletions: after ``plan()``, whose
    /// hold rounds checked every deletion this plan can make (it deletes a subset).
    func plan(imposing guards: [String: GuardFinding]) throws -> StreamedPlan {
        var options = maker.options
        options.imposedGuards = guards
        let streaming = StreamingPlanner(planner: Planner(policies: self.streaming.planner.policies, pricing: maker.pricing, options: options))
        let objects = self.objects
        var outline = try keyOrdered { try streaming.outline(keyRuns: objects, uploads: uploads, now: now, documents: documents) }
        // Placed first: pass two completes the outline's cost.
        let sorter = try place(objects, outline: &outline, streaming: streaming)
        return try StreamedPlan(outline: outline, placements: sorter)
    }

    /// `body`'s outline; a listing whose keys came out of S3's order (which the key-by-key
    /// judging of versions refuses) is a failure naming the bucket and the key.
    private func keyOrdered(_ body: () throws -> PlanOutline) throws -> PlanOutline {
        do {
            return try body()
        } catch let error as KeyOrderError {
            throw StrataError(.failure, "s3://\(maker.context.bucket): \(error)")
        }
    }

    /// Pass two: the placements of `objects` under `outline`, sorted on disk.
    private func place(_ objects: HeldObjects, outline: inout PlanOutline, streaming: StreamingPlanner? = nil) throws -> PlacementSorter {
        let sorter = PlacementSorter(directory: spoolDirectory)
        let records = recordsReported
        try (streaming ?? self.streaming).place(objects, outline: &outline) { placement, object in
            var placement = placement
            if records, placement.action == .delete { placement.reported = ReportedIdentity(of: object) }
            try sorter.add(placement)
        }
        try sorter.finish()
        return sorter
    }

    private static func fetch(_ keys: [String], maker: PlanMaker) async throws -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        return try await PgBackRestDocuments(context: maker.context, onUndecryptable: maker.documentFailure)
            .fetch(keys, policies: try maker.context.requirePolicies().policies).documents
    }
}
