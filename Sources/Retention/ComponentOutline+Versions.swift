import Foundation

/// What the walk of one component's versions, key by key, finds: what the guards weigh besides
/// pass one's aggregates, and the hidden sets' sizes.
struct VersionFindings {
    /// Bytes of the noncurrent versions the `noncurrent` option would purge.
    var noncurrentDeleteBytes: Int64 = 0
    /// Per hidden set: whether a data version of it survives the purge.
    var hiddenSurvives: [Bool]
    /// Per hidden set: its keys' newest data versions, counted and added up.
    var hiddenNewest: [(count: Int, bytes: Int64)]

    /// Nothing found yet, for `hiddenSets` hidden sets.
    init(hiddenSets: Int) {
        hiddenSurvives = [Bool](repeating: false, count: hiddenSets)
        hiddenNewest = [(count: Int, bytes: Int64)](repeating: (0, 0), count: hiddenSets)
    }

    /// Hidden sets whose every data version goes: they count as expiring sets.
    var expiringHidden: Int { hiddenSurvives.count { !$0 } }
}

/// The streaming planner's steps for a bucket with versions, one key at a time: every version
/// of the key (current, noncurrent, delete markers) together, as ``ComponentPlanner`` judges
/// them from the whole inventory. A key's versions depend on one another (when a version
/// became noncurrent, whether a marker hides anything), and on nothing outside the key but its
/// set's decision.
extension ComponentOutline {
    /// Where a key's versions stand once the sets are decided.
    private enum KeyPlace {
        case live(Int)
        case hidden(Int)
        case log(UInt64)
        case metadata
        /// An orphan set's key, or one the layout does not know.
        case other
    }

    private mutating func keyPlace(_ key: String) -> KeyPlace {
        switch grouper.classify(key) {
        case .member(let slot):
            guard slot < places.count else { return .other }
            switch places[slot] {
            case .live(let at): return .live(at)
            case .hidden(let h): return .hidden(h)
            case .orphan: return .other
            }
        case .log(let position): return .log(position)
        case .metadata: return .metadata
        case .unrecognized: return .other
        }
    }

    /// Whether the key's set is kept: its newest hidden data version is then never deleted.
    private func keptSet(_ place: KeyPlace) -> Bool {
        switch place {
        case .live(let at): keep[at]
        case .hidden(let h): hiddenKeep[h]
        default: false
        }
    }

    /// The key's newest data version, if it has no current one.
    private static func newestHiddenData(_ versions: [InventoryObject]) -> [ObjectIndex] {
        versions.newestHiddenData((0..<versions.count).map { ObjectIndex($0) })
    }

    /// The noncurrent option's entries and deletions for one key's `versions`, never deleting
    /// those `protected` (the newest hidden data version of a kept set's key).
    private func noncurrent(_ versions: [InventoryObject], protected: Set<ObjectIndex>, deleted: [Bool], allowDeletes: Bool)
        -> (entries: [(index: ObjectIndex, entry: NoncurrentVersion)], deletes: [(ObjectIndex, String)]) {
        let all = (0..<versions.count).map { ObjectIndex($0) }
        let planner = NoncurrentPlanner(policy: policy, objects: versions, now: self.planner.now, bypassGovernance: self.planner.bypassGovernance,
                                        pricing: self.planner.pricing, protected: protected)
        return planner.indexedPlan(indices: all, deleted: deleted, allowDeletes: allowDeletes)
    }

    /// The walk before the guards: what the `noncurrent` option would purge of one key's
    /// `versions`, given the sets' decisions, and what its hidden set holds.
    mutating func judge(versionsOf versions: [InventoryObject]) {
        guard let key = versions.first?.key else { return }
        let place = keyPlace(key)
        // Deleted with an expiring set, or as log no kept set needs: every version of the key.
        let goes: Bool = switch place {
        case .live(let at): !keep[at]
        case .log(let position): decidedFree?.contains(position) ?? false
        default: false
        }
        // Found once: it protects a kept set's key, and sizes a hidden set.
        let needed: Bool = if case .hidden = place { true } else { keptSet(place) }
        let newest = needed ? Self.newestHiddenData(versions) : []
        let purge = noncurrent(versions, protected: keptSet(place) ? Set(newest) : [], deleted: [Bool](repeating: goes, count: versions.count), allowDeletes: true)
        versionFindings.noncurrentDeleteBytes = versionFindings.noncurrentDeleteBytes.saturatingAdd(purge.deletes.saturatingSum { versions[$0.0].size })
        guard case .hidden(let h) = place else { return }
        let purged = Set(purge.deletes.map(\.0))
        if versions.indices.contains(where: { !versions[$0].isDeleteMarker && !purged.contains(ObjectIndex($0)) }) {
            versionFindings.hiddenSurvives[h] = true
        }
        versionFindings.hiddenNewest[h].count += newest.count
        versionFindings.hiddenNewest[h].bytes = versionFindings.hiddenNewest[h].bytes.saturatingAdd(newest.saturatingSum { versions[$0].size })
    }

    /// Pass two for one key's `versions`: the placements of its members, of the versions its
    /// set's or the log's deletion takes, of its hidden set's listing, and of its noncurrent
    /// versions' entries; each version counted once for the cost.
    mutating func place(versionsOf versions: [InventoryObject], into sink: (Placement, InventoryObject) throws -> Void) rethrows {
        guard let key = versions.first?.key else { return }
        let place = keyPlace(key)
        var deleted = [Bool](repeating: false, count: versions.count)
        var moved = [StorageClass?](repeating: nil, count: versions.count)
        func deletion(_ i: Int, group: Int) -> Placement {
            deleted[i] = true
            var placement = Placement(component: 0, group: group, key: key, versionID: versions[i].versionID, isMember: false,
                                      size: versions[i].size, action: .delete)
            placement.isDeleteMarker = versions[i].isDeleteMarker
            return placement
        }
        switch place {
        case .live(let at):
            for (i, object) in versions.enumerated() {
                if object.isCurrent {
                    try sink(member(object, at: at, movedTo: &moved[i], deleted: &deleted[i]), object)
                } else if !keep[at] && !blocked {
                    try sink(deletion(i, group: at), object)
                }
            }
        case .hidden(let h):
            try sink(Placement(component: 0, group: hiddenGroup(h), key: key, versionID: nil, isMember: false, size: 0, action: .none), versions[0])
        case .log(let position):
            if let freeLog, freeLog.contains(position) {
                for i in versions.indices { try sink(deletion(i, group: logGroup), versions[i]) }
            }
        case .metadata:
            for object in versions {
                if let warning = constraints.placementWarning(key: key, storageClass: object.storageClass, isMetadata: true) {
                    placementWarnings.append(warning)
                }
            }
        case .other:
            break
        }
        if versions.contains(where: { !$0.isCurrent }) {
            let protected = keptSet(place) ? Set(Self.newestHiddenData(versions)) : []
            for (rank, (index, entry)) in noncurrent(versions, protected: protected, deleted: deleted, allowDeletes: !blocked).entries.enumerated() {
                let i = Int(index)
                let expire = entry.decision == .expire
                if expire { deleted[i] = true }
                var placement = Placement(component: 0, group: noncurrentGroup, key: key, versionID: entry.versionID, isMember: false,
                                          size: entry.size, action: expire ? .delete : .none)
                placement.rank = UInt32(clamping: rank)
                placement.isDeleteMarker = entry.isDeleteMarker
                placement.noncurrent = entry
                noncurrentSummary.add(entry, rank: placement.rank)
                try sink(placement, versions[i])
            }
        }
        for (i, object) in versions.enumerated() { cost.add(object, deleted: deleted[i], movedTo: moved[i]) }
    }
}
