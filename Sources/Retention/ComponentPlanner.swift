import Foundation

/// Plans one component: sets, keep decisions, dependencies, guards, tiers, actions.
struct ComponentPlanner {
    let policy: Policy
    let objects: [InventoryObject]
    let indices: [ObjectIndex]
    let uploads: [MultipartUploadRecord]
    let now: Int64
    let documents: [String: String]
    let pricing: PricingTable
    let force: Bool
    let bypassGovernance: Bool

    /// Plans the component, appending its actions to `actions` in a deterministic order: sets by
    /// series and time, each set's objects by key and version; then WAL by key; then aborts.
    func plan(into actions: inout [PlanAction]) -> ComponentPlan {
        var warnings: [String] = []
        let grouping: SetGrouping
        switch policy.layout {
        case .template(let template):
            grouping = SetGrouping(template: template, zone: policy.timeZone, objects: objects, indices: indices)
        case .pgbackrest(let stanza):
            grouping = SetGrouping(pgbackrestStanza: stanza, prefix: policy.prefix, zone: policy.timeZone, objects: objects, indices: indices)
        }
        let sets = grouping.sets
        if grouping.orphanVersions > 0 {
            let fate = policy.noncurrentExpireAfter.map { "noncurrent.expire_after \($0) applies" } ?? "kept (noncurrent: keep)"
            warnings.append("\(grouping.orphanVersions) noncurrent versions or delete markers belong to no live set (hidden backups); \(fate); see strata audit")
        }

        // Keep rules per series, newest first.
        var verdicts = [KeepEvaluator.Verdict](repeating: .init(), count: sets.count)
        var evaluator = KeepEvaluator(rules: policy.retention, zone: policy.timeZone, now: now, expectEvery: policy.expectEvery)
        evaluator.bypassGovernance = bypassGovernance
        var bySeries: [String: [Int]] = [:]
        for (i, set) in sets.enumerated() { bySeries[set.series, default: []].append(i) }
        for (_, members) in bySeries {
            let newestFirst = members.sorted { sets[$0].epoch != sets[$1].epoch ? sets[$0].epoch > sets[$1].epoch : sets[$0].id > sets[$1].id }
            let candidates = newestFirst.map { candidate(for: sets[$0]) }
            for (slot, verdict) in zip(newestFirst, evaluator.evaluate(candidates)) { verdicts[slot] = verdict }
        }

        // pgBackRest: a dependency of a kept set is kept, transitively.
        var pg = PgBackRestContext(sets: sets, documents: documents, policy: policy)
        if case .pgbackrest = policy.layout {
            pg.keepDependencies(&verdicts)
            warnings += pg.warnings
        }

        // Guards.
        var guards: [GuardFinding] = []
        let expiring = sets.indices.filter { verdicts[$0].reasons.isEmpty }
        var walDeletes: [ObjectIndex] = []
        if case .pgbackrest = policy.layout {
            let (deletable, note) = pg.deletableWAL(grouping.wal, verdicts: verdicts)
            walDeletes = deletable
            if let note { warnings.append(note) }
        }
        let totalBytes = indices.reduce(Int64(0)) { $0 + objects[$1].size }
        let deleteBytes = expiring.reduce(Int64(0)) { sum, i in sum + (sets[i].current + sets[i].versions).reduce(0) { $0 + objects[$1].size } }
            + walDeletes.reduce(0) { $0 + objects[$1].size }
        let setFraction = sets.isEmpty ? 0 : Double(expiring.count) / Double(sets.count)
        let byteFraction = totalBytes == 0 ? 0 : Double(deleteBytes) / Double(totalBytes)
        let limit = policy.guards.maxDeleteFraction
        var blocked = false
        if setFraction > limit || byteFraction > limit {
            blocked = !force
            let numbers = "would delete \(expiring.count) of \(sets.count) sets (\(Self.percent(setFraction))) and \(deleteBytes) of \(totalBytes) bytes (\(Self.percent(byteFraction))), over max_delete_fraction \(limit)"
            guards.append(GuardFinding(kind: .deleteFractionExceeded, component: policy.component, series: "", blocking: blocked,
                                       message: blocked ? "blocked: \(numbers); no deletes for this component unless forced"
                                                        : "forced: \(numbers)"))
        }
        if let every = policy.expectEvery {
            if sets.isEmpty {
                guards.append(GuardFinding(kind: .stale, component: policy.component, series: "", blocking: false,
                                           message: "no backup sets found, expected one every \(every)"))
            }
            for (series, members) in bySeries.sorted(by: { $0.key < $1.key }) {
                guard let newest = members.map({ sets[$0].epoch }).max(), now - newest > 2 * every.seconds else { continue }
                guards.append(GuardFinding(kind: .stale, component: policy.component, series: series, blocking: false,
                    message: "stale: newest set\(series.isEmpty ? "" : " of \(series)") is from \(CivilTime.iso8601(newest)), older than 2 x expect_every (\(every))"))
            }
        }

        // Actions and per-set results.
        var totals = PlanTotals()
        var deleted = [Bool](repeating: false, count: objects.count)
        var moved: [ObjectIndex: StorageClass] = [:]
        func delete(_ index: ObjectIndex, _ reason: String) {
            deleted[Int(index)] = true
            actions.append(.delete(key: objects[index].key, versionID: objects[index].versionID, reason: reason))
            // Removing a delete marker frees nothing: it is not counted as a deletion.
            guard !objects[index].isDeleteMarker else { return }
            totals.deletes += 1
            totals.deleteBytes += objects[index].size
        }
        var planSets: [PlanSet] = []
        planSets.reserveCapacity(sets.count)
        let tiers = TierSelector(tiers: policy.tiers, pricing: pricing)
        for (i, set) in sets.enumerated() {
            let verdict = verdicts[i]
            let keep = !verdict.reasons.isEmpty
            var target: StorageClass? = nil
            let ordered = set.current.sorted { objects[$0].key < objects[$1].key }
            if keep, let tier = tiers.target(ageSeconds: now - set.epoch, now: now, expiry: verdict.expiry) {
                target = tier.storageClass
                let reason = "tier after \(tier.after): \(tier.storageClass) (set \(set.id) is \(Self.days(now - set.epoch)) old)"
                for index in ordered where !pg.isManifest(objects[index].key) {
                    let object = objects[index]
                    guard TierSelector.shouldMove(size: object.size, from: object.storageClass, to: tier.storageClass) else { continue }
                    actions.append(.transition(key: object.key, from: object.storageClass, to: tier.storageClass, reason: reason))
                    moved[index] = tier.storageClass
                    totals.transitions += 1
                    totals.transitionBytes += object.size
                }
            } else if !keep && !blocked {
                let reason = "set \(set.id) expired: kept by no rule of \(policy.sourcePath)"
                let all = set.versions.isEmpty ? ordered : (set.current + set.versions).sorted(by: keyOrder)
                for index in all { delete(index, reason) }
            }
            let expiry: Date? = keep
                ? verdict.expiry.flatMap { $0 == KeepEvaluator.indefinite ? nil : Date(timeIntervalSince1970: TimeInterval($0)) }
                : Date(timeIntervalSince1970: TimeInterval(now))
            var classes: [StorageClass] = []
            for index in set.current where !classes.contains(objects[index].storageClass) { classes.append(objects[index].storageClass) }
            classes.sort()
            planSets.append(PlanSet(
                id: set.id, series: set.series, time: Date(timeIntervalSince1970: TimeInterval(set.epoch)),
                decision: keep ? .keep : .expire, reasons: verdict.reasons,
                cannotDelete: verdict.reasons.contains(where: \.preventsDeletion), currentClasses: classes,
                targetClass: target.flatMap { t in classes.contains(where: { ($0.coldness ?? 99) < (t.coldness ?? 0) }) ? t : nil },
                projectedExpiry: expiry, objectCount: set.current.count,
                bytes: set.current.reduce(0) { $0 + objects[$1].size },
                members: ordered.map { objects[$0].key }))
        }
        if !blocked {
            let reason = "WAL outside the ranges kept sets need (\(policy.sourcePath))"
            for index in walDeletes.sorted(by: keyOrder) { delete(index, reason) }
            if !expiring.isEmpty, case .pgbackrest(let stanza) = policy.layout {
                let labels = expiring.map { sets[$0].id }.sorted()
                warnings.append("backup.info still lists \(labels.count) deleted set(s) until pgBackRest's next expire; run `tools/backup/postgresql sync-info` (pgbackrest --stanza=\(stanza) expire with retention high enough to remove nothing else) to refresh it (\(labels.prefix(3).joined(separator: ", "))\(labels.count > 3 ? ", ..." : ""))")
            }
        }
        let noncurrent = NoncurrentPlanner(policy: policy, objects: objects, now: now, bypassGovernance: bypassGovernance, pricing: pricing)
            .plan(indices: indices, deleted: deleted, allowDeletes: !blocked)
        for (index, reason) in noncurrent.deletes { delete(index, reason) }
        for index in grouping.metadata + sets.flatMap({ $0.current.filter { pg.isManifest(objects[$0].key) } })
        where objects[index].storageClass != .standard {
            warnings.append("pgBackRest reads \(objects[index].key) but it is in \(objects[index].storageClass), expected STANDARD; not moved by this plan")
        }
        let abortBefore = now - policy.abortIncompleteAfter.seconds
        for upload in uploads.sorted(by: { ($0.key, $0.uploadID) < ($1.key, $1.uploadID) }) where Int64(upload.initiated.timeIntervalSince1970) < abortBefore {
            actions.append(.abortUpload(key: upload.key, uploadID: upload.uploadID,
                reason: "incomplete upload started \(CivilTime.iso8601(Int64(upload.initiated.timeIntervalSince1970))), older than abort_incomplete_after \(policy.abortIncompleteAfter)"))
        }

        let cost = CostModel(pricing: pricing, now: now).cost(objects: objects, indices: indices, deleted: deleted, moved: moved)
        // Fixed slots for the known classes: a dictionary lookup per object costs more than the rest.
        var classObjects = [Int](repeating: 0, count: StorageClass.known.count)
        var classBytes = [Int64](repeating: 0, count: StorageClass.known.count)
        var otherClasses: [String: PlanTotals.ClassTotal] = [:]
        for index in indices {
            let storageClass = objects[index].storageClass, size = objects[index].size
            totals.objects += 1
            totals.bytes += size
            if let slot = storageClass.knownIndex {
                classObjects[slot] += 1
                classBytes[slot] += size
            } else {
                otherClasses[storageClass.rawValue, default: .init(storageClass: storageClass, objects: 0, bytes: 0)].objects += 1
                otherClasses[storageClass.rawValue, default: .init(storageClass: storageClass, objects: 0, bytes: 0)].bytes += size
            }
        }
        totals.byClass = (StorageClass.known.indices.filter { classObjects[$0] > 0 }.map {
            PlanTotals.ClassTotal(storageClass: StorageClass.known[$0], objects: classObjects[$0], bytes: classBytes[$0])
        } + otherClasses.values).sorted { $0.storageClass < $1.storageClass }
        totals.sets = sets.count
        totals.expiringSets = expiring.count
        totals.unrecognized = grouping.unrecognized.count
        totals.abortedUploads = uploads.count { Int64($0.initiated.timeIntervalSince1970) < abortBefore }
        let component = ComponentPlan(
            component: policy.component, policyFile: policy.sourcePath, sets: planSets, guards: guards,
            warnings: warnings.sorted(), unrecognizedKeys: grouping.unrecognized.sorted(), totals: totals, cost: cost,
            noncurrent: noncurrent.entries)
        return component
    }

    private func keyOrder(_ a: ObjectIndex, _ b: ObjectIndex) -> Bool {
        let l = objects[a], r = objects[b]
        return l.key != r.key ? l.key < r.key : (l.versionID ?? "") < (r.versionID ?? "")
    }

    private func candidate(for set: SetRecord) -> KeepEvaluator.Candidate {
        var candidate = KeepEvaluator.Candidate(epoch: set.epoch, tagged: false)
        for index in set.current + set.versions {
            let object = objects[index]
            if object.tags?[Planner.holdTag] != nil { candidate.tagged = true }
            if let lock = object.objectLock {
                if lock.legalHold { candidate.legalHold = true }
                if let until = lock.retainUntil {
                    let seconds = Int64(until.timeIntervalSince1970.rounded(.up))
                    if lock.mode == .governance {
                        candidate.governanceUntil = max(candidate.governanceUntil ?? seconds, seconds)
                    } else {
                        candidate.complianceUntil = max(candidate.complianceUntil ?? seconds, seconds)
                    }
                }
            }
        }
        return candidate
    }

    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }

    static func days(_ seconds: Int64) -> String {
        seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : String(format: "%.1fd", Double(seconds) / 86_400)
    }
}
