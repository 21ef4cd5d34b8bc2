import Foundation

/// What the planner knows about a pgBackRest repository beyond the keys: the dependency graph and
/// WAL ranges from `backup.info` (or manifests), with conservative fallbacks when they are missing.
struct PgBackRestConstraints: LayoutConstraints {
    let sets: [SetRecord]
    let layout: PgBackRestLayout
    /// Per label, what `backup.info` or the set's manifest says.
    private(set) var info: [String: PgBackRest.SetInfo] = [:]
    /// The key of a document that arrived still encrypted: Strata had no passphrase that
    /// decrypts it, so ranges and references are unknown.
    private(set) var encryptedDocument: String?
    private var slotByLabel: [String: Int] = [:]

    init(sets: [SetRecord], documents: [String: String], layout: PgBackRestLayout) {
        self.sets = sets
        self.layout = layout
        for (i, set) in sets.enumerated() { slotByLabel[set.id] = i }
        if let key = layout.backupInfoKeys.first(where: { documents[$0] != nil }), let text = documents[key] {
            if PgBackRest.isEncrypted(text) { encryptedDocument = key } else { info = PgBackRest.parseBackupInfo(text) }
        }
        for set in sets where info[set.id] == nil {
            if let key = layout.manifestKeys(set.id).first(where: { documents[$0] != nil }), let text = documents[key] {
                if PgBackRest.isEncrypted(text) { encryptedDocument = encryptedDocument ?? key } else { info[set.id] = PgBackRest.parseManifest(text) }
            }
        }
    }

    /// A manifest is kept with its set and never moved out of STANDARD: pgBackRest reads it.
    func isPinned(_ key: String) -> Bool {
        key.hasSuffix("/backup.manifest") || key.hasSuffix("/backup.manifest.copy")
    }

    /// Labels set `slot` needs to restore: from `backup.info`/manifest when known; otherwise from the
    /// label alone, conservatively (an incr depends on every older set of its chain).
    func dependencies(of slot: Int) -> [String] {
        let set = sets[slot]
        guard let label = set.label, label.kind != .full else { return [] }
        var labels = Set<String>([label.fullLabel])
        let known = info[set.id]
        if let known, !known.references.isEmpty {
            // backup.info names every set whose files this one uses: the exact graph.
            labels.formUnion(known.references)
            if let prior = known.prior { labels.insert(prior) }
        } else if let prior = known?.prior {
            // A manifest names the prior; the prior's own dependencies follow transitively.
            labels.insert(prior)
        } else if label.kind == .incr {
            for other in sets where other.label?.fullLabel == label.fullLabel && other.epoch < set.epoch { labels.insert(other.id) }
        }
        return labels.sorted()
    }

    /// Keeps every dependency of a kept set (newest first, so chains resolve in one pass) and lets
    /// each dependency live as long as its longest-living dependent.
    mutating func keepDependencies(_ verdicts: inout [KeepEvaluator.Verdict]) -> [String] {
        let order = sets.indices.sorted { sets[$0].epoch > sets[$1].epoch }
        var missing: Set<String> = []
        for slot in order where !verdicts[slot].reasons.isEmpty {
            for dependency in dependencies(of: slot) {
                guard let target = slotByLabel[dependency] else {
                    missing.insert("\(sets[slot].id) depends on \(dependency), which is not in the bucket")
                    continue
                }
                verdicts[target].reasons.append(KeepReason(.dependency, "dependency of \(sets[slot].id)"))
                verdicts[target].extend(verdicts[slot].expiry)
            }
        }
        return missing.sorted()
    }

    /// WAL objects no kept set needs: before the archive-start of the oldest set kept by the
    /// continuous window (newest, keep_last, keep_within), and outside every other kept set's
    /// archive-start...archive-stop. If any kept set's range is unknown, no WAL is deletable.
    func logDecision(verdicts: [KeepEvaluator.Verdict]) -> LogDecision {
        var continuousStart: UInt64? = nil
        var ranges: [ClosedRange<UInt64>] = []
        let continuous: Set<KeepReason.Kind> = [.newest, .last, .within]
        for (slot, set) in sets.enumerated() where !verdicts[slot].reasons.isEmpty {
            guard let known = info[set.id], let startName = known.archiveStart, let stopName = known.archiveStop,
                  let start = PgBackRest.segmentPosition(startName), let stop = PgBackRest.segmentPosition(stopName), start <= stop else {
                if let encryptedDocument {
                    return .allKept(reason: "all WAL kept: the repository is encrypted and no cipher passphrase decrypts \(encryptedDocument), so the archive range of kept set \(set.id) is unknown (policy key cipher_pass)", rangeUnknown: true)
                }
                return .allKept(reason: "all WAL kept: the archive range of kept set \(set.id) is unknown (pass backup.info or its manifest in documents)", rangeUnknown: true)
            }
            if verdicts[slot].reasons.contains(where: { continuous.contains($0.kind) }) {
                continuousStart = min(continuousStart ?? start, start)
            } else {
                ranges.append(start...stop)
            }
        }
        guard let continuousStart else { return .allKept(reason: "all WAL kept: no set is kept by the continuous window", rangeUnknown: false) }
        return .deletable(FreeLog(before: continuousStart, kept: ranges))
    }

    /// Metadata and manifests pgBackRest reads must be in STANDARD (the plan never moves them).
    func placementWarning(key: String, storageClass: StorageClass, isMetadata: Bool) -> String? {
        guard (isMetadata || isPinned(key)), storageClass != .standard else { return nil }
        return "pgBackRest reads \(key) but it is in \(storageClass), expected STANDARD; not moved by this plan"
    }

    /// `backup.info` keeps naming expired sets until pgBackRest's own `expire` runs.
    func expiryNotes(_ expiring: [String]) -> [String] {
        guard !expiring.isEmpty else { return [] }
        return ["backup.info still lists \(expiring.count) deleted set(s) until pgBackRest's next expire; run `tools/backup/postgresql sync-info` (pgbackrest --stanza=\(layout.stanza) expire with retention high enough to remove nothing else) to refresh it (\(expiring.prefix(3).joined(separator: ", "))\(expiring.count > 3 ? ", ..." : ""))"]
    }
}
