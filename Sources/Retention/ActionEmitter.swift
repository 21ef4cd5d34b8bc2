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
            var tier: TierRule? = nil
            let ordered = set.current.sorted { KeyOrder.precedes(objects[$0].key, objects[$1].key) }
            if keep, let target = tiers.target(ageSeconds: now.saturatingSubtract(set.epoch), now: now, expiry: verdict.expiry) {
                tier = target
                transition(ordered.filter { !constraints.isPinned(objects[$0].key) }, to: target, set: set, into: &actions)
            } else if !keep && !blocked {
                let all = set.versions.isEmpty ? ordered : (set.current + set.versions).sorted(by: planner.keyOrder)
                emitDeletes(all, reason: Self.expiredReason(set, policy: policy), into: &actions)
            }
            var classes: [StorageClass] = []
            for index in set.current where !classes.contains(objects[index].storageClass) { classes.append(objects[index].storageClass) }
            planSets.append(Self.planSet(set, verdict, classes: classes, tier: tier, now: now, objectCount: set.current.count,
                                         bytes: set.current.saturatingSum { objects[$0].size }, members: ordered.map { objects[$0].key }))
        }
        return planSets
    }

    private mutating func transition(_ ordered: [ObjectIndex], to tier: TierRule, set: SetRecord, into actions: inout [PlanAction]) {
        let reason = Self.tierReason(tier, set, now: now)
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
            let newest = objects.newestHiddenData(set.versions)
            return Self.planSet(set, verdict, classes: [], tier: nil, now: now, objectCount: newest.count,
                                bytes: newest.saturatingSum { objects[$0].size },
                                members: Array(Set(set.versions.map { objects[$0].key })).sorted())
        }
    }

    /// Incomplete uploads older than `abort_incomplete_after`.
    mutating func emitAborts(_ uploads: [MultipartUploadRecord], into actions: inout [PlanAction]) {
        actions += Self.aborts(uploads, policy: policy, before: planner.abortBefore)
    }

    // MARK: - What both planners write the same way

    /// The aborts of the uploads started before `abortBefore`, by key and upload id.
    static func aborts(_ uploads: [MultipartUploadRecord], policy: Policy, before abortBefore: Int64) -> [PlanAction] {
        uploads.sorted(by: { ($0.key, $0.uploadID) < ($1.key, $1.uploadID) }).filter { Int64($0.initiated.timeIntervalSince1970) < abortBefore }.map { upload in
            .abortUpload(key: upload.key, uploadID: upload.uploadID,
                reason: "incomplete upload started \(CivilTime.iso8601(Int64(upload.initiated.timeIntervalSince1970))), older than abort_incomplete_after \(policy.abortIncompleteAfter)")
        }
    }

    /// The reason of the deletions of an expired set.
    static func expiredReason(_ set: SetRecord, policy: Policy) -> String {
        "set \(set.id) expired: kept by no rule of \(policy.sourcePath)"
    }

    /// The reason of the transitions of a set a tier moves.
    static func tierReason(_ tier: TierRule, _ set: SetRecord, now: Int64) -> String {
        "tier after \(tier.after): \(tier.storageClass) (set \(set.id) is \(ComponentPlanner.days(now.saturatingSubtract(set.epoch))) old)"
    }

    /// The reason of the deletions of log objects no kept set needs.
    static func logReason(policy: Policy) -> String {
        "WAL outside the ranges kept sets need (\(policy.sourcePath))"
    }

    /// A set as the plan reports it. `classes` are its current members' classes in any order;
    /// `tier` the rule that moves it, if one does.
    static func planSet(_ set: SetRecord, _ verdict: KeepEvaluator.Verdict, classes: [StorageClass], tier: TierRule?, now: Int64,
                        objectCount: Int, bytes: Int64, members: [String]) -> PlanSet {
        let keep = !verdict.reasons.isEmpty
        let classes = classes.sorted()
        let target = tier?.storageClass
        return PlanSet(
            id: set.id, series: set.series, time: Date(timeIntervalSince1970: TimeInterval(set.epoch)),
            decision: keep ? .keep : .expire, reasons: verdict.reasons,
            cannotDelete: verdict.reasons.contains(where: \.preventsDeletion), currentClasses: classes,
            targetClass: target.flatMap { t in classes.contains(where: { ($0.coldness ?? 99) < (t.coldness ?? 0) }) ? t : nil },
            projectedExpiry: expiry(keep: keep, verdict, now: now), objectCount: objectCount, bytes: bytes, members: members)
    }

    private static func expiry(keep: Bool, _ verdict: KeepEvaluator.Verdict, now: Int64) -> Date? {
        guard keep else { return Date(timeIntervalSince1970: TimeInterval(now)) }
        return verdict.expiry.flatMap { $0 == KeepEvaluator.indefinite ? nil : Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}
