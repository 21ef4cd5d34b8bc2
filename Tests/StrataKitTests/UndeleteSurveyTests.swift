import Foundation
import Retention
@testable import StrataKit
import Testing

/// Which delete markers `Undeleter` picks from an inventory, without a server: only markers
/// above a key's newest data, over sets the plan keeps, at or after `since`.
@Suite struct UndeleteSurveyTests {
    static let now = Date(timeIntervalSince1970: 1_798_588_800)  // 2026-12-30T00:00:00Z
    static let policies = try! PolicySet.load(files: [PolicySource(path: "vault.yaml", contents: """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
        retention:
          keep_last: 2
        noncurrent: keep
        """)])

    static func version(_ key: String, _ id: String, at seconds: TimeInterval, latest: Bool = false, marker: Bool = false) -> InventoryObject {
        InventoryObject(key: key, size: marker ? 0 : 100, lastModified: Date(timeIntervalSince1970: 1_795_000_000 + seconds),
                        versionID: id, isLatest: latest, isDeleteMarker: marker)
    }

    static func survey(_ objects: [InventoryObject], since: Date? = nil) throws -> UndeleteReport {
        let inventory = Inventory(objects: objects)
        let plan = Planner(policies: policies).plan(inventory: inventory, now: now)
        let component = try #require(plan.components.first)
        // As a listing gives them: each key's versions in one run.
        let hiding = try Undeleter.hidingMarkers(keyRuns: KeyRuns.sorted(objects, key: \.key), prefix: policies.policies[0].prefix)
        return Undeleter.survey(policy: policies.policies[0], plan: component, hiding: hiding, now: now, since: since)
    }

    @Test func stackedMarkersAboveTheNewestDataAreAllRemovedAndOlderOnesLeftAlone() throws {
        let newest = "vault/20261120_000000.snap", kept = "vault/20261110_000000.snap", live = "vault/20261101_000000.snap"
        let report = try Self.survey([
            Self.version(newest, "d1", at: 0, latest: true),
            // Two markers over the data of a kept set, and one below it (an old deletion).
            Self.version(kept, "m0", at: 0, marker: true), Self.version(kept, "d2", at: 10),
            Self.version(kept, "m1", at: 20, marker: true), Self.version(kept, "m2", at: 30, latest: true, marker: true),
            // A current key with a marker behind it hides nothing.
            Self.version(live, "m3", at: 0, marker: true), Self.version(live, "d3", at: 10, latest: true),
            // A key of no set, and a key with nothing but a marker.
            Self.version("vault/README", "d4", at: 0), Self.version("vault/README", "m4", at: 10, latest: true, marker: true),
            Self.version("vault/20261105_000000.snap", "m5", at: 0, latest: true, marker: true),
        ])
        #expect(report.toRemove.map(\.versionID) == ["m1", "m2"])
        #expect(report.sets.map(\.id) == ["2026-11-10T00:00:00Z"])
        #expect(report.sets.map(\.extent) == [.whole])
        #expect(report.left == [.notInSet: 1])
    }

    @Test func sinceLeavesEarlierMarkersAndExpiredSetsKeepTheirs() throws {
        let newest = "vault/20261120_000000.snap", expired = "vault/20260101_000000.snap"
        let report = try Self.survey([
            Self.version(newest, "d1", at: 0), Self.version(newest, "m1", at: 100, latest: true, marker: true),
            Self.version("vault/20261110_000000.snap", "d2", at: 0), Self.version("vault/20261110_000000.snap", "m2", at: 50, latest: true, marker: true),
            Self.version("vault/20261101_000000.snap", "d3", at: 0, latest: true),
            Self.version(expired, "d4", at: 0), Self.version(expired, "m4", at: 100, latest: true, marker: true),
        ], since: Date(timeIntervalSince1970: 1_795_000_000 + 100))
        #expect(report.toRemove.map(\.versionID) == ["m1"])
        #expect(report.left == [.beforeSince: 1, .setNotKept: 1])
        #expect(report.markers.first { $0.versionID == "m4" }?.verdict == .setNotKept)
    }
}
