import Foundation

/// The planner for inventories too large to hold: two passes over an ``ObjectStream``, with
/// memory that grows with the number of sets, not of objects.
///
/// 1. ``outline(_:uploads:now:documents:)`` reads every object once and keeps, per set, its
///    time, count, bytes, classes, holds and locks; per component its class totals, log
///    positions and sizes. It then decides each set with the same steps as ``Planner`` (keep
///    rules, layout constraints, guards) and returns the plan without members or actions.
/// 2. ``place(_:outline:into:)`` reads the objects again and hands each member and each log
///    object an action touches to a sink as a ``Placement``. Sorted by ``Placement/precedes(_:_:)``
///    (on disk where large: StrataKit), the placements complete the plan
///    (``PlanOutline/assemble(_:)``) in the same order, byte for byte, as ``Planner/plan(inventory:now:documents:)``.
///
/// It plans buckets whose objects are all current (no noncurrent versions, no delete markers);
/// for any other, `outline` returns `nil` and the caller plans in memory, where hidden sets and
/// noncurrent versions are judged key by key.
public struct StreamingPlanner: Sendable {
    /// Policies, prices and options, as for the in-memory planner.
    public let planner: Planner

    /// Creates a streaming planner with `planner`'s policies, prices and options.
    public init(planner: Planner) { self.planner = planner }

    /// The documents ``outline(_:uploads:now:documents:)`` needs, as ``Planner/documentsNeeded(inventory:)``
    /// names them, from one pass that keeps only the objects that could be documents.
    public func documentsNeeded(_ objects: some ObjectStream) throws -> [String] {
        var documents = DocumentCandidates(planner: planner)
        // Keys are tested as bytes: only the few documents are decoded into objects.
        try objects.forEachObject(whereKey: { documents.mayBeDocument($0) }) { documents.candidates.append($0) }
        return documents.needed
    }

    /// Pass one and the decisions: the plan of `objects` without members and actions, or `nil`
    /// when an object is a noncurrent version or a delete marker.
    public func outline(_ objects: some ObjectStream, uploads: [MultipartUploadRecord], now: Date,
                        documents: [String: String]) throws -> PlanOutline? {
        var tally = passOne(now: now)
        try objects.forEachObject { tally.add($0) }
        return tally.outline(uploads: uploads, documents: documents)
    }

    /// Pass one, fed an object at a time: a reader that spools a listing or report can tally it
    /// on the way, so the spool is read once for the plan, not three times.
    public func passOne(now: Date) -> PassOne { PassOne(planner: planner, now: now) }

    /// Pass two: every current member of a set, and every log object an action touches, as a
    /// placement, in the order of `objects` (sort them before ``PlanOutline/assemble(_:)``).
    /// Also completes the outline's cost and placement warnings.
    public func place(_ objects: some ObjectStream, outline: inout PlanOutline, into sink: (Placement) throws -> Void) throws {
        try place(objects, outline: &outline) { placement, _ in try sink(placement) }
    }

    /// ``place(_:outline:into:)``, handing the sink each placement with the object it places.
    public func place(_ objects: some ObjectStream, outline: inout PlanOutline,
                      into sink: (Placement, InventoryObject) throws -> Void) throws {
        if outline.components.contains(where: \.versioned) {
            try placeKeyRuns(objects, outline: &outline, into: sink)
            return outline.finishCosts()
        }
        try objects.forEachObject { object in
            guard let slot = Planner.owner(of: object.key, prefixes: outline.prefixes) else { return }
            if let placement = outline.components[slot].place(object) {
                var placement = placement
                placement.component = slot
                try sink(placement, object)
            }
        }
        outline.finishCosts()
    }
}

extension Planner {
    /// The policies this run plans.
    var activePolicies: [Policy] {
        policies.policies.filter { options.components?.contains($0.component) ?? true }
    }
}

/// What pass one keeps of one component: per set its aggregate, per component its totals.
struct SetTally {
    let policy: Policy
    let now: Int64
    let pricing: PricingTable
    var grouper: any SetGrouper
    /// Per grouper slot.
    var sets: [SetAggregate] = []
    var classes = ClassTally()
    /// Bytes outside future-dated sets, in inventory order (saturating), for the delete-fraction guard.
    var nonFutureBytes: Int64 = 0
    var unrecognized = Set<String>()
    /// The log, in inventory order: positions and sizes.
    var log: [(position: UInt64, size: Int64)] = []
    var logBytes: Int64 = 0
    var logMonthlyCost = 0.0

    /// Whether an object was a noncurrent version or a delete marker.
    var versioned = false

    /// One set as pass one sees it. Count, bytes and classes are of its current objects (its
    /// members); the rest covers its noncurrent versions and delete markers too.
    struct SetAggregate {
        var count = 0
        var bytes: Int64 = 0
        /// Classes of its members, in the order first met.
        var classes: [StorageClass] = []
        var candidate: KeepEvaluator.Candidate
        /// Its noncurrent versions and delete markers.
        var versions = 0
        /// Whether one of them has data (a hidden backup, when the set has no member).
        var hasHiddenData = false
        /// Bytes of every version, current or not: what deleting the set frees.
        var allBytes: Int64 = 0
        /// When the delete markers that are the latest version of their key were placed, first
        /// and last (epoch seconds, rounded down), for the marker incident guard.
        var latestMarkers: (first: Int64, last: Int64)? = nil

        /// Whether the set has a current object: live, or else hidden or only markers.
        var isLive: Bool { count > 0 }
    }

    init(policy: Policy, now: Int64, pricing: PricingTable) {
        self.policy = policy
        self.now = now
        self.pricing = pricing
        grouper = policy.backupLayout.makeGrouper()
    }

    private var futureCutoff: Int64 { now.saturatingAdd(policy.guards.futureTolerance.seconds) }

    /// Counts one object (version) under the component's prefix.
    mutating func add(_ object: InventoryObject) {
        if !object.isCurrent { versioned = true }
        classes.add(object.storageClass, object.size)
        switch grouper.classify(object.key) {
        case .member(let slot):
            while sets.count <= slot {
                sets.append(SetAggregate(candidate: KeepEvaluator.Candidate(epoch: grouper.records[sets.count].epoch, tagged: false)))
            }
            sets[slot].add(object)
            if grouper.records[slot].epoch > futureCutoff { return }
        case .log(let position):
            log.append((position, object.size))
            logBytes.saturatingIncrease(by: object.size)
            logMonthlyCost += pricing.monthlyCost(size: object.size, in: object.storageClass)
        case .unrecognized:
            unrecognized.insert(object.key)
        case .metadata:
            break
        }
        nonFutureBytes = nonFutureBytes.saturatingAdd(object.size)
    }
}

extension SetTally.SetAggregate {
    /// Counts one object of the set: a member if current, else a version behind one.
    mutating func add(_ object: InventoryObject) {
        candidate.add(object)
        allBytes = allBytes.saturatingAdd(object.size)
        if object.isCurrent {
            count += 1
            bytes = bytes.saturatingAdd(object.size)
            if !classes.contains(object.storageClass) { classes.append(object.storageClass) }
            return
        }
        versions += 1
        if !object.isDeleteMarker { hasHiddenData = true }
        if object.isLatest && object.isDeleteMarker {
            let placed = Int64(object.lastModified.timeIntervalSince1970.rounded(.down))
            latestMarkers = latestMarkers.map { (min($0.first, placed), max($0.last, placed)) } ?? (placed, placed)
        }
    }
}
