import Foundation

/// How one backup tool lays out a component's objects under its prefix: everything the planner,
/// the deletion floor and `retrieve` need to know about that tool, and nothing else does.
///
/// The planner's steps (``ComponentPlanner``) know no layout: they ask the component's layout to
/// group the objects into sets, to name the documents it must read, and, from those documents,
/// for the constraints between sets (``LayoutConstraints``). A third backup tool is one new type
/// conforming to this protocol, and one case of ``Policy/Layout`` that makes it.
protocol BackupLayout: Sendable {
    /// A fresh classifier of this layout's keys, which names sets as it meets them.
    func makeGrouper() -> any SetGrouper

    /// The id of the set `key` (a key under the policy prefix) belongs to, as ``PlanSet/id``
    /// names it; `nil` for a key in no set.
    func setID(ofKey key: String) -> String?

    /// Keys whose contents planning needs (sorted, or in the order they are to be tried), given
    /// the component's objects at `indices`.
    func documentsNeeded(_ objects: [InventoryObject], indices: [ObjectIndex]) -> [String]

    /// Whether `key` could be one of the documents ``documentsNeeded(_:indices:)`` names, so a
    /// pass over a stream keeps only those objects to ask it.
    func mayBeDocument(_ key: String) -> Bool

    /// ``mayBeDocument(_:)`` of a key given as UTF-8, set up once for a pass over many keys, so
    /// the pass builds no `String` for the keys it skips.
    func documentKeyTest() -> (UnsafeBufferPointer<UInt8>) -> Bool

    /// What the documents say about the sets beyond their keys: dependencies between sets, log
    /// objects that may go, keys never moved.
    func constraints(sets: [SetRecord], documents: [String: String]) -> any LayoutConstraints

    /// The keys of the documents a retrieval of one set reads, in the order they are tried: the
    /// first present is read.
    var retrievalDocumentCandidates: [String] { get }

    /// What restoring `set` needs besides its members: the sets it depends on, and the keys
    /// outside the sets; `documents` holds the first of ``retrievalDocumentCandidates`` present, if
    /// it could be read.
    func retrievalNeeds(of set: PlanSet, sets: [PlanSet], documents: [String: String]) -> RetrievalNeeds
}

extension BackupLayout {
    func documentKeyTest() -> (UnsafeBufferPointer<UInt8>) -> Bool {
        { mayBeDocument(String(decoding: $0, as: UTF8.self)) }
    }
}

/// What a key is to its layout.
enum KeyRole: Equatable {
    /// A file of the set at `slot` in the grouper's ``SetGrouper/records``.
    case member(slot: Int)
    /// The layout's metadata (pgBackRest's info and history files): always kept, never moved.
    case metadata
    /// A log object (a WAL segment) at `position` in the log.
    case log(position: UInt64)
    /// A key the layout does not recognize: reported, never touched.
    case unrecognized
}

/// Classifies one component's keys, one at a time, in any order, and names the sets it meets:
/// the one place a layout's key grammar is applied, by the in-memory grouping and by a pass over
/// a spooled inventory alike.
protocol SetGrouper {
    /// The sets met so far, by slot, with id, series, time (and label); their member lists stay
    /// empty: the caller keeps members.
    var records: [SetRecord] { get }
    /// What `key` is.
    mutating func classify(_ key: String) -> KeyRole
}

extension BackupLayout {
    /// Sorts the objects at `indices` into backup sets (live and hidden), the layout's metadata,
    /// its log objects, and keys it does not recognize.
    func group(_ objects: [InventoryObject], indices: [ObjectIndex]) -> SetGrouping {
        var grouper = makeGrouper()
        var grouping = SetGrouping()
        var current: [[ObjectIndex]] = []
        var versions: [[ObjectIndex]] = []
        for index in indices {
            let object = objects[index]
            switch grouper.classify(object.key) {
            case .member(let slot):
                while current.count <= slot {
                    current.append([])
                    versions.append([])
                }
                if object.isCurrent { current[slot].append(index) } else { versions[slot].append(index) }
            case .metadata: grouping.metadata.append(index)
            case .log(let position): grouping.wal.append((index, position))
            case .unrecognized: grouping.unrecognized.insert(object.key)
            }
        }
        var records = grouper.records
        for slot in records.indices where slot < current.count {
            records[slot].current = current[slot]
            records[slot].versions = versions[slot]
        }
        grouping.adopt(records, objects: objects)
        return grouping
    }
}

/// The constraints a layout's documents put on one component's sets, for one plan.
protocol LayoutConstraints {
    /// Keeps what the kept sets need to restore (marking each with a `dependency` reason and
    /// extending its expiry to its dependents'), and returns warnings about needs that cannot be
    /// met, e.g. a set that depends on one not in the bucket.
    mutating func keepDependencies(_ verdicts: inout [KeepEvaluator.Verdict]) -> [String]

    /// Which of the layout's log objects (``SetGrouping/wal``) the decisions let go, as a rule
    /// on log positions, so it can be applied to a log too large to hold. Asked only when the
    /// component has log objects.
    func logDecision(verdicts: [KeepEvaluator.Verdict]) -> LogDecision

    /// Whether `key`, a member of a set, stays where it is (never moved to a colder class).
    func isPinned(_ key: String) -> Bool

    /// A warning when the layout's tool reads `key` (metadata, or a pinned member) from a class
    /// it cannot read in place; `nil` when the key is fine where it is.
    func placementWarning(key: String, storageClass: StorageClass, isMetadata: Bool) -> String?

    /// Notes for the operator when the sets `expiring` (ids, sorted) go.
    func expiryNotes(_ expiring: [String]) -> [String]
}

extension LayoutConstraints {
    /// The placement warnings of the grouping's metadata and its live sets' current members.
    func metadataWarnings(grouping: SetGrouping, objects: [InventoryObject]) -> [String] {
        grouping.metadata.compactMap { placementWarning(key: objects[$0].key, storageClass: objects[$0].storageClass, isMetadata: true) }
            + grouping.sets.flatMap { set in
                set.current.compactMap { placementWarning(key: objects[$0].key, storageClass: objects[$0].storageClass, isMetadata: false) }
            }
    }
}

/// What a layout's constraints decide for its log objects.
enum LogDecision: Equatable {
    /// The log objects at positions `free` contains: no kept set needs them.
    case deletable(FreeLog)
    /// Every log object is kept, for `reason`. `rangeUnknown`: because what some kept set needs
    /// cannot be read (no `backup.info`, or one Strata cannot decrypt); the log is then kept
    /// unchecked, and reported as such.
    case allKept(reason: String, rangeUnknown: Bool)
}

/// The log positions no kept set needs: those before `before` (the archive start of the oldest
/// set the continuous window keeps) and outside every range in `kept` (the archive ranges of the
/// other kept sets).
struct FreeLog: Equatable {
    /// Positions from here on are needed by the continuous window.
    var before: UInt64
    /// Ranges needed by kept sets outside the continuous window.
    var kept: [ClosedRange<UInt64>]

    /// No position is free.
    static let none = FreeLog(before: 0, kept: [])

    /// Whether the log object at `position` may go.
    func contains(_ position: UInt64) -> Bool {
        position < before && !kept.contains { $0.contains(position) }
    }
}

/// The constraints of a layout whose sets stand alone: no dependencies, no log, nothing pinned.
struct IndependentSets: LayoutConstraints {
    mutating func keepDependencies(_ verdicts: inout [KeepEvaluator.Verdict]) -> [String] { [] }
    func logDecision(verdicts: [KeepEvaluator.Verdict]) -> LogDecision { .deletable(.none) }
    func isPinned(_ key: String) -> Bool { false }
    func placementWarning(key: String, storageClass: StorageClass, isMetadata: Bool) -> String? { nil }
    func expiryNotes(_ expiring: [String]) -> [String] { [] }
}

extension Policy {
    /// The strategy behind this policy's ``Layout``.
    var backupLayout: any BackupLayout {
        switch layout {
        case .template(let template): TemplateLayout(template: template, zone: timeZone)
        case .pgbackrest(let stanza): PgBackRestLayout(prefix: prefix, stanza: stanza, zone: timeZone)
        }
    }

    /// The id of the backup set `key` belongs to, as the plan names it (``PlanSet/id``), or `nil`
    /// for a key outside the prefix or in no set (pgBackRest metadata and WAL, unrecognized keys).
    ///
    /// A live set's `members` are its current keys only, so a key someone hid with a delete
    /// marker is found in its set through this, the same matching the planner groups by.
    public func setID(ofKey key: String) -> String? {
        guard key.utf8.starts(with: prefix.utf8) else { return nil }
        return backupLayout.setID(ofKey: key)
    }
}
