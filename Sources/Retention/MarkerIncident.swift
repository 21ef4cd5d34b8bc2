import Foundation

/// Delete markers someone placed since the last sweep over a component's backups: ransomware,
/// a bad script, or an operator's `aws s3 rm --recursive`. Hidden sets the policy keeps are never
/// purged anyway; this guard raises the alarm and stops the component's deletions when the
/// markers hide the newest set of a series, or more than `max_delete_fraction` of its sets.
/// `--force` does not lift it; `strata undelete` removes the markers.
struct MarkerIncident {
    /// The hidden sets whose markers are new, by index into the grouping's `hidden`.
    var recent: [Int]
    /// When the new markers were placed, first and last (epoch seconds).
    var firstMarker: Int64
    var lastMarker: Int64
    /// The sets that count (live and hidden, not future-dated): what the fraction is of.
    var present: Int

    /// The incident in `grouping`, if there is one. `since` is the last sweep's time (`nil`:
    /// unknown, so every marker is new); future-dated sets are left out on both sides.
    static func detect(grouping: SetGrouping, decisions: KeepDecisions, objects: [InventoryObject],
                       since: Int64?, limit: Double) -> MarkerIncident? {
        let latestMarkers = grouping.hidden.map { set -> (first: Int64, last: Int64)? in
            let times = set.versions.filter { objects[$0].isLatest && objects[$0].isDeleteMarker }
                .map { Int64(objects[$0].lastModified.timeIntervalSince1970.rounded(.down)) }
            guard let first = times.min(), let last = times.max() else { return nil }
            return (first, last)
        }
        return detect(grouping: grouping, decisions: decisions, latestMarkers: latestMarkers, since: since, limit: limit)
    }

    /// ``detect(grouping:decisions:objects:since:limit:)`` from each hidden set's latest delete
    /// markers, first and last placed (epoch seconds, rounded down; `nil`: none), as a planner
    /// that does not hold the objects counts them.
    static func detect(grouping: SetGrouping, decisions: KeepDecisions, latestMarkers: [(first: Int64, last: Int64)?],
                       since: Int64?, limit: Double) -> MarkerIncident? {
        var recent: [Int] = []
        var first = Int64.max, last = Int64.min
        for (i, markers) in latestMarkers.enumerated() where !decisions.hiddenFuture[i] {
            guard let markers, markers.last > (since ?? Int64.min) else { continue }
            recent.append(i)
            first = min(first, markers.first)
            last = max(last, markers.last)
        }
        guard !recent.isEmpty else { return nil }
        let present = decisions.liveFuture.count { !$0 } + decisions.hiddenFuture.count { !$0 }
        let hidesNewest = Set(grouping.hidden.map(\.series)).contains { series in
            newestIsRecentlyHidden(series: series, grouping: grouping, decisions: decisions, recent: Set(recent))
        }
        guard hidesNewest || Double(recent.count) / Double(max(present, 1)) > limit else { return nil }
        return MarkerIncident(recent: recent, firstMarker: first, lastMarker: last, present: present)
    }

    private static func newestIsRecentlyHidden(series: String, grouping: SetGrouping, decisions: KeepDecisions, recent: Set<Int>) -> Bool {
        let newestLive = grouping.sets.indices.filter { grouping.sets[$0].series == series && !decisions.liveFuture[$0] }
            .map { grouping.sets[$0].epoch }.max() ?? Int64.min
        return recent.contains { grouping.hidden[$0].series == series && grouping.hidden[$0].epoch > newestLive }
    }

    /// The blocking finding, with what happened and what to do.
    func finding(policy: Policy, grouping: SetGrouping, since: Int64?) -> GuardFinding {
        let ids = recent.map { grouping.hidden[$0].id }.sorted()
        let newest = ids.suffix(3).reversed().joined(separator: ", ")
        let after = since.map { "after the last sweep at \(CivilTime.iso8601($0))" } ?? "(no earlier sweep is known)"
        return GuardFinding(
            kind: .deleteMarkerIncident, component: policy.component, series: "", blocking: true,
            message: "incident: delete markers placed \(CivilTime.iso8601(firstMarker))...\(CivilTime.iso8601(lastMarker)) \(after) hide \(recent.count) of \(present) sets (newest: \(newest)); no version of this component is deleted and --force does not lift this; see `strata undelete --component \(policy.component)`")
    }
}
