import Foundation

/// A pgBackRest repository under the policy prefix: `backup/<stanza>/<label>/...` holds one set
/// per backup label, `backup/<stanza>/backup.info` describes them, and `archive/<stanza>/...`
/// holds the WAL the sets need to be restored. The only place that knows these paths.
struct PgBackRestLayout: BackupLayout {
    /// The component's key prefix.
    let prefix: String
    /// The pgBackRest stanza.
    let stanza: String
    /// The zone labels are read in.
    let zone: PolicyTimeZone

    /// `<prefix>backup/<stanza>/`: backup sets and `backup.info`.
    var backupBase: String { "\(prefix)backup/\(stanza)/" }
    /// `<prefix>archive/<stanza>/`: WAL, `archive.info` and timeline histories.
    var archiveBase: String { "\(prefix)archive/\(stanza)/" }
    /// `backup.info`, then the copy pgBackRest falls back to, as keys.
    var backupInfoKeys: [String] { [backupBase + "backup.info", backupBase + "backup.info.copy"] }

    /// The manifest of set `label`, then its copy, as keys.
    func manifestKeys(_ label: String) -> [String] {
        [backupBase + label + "/backup.manifest", backupBase + label + "/backup.manifest.copy"]
    }

    func makeGrouper() -> any SetGrouper { Grouper(layout: self) }

    /// One set per valid label under `backup/<stanza>/`, plus metadata and WAL.
    struct Grouper: SetGrouper {
        private let prefixLength: Int
        private let stanza: String
        private let stanzaBytes: [UInt8]
        private let zone: PolicyTimeZone
        private var byLabel: [String: Int] = [:]
        private var invalidLabels = Set<String>()
        private(set) var records: [SetRecord] = []
        // Listings come sorted by key, so consecutive keys usually share a label: remember the
        // last one's bytes and slot to skip building a String and hashing it per key.
        private var lastLabel: [UInt8] = []
        private var lastSlot = -1

        init(layout: PgBackRestLayout) {
            prefixLength = layout.prefix.utf8.count
            stanza = layout.stanza
            stanzaBytes = Array(layout.stanza.utf8)
            zone = layout.zone
        }

        mutating func classify(_ key: String) -> KeyRole {
            var key = key
            let kind = key.withUTF8 { bytes -> PgBackRest.RawKind in
                let kind = PgBackRest.classify(bytes, from: prefixLength, stanza: stanzaBytes)
                guard case .setFile(let range, _) = kind else { return kind }
                if lastSlot >= 0, range.count == lastLabel.count, zip(range, lastLabel).allSatisfy({ bytes[$0] == $1 }) { return kind }
                lastLabel = Array(UnsafeBufferPointer(rebasing: bytes[range]))
                lastSlot = -1
                return kind
            }
            switch kind {
            case .metadata: return .metadata
            case .wal(let position): return .log(position: position)
            case .unrecognized: return .unrecognized
            case .setFile:
                if lastSlot >= 0 { return .member(slot: lastSlot) }
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
                    return .unrecognized
                }
                return .member(slot: lastSlot)
            }
        }
    }

    func setID(ofKey key: String) -> String? {
        let relative = Substring(key.utf8.dropFirst(prefix.utf8.count))
        guard case .setFile(let label, _) = PgBackRest.classify(relative, stanza: stanza),
              PgBackRest.Label(label, zone: zone) != nil else { return nil }
        return label
    }

    /// `backup.info` (or its copy if only that exists); if neither exists, the manifest of every
    /// set, which is slower to read but says the same for each set.
    func documentsNeeded(_ objects: [InventoryObject], indices: [ObjectIndex]) -> [String] {
        let base = backupBase
        var present = Set<String>()
        var manifests: [String: String] = [:]
        let prefixLength = prefix.utf8.count
        let stanzaBytes = Array(stanza.utf8)
        for index in indices where objects[index].isCurrent && objects[index].key.hasPrefix(base) {
            var key = objects[index].key
            let kind = key.withUTF8 { PgBackRest.classify($0, from: prefixLength, stanza: stanzaBytes) }
            switch kind {
            case .metadata:
                if backupInfoKeys.contains(key) { present.insert(key) }
            case .setFile(let range, true):
                let label = String(key.utf8.dropFirst(range.lowerBound).prefix(range.count)) ?? ""
                if manifests[label] == nil || key.hasSuffix("/backup.manifest") { manifests[label] = key }
            default: break
            }
        }
        if let info = backupInfoKeys.first(where: present.contains) { return [info] }
        return Array(manifests.values)
    }

    /// How the keys of the documents a plan may read end.
    private static let documentSuffixes = ["/backup.info", "/backup.info.copy", "/backup.manifest", "/backup.manifest.copy"]

    func mayBeDocument(_ key: String) -> Bool {
        key.hasPrefix(backupBase) && Self.documentSuffixes.contains { key.hasSuffix($0) }
    }

    func documentKeyTest() -> (UnsafeBufferPointer<UInt8>) -> Bool {
        let base = Array(backupBase.utf8)
        let suffixes = Self.documentSuffixes.map { Array($0.utf8) }
        return { key in
            // `String`'s prefix and suffix tests match canonically equivalent text, which for ASCII
            // is the same bytes: other keys take the `String` test.
            guard key.allSatisfy({ $0 < 0x80 }) else { return mayBeDocument(String(decoding: key, as: UTF8.self)) }
            return key.starts(with: base) && suffixes.contains { key.count >= $0.count && key.suffix($0.count).elementsEqual($0) }
        }
    }

    func constraints(sets: [SetRecord], documents: [String: String]) -> any LayoutConstraints {
        PgBackRestConstraints(sets: sets, documents: documents, layout: self)
    }

    var retrievalDocumentCandidates: [String] { backupInfoKeys }

    /// The sets `set` references, the info files and timeline histories, and the WAL between its
    /// archive start and stop. Without an entry in `backup.info` the whole chain before the set is
    /// taken (more than needed, never less), so a restore is never blocked by the document.
    func retrievalNeeds(of set: PlanSet, sets: [PlanSet], documents: [String: String]) -> RetrievalNeeds {
        var notes: [String] = []
        var entry: PgBackRest.SetInfo?
        if let text = backupInfoKeys.lazy.compactMap({ documents[$0] }).first, !PgBackRest.isEncrypted(text) {
            entry = PgBackRest.parseBackupInfo(text)[set.id]
        }
        var labels = Set(entry?.references ?? [])
        if let prior = entry?.prior { labels.insert(prior) }
        if entry == nil, set.id.count == 33 {
            let full = String(set.id.prefix(16))
            labels.formUnion(sets.filter { ($0.id == full || $0.id.hasPrefix(full + "_")) && $0.time < set.time }.map(\.id))
            notes.append("backup.info has no entry for \(set.id): fetching every older set of its chain")
        }
        labels.remove(set.id)
        let known = Set(sets.map(\.id))
        for label in labels.sorted() where !known.contains(label) {
            notes.append("\(set.id) references \(label), which is not in the bucket: the restore will fail")
        }
        let start = entry?.archiveStart.flatMap(PgBackRest.segmentPosition)
        let stop = entry?.archiveStop.flatMap(PgBackRest.segmentPosition)
        let archiveBase = archiveBase
        let infoNames = Set(backupInfoKeys + ["archive.info", "archive.info.copy"].map { archiveBase + $0 })
        let id = set.id
        return RetrievalNeeds(
            dependencies: labels.filter(known.contains).sorted(), notes: notes,
            part: { key in
                guard key.hasPrefix(archiveBase) else { return infoNames.contains(key) ? .metadata : nil }
                // Compared, not made a range: a backup.info someone else wrote may put the stop first.
                if let start, let stop, let name = key.split(separator: "/").last,
                   let position = PgBackRest.segmentPosition(name.prefix(24)), position >= start, position <= stop {
                    return .log
                }
                return infoNames.contains(key) || key.hasSuffix(".history") ? .metadata : nil
            },
            logNote: { count in
                guard start != nil, stop != nil else {
                    return "WAL not included: backup.info gives no archive range for \(id); fetch it with pgbackrest archive-get"
                }
                return "WAL from archive start to stop included (\(count) objects); WAL after the stop (point-in-time recovery) is not: fetch it with pgbackrest archive-get"
            })
    }
}
