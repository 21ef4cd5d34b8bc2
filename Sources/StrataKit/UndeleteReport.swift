import Foundation
import Retention

/// What `strata undelete` found and did for one component: the delete markers over backups,
/// which of them it removes (or would), and why it leaves the others. Its JSON form is what
/// `strata undelete --json` prints (docs/cli.md).
public struct UndeleteReport: Codable, Sendable, Hashable {
    /// The component.
    public var component: String
    /// Whether the bucket has (or had) versioning: without it there are no delete markers.
    public var versioned: Bool
    /// The instant the policy was evaluated at.
    public var evaluatedAt: Date
    /// Only markers placed at or after this were considered (`--since`).
    public var since: Date?
    /// The kept sets some of whose keys the `remove` markers hide.
    public var sets: [KeptSet]
    /// Every delete marker over a key's newest data under the component's prefix, with its verdict.
    public var markers: [HidingMarker]
    /// What removing them did; `nil` for a dry run.
    public var outcome: UndeleteOutcome?

    /// The markers to remove.
    public var toRemove: [HidingMarker] { markers.filter { $0.verdict == .remove } }

    /// The markers left, with how many of each verdict.
    public var left: [HidingMarker.Verdict: Int] {
        Dictionary(grouping: markers.filter { $0.verdict != .remove }, by: \.verdict).mapValues(\.count)
    }
}

/// A set the policy keeps whose keys are (partly) hidden by delete markers.
public struct KeptSet: Codable, Sendable, Hashable {
    /// How much of a set the markers hide.
    public enum Extent: String, Codable, Sendable, Hashable {
        /// Every key: the set has no current object (the plan's `hiddenSets`).
        case whole
        /// Some keys: the set is still live, with fewer objects than it was written with.
        case partial
    }

    /// The set id, as the plan names it.
    public var id: String
    /// Whether the whole set or some of its keys are hidden.
    public var extent: Extent
    /// Why the policy keeps it, as the plan words it.
    public var reasons: [String]
}

/// One delete marker that hides a key's newest data version (it is the latest version, or
/// stacked above the newest data under such a marker).
public struct HidingMarker: Codable, Sendable, Hashable {
    /// What `undelete` does with the marker.
    public enum Verdict: String, Codable, Sendable, Hashable {
        /// It hides a set the policy keeps: removed (with `--apply`).
        case remove
        /// Its set is one the policy does not keep: left, since restoring it would bring back a
        /// backup the next sweep may delete.
        case setNotKept
        /// Its key belongs to no backup set (metadata, WAL, unrecognized): left.
        case notInSet
        /// Placed before `--since`: left.
        case beforeSince
    }

    /// The set the key belongs to, if any.
    public var setID: String?
    /// The key.
    public var key: String
    /// The marker's version id.
    public var versionID: String
    /// When the marker was placed (its Last-Modified).
    public var placedAt: Date
    /// What happens to it.
    public var verdict: Verdict

    /// Creates a marker record.
    public init(setID: String?, key: String, versionID: String, placedAt: Date, verdict: Verdict) {
        self.setID = setID
        self.key = key
        self.versionID = versionID
        self.placedAt = placedAt
        self.verdict = verdict
    }
}

/// What removing markers did.
public struct UndeleteOutcome: Codable, Sendable, Hashable {
    /// Why a candidate was not removed.
    public enum SkipReason: String, Codable, Sendable, Hashable {
        /// The fresh listing holds that version, but it is not a delete marker: never deleted.
        case notADeleteMarker
        /// The fresh listing does not hold that version any more.
        case gone
    }

    /// A candidate left alone, and why.
    public struct Skipped: Codable, Sendable, Hashable {
        /// The candidate.
        public var marker: HidingMarker
        /// Why.
        public var reason: SkipReason
    }

    /// Markers removed.
    public var removed: [HidingMarker] = []
    /// Candidates refused.
    public var skipped: [Skipped] = []
    /// Removals S3 refused, one line each.
    public var failures: [String] = []

    /// The sets some of whose keys are current again, sorted.
    public var restoredSets: [String] { Set(removed.compactMap(\.setID)).sorted() }
}
