import Foundation

/// Turns one component's decisions into actions and per-set results, keeping count of what
/// it deleted and moved for the totals and the cost model.
struct ActionEmitter {
    let planner: ComponentPlanner
    var totals: PlanTotals
    /// Per inventory index: whether an action deletes it.
    var deleted: [Bool]
    /// Inventory indices an action transitions, and to where.
    var moved: [ObjectIndex: StorageClass] = [:]

    private var objects: [InventoryObject] { planner.objects }
    private var policy: Policy { planner.policy }
    private var now: Int64 { planner.now }

    /// Deletes one object (or version).
    mutating func delete(_ index: ObjectIndex, _ reason: String, into actions: inout [PlanAction]) {
        deleted[Int(index)] = true
        actions.append(.delete(key: objects[index].key, versionID: objects[index].versionID, reason: reason))
        // Removing a delete marker frees nothing: it is not counted as a deletion.
        guard !objects[index].isDeleteMarker else { return }
        totals.deletes += 1
        totals.deleteBytes = totals.deleteBytes.saturatingAdd(objects[index].size)
    }

    /// Deletes `indices` in the given order, all for `reason`.
    mutating func emitDeletes(_ indices: [ObjectIndex], reason: String, into actions: inout [PlanAction]) {
        for index in indices { delete(index, reason, into: &actions) }
    }

    /// The live sets: tier transitions for kept ones, deletions for expired ones (unless blocked).
    mutating func emitSets(_ sets: [SetRecord], _ verdicts: [KeepEvaluator.Verdict], constraints: any LayoutConstraints, blocked: Bool,
                           into actions: inout [PlanAction]) -> [PlanSet] {
        var planSets: [PlanSet] = []
        planSets.reserveCapacity(sets.count)
        let tiers = TierSelector(tiers: policy.tiers, pricing: planner.pricing)
        for (set, verdict) in zip(sets, verdicts) {
            let keep = !verdict.reasons.isEmpty
            var target: StorageClass? = nil
            let ordered = set.current.sorted { objects[$0].key < objects[$1].key }
            if keep, let tier = tiers.target(ageSeconds: now.saturatingSubtract(set.epoch), now: now, expiry: verdict.expiry) {
                target = tier.storageClass
                transition(ordered.filter { !constraints.isPinned(objects[$0].key) }, to: tier, set: set, into: &actions)
            } else if !keep && !blocked {
                let all = set.versions.isEmpty ? ordered : (set.current + set.versions).sorted(by: planner.keyOrder)
                emitDeletes(all, reason: "set \(set.id) expired: kept by no rule of \(policy.sourcePath)", into: &actions)
            }
            var classes: [StorageClass] = []
            for index in set.current where !classes.contains(objects[index].storageClass) { classes.append(objects[index].storageClass) }
            classes.sort()
            planSets.append(PlanSet(
                id: set.id, series: set.series, time: Date(timeIntervalSince1970: TimeInterval(set.epoch)),
                decision: keep ? .keep : .expire, reasons: verdict.reasons,
                cannotDelete: verdict.reasons.contains(where: \.preventsDeletion), currentClasses: classes,
                targetClass: target.flatMap { t in classes.contains(where: { ($0.coldness ?? 99) < (t.coldness ?? 0) }) ? t : nil },
                projectedExpiry: expiry(keep: keep, verdict), objectCount: set.current.count,
                bytes: set.current.saturatingSum { objects[$0].size },
                members: ordered.map { objects[$0].key }))
        }
        return planSets
    }

    private mutating func transition(_ ordered: [ObjectIndex], to tier: TierRule, set: SetRecord, into actions: inout [PlanAction]) {
        let reason = "tier after \(tier.after): \(tier.storageClass) (set \(set.id) is \(ComponentPlanner.days(now.saturatingSubtract(set.epoch))) old)"
        for index in ordered {
            let object = objects[index]
            guard TierSelector.shouldMove(size: object.size, from: object.storageClass, to: tier.storageClass) else { continue }
            actions.append(.transition(key: object.key, from: object.storageClass, to: tier.storageClass, reason: reason))
            moved[index] = tier.storageClass
            totals.transitions += 1
            totals.transitionBytes = totals.transitionBytes.saturatingAdd(object.size)
        }
    }

    /// The hidden sets as the plan reports them, with their newest data versions as members.
    /// A kept one is never deleted (its versions are protected); an expired one is left to the
    /// `noncurrent` option, like any other noncurrent version.
    func hiddenPlanSets(_ sets: [SetRecord], _ verdicts: [KeepEvaluator.Verdict]) -> [PlanSet] {
        zip(sets, verdicts).map { set, verdict in
            let keep = !verdict.reasons.isEmpty
            let newest = objects.newestHiddenData(set.versions)
            return PlanSet(
                id: set.id, series: set.series, time: Date(timeIntervalSince1970: TimeInterval(set.epoch)),
                decision: keep ? .keep : .expire, reasons: verdict.reasons,
                cannotDelete: verdict.reasons.contains(where: \.preventsDeletion), currentClasses: [], targetClass: nil,
                projectedExpiry: expiry(keep: keep, verdict), objectCount: newest.count,
                bytes: newest.saturatingSum { objects[$0].size },
                members: Array(Set(set.versions.map { objects[$0].key })).sorted())
        }
    }

    /// Incomplete uploads older than `abort_incomplete_after`.
    mutating func emitAborts(_ uploads: [MultipartUploadRecord], into actions: inout [PlanAction]) {
        let abortBefore = planner.abortBefore
        for upload in uploads.sorted(by: { ($0.key, $0.uploadID) < ($1.key, $1.uploadID) }) where Int64(upload.initiated.timeIntervalSince1970) < abortBefore {
            actions.append(.abortUpload(key: upload.key, uploadID: upload.uploadID,
                reason: "incomplete upload started \(CivilTime.iso8601(Int64(upload.initiated.timeIntervalSince1970))), older than abort_incomplete_after \(policy.abortIncompleteAfter)"))
        }
    }

    private func expiry(keep: Bool, _ verdict: KeepEvaluator.Verdict) -> Date? {
        guard keep else { return Date(timeIntervalSince1970: TimeInterval(now)) }
        return verdict.expiry.flatMap { $0 == KeepEvaluator.indefinite ? nil : Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}
