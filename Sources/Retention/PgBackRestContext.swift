import Foundation

/// What the planner knows about a pgBackRest repository beyond the keys: the dependency graph and
/// WAL ranges from `backup.info` (or manifests), with conservative fallbacks when they are missing.
struct PgBackRestContext {
    let sets: [SetRecord]
    let isPgBackRest: Bool
    /// Per label, what `backup.info` or the set's manifest says.
    private(set) var info: [String: PgBackRest.SetInfo] = [:]
    private(set) var warnings: [String] = []
    /// The key of a document that arrived still encrypted: Strata had no passphrase that
    /// decrypts it, so ranges and references are unknown.
    private(set) var encryptedDocument: String?
    private var slotByLabel: [String: Int] = [:]

    init(sets: [SetRecord], documents: [String: String], policy: Policy) {
        self.sets = sets
        guard case .pgbackrest(let stanza) = policy.layout else {
            isPgBackRest = false
            return
        }
        isPgBackRest = true
        for (i, set) in sets.enumerated() { slotByLabel[set.id] = i }
        let base = "\(policy.prefix)backup/\(stanza)/"
        if let key = [base + "backup.info", base + "backup.info.copy"].first(where: { documents[$0] != nil }), let text = documents[key] {
            if PgBackRest.isEncrypted(text) { encryptedDocument = key } else { info = PgBackRest.parseBackupInfo(text) }
        }
        for set in sets where info[set.id] == nil {
            let keys = [base + set.id + "/backup.manifest", base + set.id + "/backup.manifest.copy"]
            if let key = keys.first(where: { documents[$0] != nil }), let text = documents[key] {
                if PgBackRest.isEncrypted(text) { encryptedDocument = encryptedDocument ?? key } else { info[set.id] = PgBackRest.parseManifest(text) }
            }
        }
    }

    /// Whether `key` is a pgBackRest manifest (kept with its set, never moved out of STANDARD).
    func isManifest(_ key: String) -> Bool {
        isPgBackRest && (key.hasSuffix("/backup.manifest") || key.hasSuffix("/backup.manifest.copy"))
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
    mutating func keepDependencies(_ verdicts: inout [KeepEvaluator.Verdict]) {
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
        warnings += missing.sorted()
    }

    /// What the WAL rule decides for a component's WAL.
    enum WALDecision: Equatable {
        /// These WAL objects no kept set needs.
        case deletable([ObjectIndex])
        /// Every WAL object is kept, for `reason`. `rangeUnknown`: because what some kept set
        /// needs cannot be read (no `backup.info`, or one Strata cannot decrypt); the WAL is then
        /// kept unchecked, and reported as such.
        case allKept(reason: String, rangeUnknown: Bool)
    }

    /// WAL objects no kept set needs: before the archive-start of the oldest set kept by the
    /// continuous window (newest, keep_last, keep_within), and outside every other kept set's
    /// archive-start...archive-stop. If any kept set's range is unknown, no WAL is deletable.
    func deletableWAL(_ wal: [(index: ObjectIndex, position: UInt64)], verdicts: [KeepEvaluator.Verdict]) -> WALDecision {
        guard !wal.isEmpty else { return .deletable([]) }
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
        let deletable = wal.filter { entry in
            entry.position < continuousStart && !ranges.contains { $0.contains(entry.position) }
        }.map(\.index)
        return .deletable(deletable)
    }

    /// Metadata and manifests pgBackRest reads that are not in STANDARD (the plan never moves them).
    func metadataWarnings(grouping: SetGrouping, objects: [InventoryObject]) -> [String] {
        let manifests = grouping.sets.flatMap { $0.current.filter { isManifest(objects[$0].key) } }
        return (grouping.metadata + manifests).filter { objects[$0].storageClass != .standard }.map {
            "pgBackRest reads \(objects[$0].key) but it is in \(objects[$0].storageClass), expected STANDARD; not moved by this plan"
        }
    }
}
