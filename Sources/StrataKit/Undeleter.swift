import Foundation
import Logging
import Retention
import S3

/// Removes the delete markers that hide backups the policy keeps, the way out of a
/// delete-marker incident (docs/runbook.md). The library entry point behind `strata undelete`.
///
/// In a versioned bucket a "deleted" key keeps its data versions behind a delete marker;
/// removing every marker above the newest data version makes that version current again, with
/// its original content and ETag. Only markers over sets the plan keeps are removed: a set the
/// policy expires stays hidden, since restoring it would bring back a backup the next sweep
/// may delete. Nothing but a delete marker is ever deleted.
public struct Undeleter: Sendable {
    /// Where to work.
    public let context: StrataContext
    /// The component whose sets are restored.
    public let component: String
    /// The instant the policy is evaluated at.
    public let now: Date
    /// Only markers placed at or after this are considered; `nil`: all.
    public var since: Date?
    /// Lifetime of the bucket lock `apply` takes.
    public var lockTTL: TimeInterval = 180
    /// Where the listing is spooled (unnamed scratch files): the survey and the check before
    /// removing hold the markers found, not the bucket.
    public var spoolDirectory = NSTemporaryDirectory()

    /// Creates an undeleter.
    public init(context: StrataContext, component: String, now: Date, since: Date? = nil) {
        self.context = context
        self.component = component
        self.now = now
        self.since = since
    }

    /// The markers hiding kept sets and the ones left; changes nothing.
    public func survey() async throws -> UndeleteReport {
        let policy = try self.policy()
        guard try await InventoryBuilder.isVersioned(client: context.client, bucket: context.bucket) else {
            return UndeleteReport(component: component, versioned: false, evaluatedAt: now, since: since, sets: [], markers: [])
        }
        var maker = PlanMaker(context: context, options: PlanOptions(components: [component]))
        // Undeleting keeps more; planning without an undecryptable backup.info keeps more too.
        maker.documentFailure = .planWithout
        let (plan, objects) = try await maker.makeStreamedPlanAndSpool(now: now, spoolDirectory: spoolDirectory)
        guard let planned = plan.summary.components.first(where: { $0.component == component }) else {
            throw StrataError(.failure, "the plan has no component \(component)")
        }
        let hiding = try Self.hidingMarkers(keyRuns: objects, prefix: policy.prefix)
        return Self.survey(policy: policy, plan: planned, hiding: hiding, now: now, since: since)
    }

    /// Takes the sweep lease, surveys afresh and removes the markers over kept sets, checking
    /// just before that the lease is still this run's. Throws ``StrataError`` `lockHeld` when a
    /// sweep (or another undelete) holds the lease, or when this run lost it.
    public func apply() async throws -> UndeleteReport {
        let runID = "undelete-" + SweepJournal.newRunID(now: context.now())
        return try await SweepLease.withLease(context: context, runID: runID, timing: SweepLease.Timing(ttl: lockTTL)) { lease in
            var report = try await survey()
            guard report.versioned else { return report }
            try await lease.check()
            report.outcome = try await remove(report.toRemove)
            return report
        }
    }

    /// Removes `candidates`, each only if a fresh listing shows that very version is still a
    /// delete marker; anything else is skipped and reported, never deleted.
    public func remove(_ candidates: [HidingMarker]) async throws -> UndeleteOutcome {
        guard !candidates.isEmpty else { return UndeleteOutcome() }
        let listing = try ObjectSpool(directory: spoolDirectory)
        _ = try await InventoryBuilder(context: context).spool(policies: [try policy()], into: listing)
        var outcome = UndeleteOutcome()
        let confirmed = try Self.confirm(candidates, against: listing, skipped: &outcome.skipped)
        for batch in confirmed.chunked(into: 1000) {
            try await delete(batch, into: &outcome)
        }
        return outcome
    }

    // MARK: - Phases

    private func policy() throws -> Policy {
        let policies = try context.requirePolicies()
        guard let policy = policies.policies.first(where: { $0.component == component }) else {
            throw StrataError(.configuration, "unknown component \(component); expected one of \(policies.policies.map(\.component).joined(separator: ", "))")
        }
        return policy
    }

    /// The survey of one planned component: every marker over a key's newest data
    /// (``hidingMarkers(keyRuns:prefix:)``), judged.
    static func survey(policy: Policy, plan: ComponentPlan, hiding: [(key: String, markers: [InventoryObject])],
                       now: Date, since: Date?) -> UndeleteReport {
        let kept = keptSets(plan)
        var markers: [HidingMarker] = []
        for (key, hiding) in hiding {
            let setID = policy.setID(ofKey: key)
            for marker in hiding {
                guard let versionID = marker.versionID else { continue }
                markers.append(HidingMarker(setID: setID, key: key, versionID: versionID, placedAt: marker.lastModified,
                                            verdict: verdict(setID: setID, placedAt: marker.lastModified, kept: kept, since: since)))
            }
        }
        markers.sort { ($0.setID ?? "", $0.key, $0.placedAt, $0.versionID) < ($1.setID ?? "", $1.key, $1.placedAt, $1.versionID) }
        let touched = Set(markers.filter { $0.verdict == .remove }.compactMap(\.setID))
        let sets = kept.values.filter { touched.contains($0.id) }.sorted { $0.id < $1.id }
        return UndeleteReport(component: plan.component, versioned: true, evaluatedAt: now, since: since, sets: sets, markers: markers)
    }

    /// What becomes of one marker: removed only over a kept set, and not before `since`.
    static func verdict(setID: String?, placedAt: Date, kept: [String: KeptSet], since: Date?) -> HidingMarker.Verdict {
        guard let setID else { return .notInSet }
        guard kept[setID] != nil else { return .setNotKept }
        if let since, placedAt < since { return .beforeSince }
        return .remove
    }

    /// The sets the plan keeps, live (any of whose keys may be hidden) and hidden, by id.
    static func keptSets(_ plan: ComponentPlan) -> [String: KeptSet] {
        var kept: [String: KeptSet] = [:]
        for set in plan.sets where set.decision == .keep {
            kept[set.id] = KeptSet(id: set.id, extent: .partial, reasons: set.reasons.map(\.text))
        }
        for set in plan.hiddenSets where set.decision == .keep {
            kept[set.id] = KeptSet(id: set.id, extent: .whole, reasons: set.reasons.map(\.text))
        }
        return kept
    }

    /// For each key under `prefix` whose latest version is a delete marker and that has data
    /// behind it: the markers above its newest data version (removing all of them makes that
    /// version current). Markers below it hide nothing and are not returned. `objects` gives each
    /// key's versions in one run (a listing of versions, or a report sorted into key runs);
    /// keys are told apart by their bytes, as S3 tells them apart. Memory holds one key's
    /// versions and the markers found.
    static func hidingMarkers(keyRuns objects: some ObjectStream, prefix: String) throws -> [(key: String, markers: [InventoryObject])] {
        var found: [(key: String, markers: [InventoryObject])] = []
        var run: [InventoryObject] = []
        func finishRun() {
            defer { run.removeAll(keepingCapacity: true) }
            // Oldest first; on equal times the latest version is the newer one.
            let versions = run.sorted { ($0.lastModified, $0.isLatest ? 1 : 0) < ($1.lastModified, $1.isLatest ? 1 : 0) }
            guard let latest = versions.last, latest.isLatest, latest.isDeleteMarker,
                  let newestData = versions.lastIndex(where: { !$0.isDeleteMarker }) else { return }
            found.append((latest.key, versions[(newestData + 1)...].filter(\.isDeleteMarker)))
        }
        let prefix = Array(prefix.utf8)
        try objects.forEachObject(whereKey: { $0.starts(with: prefix) }) { object in
            guard object.versionID != nil else { return }
            if let first = run.first, !first.key.utf8.elementsEqual(object.key.utf8) { finishRun() }
            run.append(object)
        }
        finishRun()
        return found
    }

    /// The candidates that `objects` (a fresh listing) holds as delete markers, in order; the
    /// rest go to `skipped`. Memory holds the candidates, not the listing.
    static func confirm(_ candidates: [HidingMarker], against objects: some ObjectStream,
                        skipped: inout [UndeleteOutcome.Skipped]) throws -> [HidingMarker] {
        let wanted = Set(candidates.map { VersionRef(key: Array($0.key.utf8), versionID: $0.versionID) })
        var listed: [VersionRef: Bool] = [:]
        try objects.forEachObject { object in
            guard let versionID = object.versionID else { return }
            let ref = VersionRef(key: Array(object.key.utf8), versionID: versionID)
            if wanted.contains(ref) { listed[ref] = object.isDeleteMarker }
        }
        return candidates.filter { candidate in
            switch listed[VersionRef(key: Array(candidate.key.utf8), versionID: candidate.versionID)] {
            case true?: return true
            case false?: skipped.append(.init(marker: candidate, reason: .notADeleteMarker))
            case nil: skipped.append(.init(marker: candidate, reason: .gone))
            }
            return false
        }
    }

    /// A version of a key, the key by its bytes: another spelling of an accented key is another key.
    private struct VersionRef: Hashable {
        var key: [UInt8]
        var versionID: String
    }

    /// One DeleteObjects request naming each marker's version.
    private func delete(_ batch: [HidingMarker], into outcome: inout UndeleteOutcome) async throws {
        let result = try await context.client.deleteObjects(
            bucket: context.bucket, objects: batch.map { ObjectIdentifier(key: $0.key, versionID: $0.versionID) })
        let removed = Set(result.deleted.map { "\($0.key)\u{0}\($0.versionID ?? "")" })
        outcome.removed += batch.filter { removed.contains("\($0.key)\u{0}\($0.versionID)") }
        outcome.failures += result.failures.map { "remove delete marker \($0.description)" }
        context.logger.info("removed delete markers", metadata: ["component": "\(component)", "count": "\(removed.count)"])
    }
}
