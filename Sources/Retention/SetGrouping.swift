import Foundation

/// A backup set under construction: the inventory indices of its versions.
struct SetRecord {
    var id: String
    var series: String
    var epoch: Int64
    /// Current versions (the live objects).
    var current: [Int] = []
    /// Noncurrent versions and delete markers of the same keys.
    var versions: [Int] = []
    /// The pgBackRest label, for that layout.
    var label: PgBackRest.Label? = nil
}

/// The objects of one component, sorted into sets and everything else.
struct SetGrouping {
    var sets: [SetRecord] = []
    /// Keys under the prefix that match no layout (distinct).
    var unrecognized: Set<String> = []
    /// Versions of sets that have no current version left: not touched.
    var orphanVersions = 0
    /// pgBackRest metadata objects (always kept, never moved).
    var metadata: [Int] = []
    /// pgBackRest WAL objects and their positions.
    var wal: [(index: Int, position: UInt64)] = []

    /// Groups by template: one set per (series, time).
    init(template: KeyTemplate, zone: PolicyTimeZone, objects: [InventoryObject], indices: [Int]) {
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
                let time = CivilTime.iso8601(epoch)
                records.append(SetRecord(id: series.isEmpty ? time : "\(series)@\(time)", series: series, epoch: epoch))
            }
            if object.isCurrent { records[slot].current.append(index) } else { records[slot].versions.append(index) }
        }
        self.adopt(records)
    }

    /// Groups a pgBackRest repository: one set per label, plus metadata and WAL.
    init(pgbackrestStanza stanza: String, prefix: String, zone: PolicyTimeZone, objects: [InventoryObject], indices: [Int]) {
        var byLabel: [String: Int] = [:]
        var records: [SetRecord] = []
        let prefixLength = prefix.utf8.count
        for index in indices {
            let object = objects[index]
            let relative = Substring(object.key.utf8.dropFirst(prefixLength))
            switch PgBackRest.classify(relative, stanza: stanza) {
            case .metadata:
                metadata.append(index)
            case .wal(let position):
                wal.append((index, position))
            case .unrecognized:
                unrecognized.insert(object.key)
            case .setFile(let labelText, _):
                let slot: Int
                if let existing = byLabel[labelText] { slot = existing } else {
                    guard let label = PgBackRest.Label(labelText, zone: zone) else {
                        unrecognized.insert(object.key)
                        continue
                    }
                    slot = records.count
                    byLabel[labelText] = slot
                    records.append(SetRecord(id: labelText, series: stanza, epoch: label.epochSeconds, label: label))
                }
                if object.isCurrent { records[slot].current.append(index) } else { records[slot].versions.append(index) }
            }
        }
        self.adopt(records)
    }

    private mutating func adopt(_ records: [SetRecord]) {
        for record in records {
            if record.current.isEmpty { orphanVersions += record.versions.count } else { sets.append(record) }
        }
        // Deterministic regardless of inventory order: series, then time, then id.
        sets.sort { ($0.series, $0.epoch, $0.id) < ($1.series, $1.epoch, $1.id) }
    }
}
