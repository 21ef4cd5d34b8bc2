import Foundation

/// Position of an object in `Inventory.objects`. 32 bits: a million-object plan holds several
/// million of these, and an inventory beyond 4 billion objects would not fit in memory anyway.
typealias ObjectIndex = UInt32

extension Array where Element == InventoryObject {
    subscript(index: ObjectIndex) -> InventoryObject { self[Int(index)] }

    /// Whether any of `indices` is a version with data (not a delete marker).
    func containsData(_ indices: [ObjectIndex]) -> Bool { indices.contains { !self[$0].isDeleteMarker } }

    /// For each key among `indices` that has no current version, its newest version with data:
    /// what a reader would get back by removing the delete markers above it. Ties on
    /// Last-Modified are broken by version id, so the choice is deterministic. Keys are told
    /// apart by their bytes (``KeyOrder``): a planted key of an equivalent spelling is another key.
    func newestHiddenData(_ indices: [ObjectIndex]) -> [ObjectIndex] {
        var best: [ExactKey: ObjectIndex] = [:]
        var live = Set<ExactKey>()
        for index in indices {
            let object = self[index]
            let key = ExactKey(key: object.key)
            if object.isCurrent { live.insert(key); continue }
            guard !object.isDeleteMarker else { continue }
            if let other = best[key] {
                let o = self[other]
                if (o.lastModified, o.versionID ?? "") >= (object.lastModified, object.versionID ?? "") { continue }
            }
            best[key] = index
        }
        return best.filter { !live.contains($0.key) }.values.sorted()
    }
}

/// A backup set under construction: the inventory indices of its versions.
struct SetRecord {
    var id: String
    var series: String
    var epoch: Int64
    /// Current versions (the live objects).
    var current: [ObjectIndex] = []
    /// Noncurrent versions and delete markers of the same keys.
    var versions: [ObjectIndex] = []
    /// The pgBackRest label, for that layout.
    var label: PgBackRest.Label? = nil

    /// The id of a template layout's set: its time, after its series if it has one.
    static func templateID(series: String, epoch: Int64) -> String {
        let time = CivilTime.iso8601(epoch)
        return series.isEmpty ? time : "\(series)@\(time)"
    }
}

/// The objects of one component, sorted into sets and everything else.
struct SetGrouping {
    var sets: [SetRecord] = []
    /// Sets with no current version but with data versions behind delete markers (versioned
    /// buckets): a deleted key is still a backup until its versions are gone, so these are
    /// judged by the keep rules like live sets. Same order as `sets`.
    var hidden: [SetRecord] = []
    /// Keys under the prefix that match no layout (distinct).
    var unrecognized: Set<String> = []
    /// Delete markers of sets that have nothing but delete markers left.
    var orphanVersions = 0
    /// pgBackRest metadata objects (always kept, never moved).
    var metadata: [ObjectIndex] = []
    /// pgBackRest WAL objects and their positions.
    var wal: [(index: ObjectIndex, position: UInt64)] = []

    /// An empty grouping, which a layout fills.
    init() {}

    /// Groups the objects at `indices` by `policy`'s layout.
    init(policy: Policy, objects: [InventoryObject], indices: [ObjectIndex]) {
        self = policy.backupLayout.group(objects, indices: indices)
    }

    /// Takes `records` as the sets: those with a current version are live, those with data only
    /// behind delete markers are hidden, and the rest (markers alone) are counted as orphans.
    /// Both lists are sorted by series, time and id.
    mutating func adopt(_ records: [SetRecord], objects: [InventoryObject]) {
        sets.reserveCapacity(records.count)
        for var record in records {
            guard !record.current.isEmpty else {
                if objects.containsData(record.versions) { hidden.append(record) } else { orphanVersions += record.versions.count }
                continue
            }
            // Appending left up to twice the needed capacity; exact copies keep a million indices small.
            record.current = ContiguousArray(record.current).withUnsafeBufferPointer { source in
                [ObjectIndex](unsafeUninitializedCapacity: source.count) { target, count in
                    _ = target.initialize(from: source)
                    count = source.count
                }
            }
            sets.append(record)
        }
        // Deterministic regardless of inventory order: series, then time, then id.
        sets.sort { ($0.series, $0.epoch, $0.id) < ($1.series, $1.epoch, $1.id) }
        hidden.sort { ($0.series, $0.epoch, $0.id) < ($1.series, $1.epoch, $1.id) }
    }
}
