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
    /// Last-Modified are broken by version id, so the choice is deterministic.
    func newestHiddenData(_ indices: [ObjectIndex]) -> [ObjectIndex] {
        var best: [String: ObjectIndex] = [:]
        var live = Set<String>()
        for index in indices {
            let object = self[index]
            if object.isCurrent { live.insert(object.key); continue }
            guard !object.isDeleteMarker else { continue }
            if let other = best[object.key] {
                let o = self[other]
                if (o.lastModified, o.versionID ?? "") >= (object.lastModified, object.versionID ?? "") { continue }
            }
            best[object.key] = index
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

    /// Groups the objects at `indices` by `policy`'s layout.
    init(policy: Policy, objects: [InventoryObject], indices: [ObjectIndex]) {
        switch policy.layout {
        case .template(let template):
            self.init(template: template, zone: policy.timeZone, objects: objects, indices: indices)
        case .pgbackrest(let stanza):
            self.init(pgbackrestStanza: stanza, prefix: policy.prefix, zone: policy.timeZone, objects: objects, indices: indices)
        }
    }

    /// Groups by template: one set per (series, time).
    init(template: KeyTemplate, zone: PolicyTimeZone, objects: [InventoryObject], indices: [ObjectIndex]) {
        struct SetKey: Hashable { let series: String; let epoch: Int64 }
        var byKey: [SetKey: Int] = [:]
        var records: [SetRecord] = []
        for index in indices {
            let object = objects[index]
            guard let (series, epoch) = template.match(object.key, zone: zone) else {
                unrecognized.insert(object.key)
                continue
            }
            let setKey = SetKey(series: series, epoch: epoch)
            let slot: Int
            if let existing = byKey[setKey] { slot = existing } else {
                slot = records.count
                byKey[setKey] = slot
                records.append(SetRecord(id: SetRecord.templateID(series: series, epoch: epoch), series: series, epoch: epoch))
            }
            if object.isCurrent { records[slot].current.append(index) } else { records[slot].versions.append(index) }
        }
        self.adopt(records, objects: objects)
    }

    /// Groups a pgBackRest repository: one set per label, plus metadata and WAL.
    init(pgbackrestStanza stanza: String, prefix: String, zone: PolicyTimeZone, objects: [InventoryObject], indices: [ObjectIndex]) {
        var byLabel: [String: Int] = [:]
        var records: [SetRecord] = []
        var invalidLabels = Set<String>()
        let prefixLength = prefix.utf8.count
        let stanzaBytes = Array(stanza.utf8)
        // Listings come sorted by key, so consecutive objects usually share a label: remember the
        // last one's bytes and slot to skip building a String and hashing it per object.
        var lastLabel: [UInt8] = []
        var lastSlot = -1
        for index in indices {
            var key = objects[index].key
            let kind = key.withUTF8 { bytes -> PgBackRest.RawKind in
                let kind = PgBackRest.classify(bytes, from: prefixLength, stanza: stanzaBytes)
                guard case .setFile(let range, _) = kind else { return kind }
                if lastSlot >= 0, range.count == lastLabel.count, zip(range, lastLabel).allSatisfy({ bytes[$0] == $1 }) { return kind }
                lastLabel = Array(UnsafeBufferPointer(rebasing: bytes[range]))
                lastSlot = -1
                return kind
            }
            switch kind {
            case .metadata:
                metadata.append(index)
            case .wal(let position):
                wal.append((index, position))
            case .unrecognized:
                unrecognized.insert(key)
            case .setFile:
                if lastSlot < 0 {
                    let labelText = String(decoding: lastLabel, as: UTF8.self)
                    if let existing = byLabel[labelText] {
                        lastSlot = existing
                    } else if !invalidLabels.contains(labelText), let label = PgBackRest.Label(labelText, zone: zone) {
                        lastSlot = records.count
                        byLabel[labelText] = lastSlot
                        records.append(SetRecord(id: labelText, series: stanza, epoch: label.epochSeconds, label: label))
                    } else {
                        invalidLabels.insert(labelText)
                        lastLabel = []
                        unrecognized.insert(key)
                        continue
                    }
                }
                if objects[index].isCurrent { records[lastSlot].current.append(index) } else { records[lastSlot].versions.append(index) }
            }
        }
        self.adopt(records, objects: objects)
    }

    private mutating func adopt(_ records: [SetRecord], objects: [InventoryObject]) {
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
