import Foundation
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// `Undeleter` on the real RGW: it deletes delete markers and nothing else, whatever its
/// candidate list says.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct UndeleteLibraryTests {
    static let policy = """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
        retention:
          keep_last: 3
        noncurrent: keep
        """
    static let now = Date(timeIntervalSince1970: 1_798_588_800)  // 2026-12-30T00:00:00Z
    static let live = "vault/20261120_000000.snap"
    static let hidden = "vault/20261121_000000.snap"

    static func versions(_ bucket: ScratchBucket) async throws -> [ObjectVersion] {
        var versions: [ObjectVersion] = []
        for try await page in bucket.client.listObjectVersions(bucket: bucket.name, prefix: "vault/") { versions += page.versions }
        return versions
    }

    @Test func aVersionThatIsNotADeleteMarkerIsNeverRemovedEvenWhenItIsACandidate() async throws {
        try await ScratchBucket.with(.rgw, purpose: "undelete-lib") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            try await bucket.client.putObject(bucket: bucket.name, key: Self.live, body: Array("live".utf8))
            try await bucket.client.putObject(bucket: bucket.name, key: Self.hidden, body: Array("hidden".utf8))
            try await bucket.client.deleteObject(bucket: bucket.name, key: Self.hidden)
            let before = try await Self.versions(bucket)
            let liveData = try #require(before.first { $0.key == Self.live })
            let hiddenData = try #require(before.first { $0.key == Self.hidden && !$0.isDeleteMarker })

            let undeleter = Undeleter(context: try bucket.context(policies: ["vault.yaml": Self.policy], now: Self.now),
                                      component: "vault", now: Self.now)
            let report = try await undeleter.survey()
            #expect(report.toRemove.map(\.key) == [Self.hidden])
            #expect(report.sets.map(\.extent) == [.whole])

            // Data versions smuggled into the candidates, as a bug or a stale list might.
            let impostors = [liveData, hiddenData].map {
                HidingMarker(setID: "x", key: $0.key, versionID: $0.versionID, placedAt: Self.now, verdict: .remove)
            }
            let outcome = try await undeleter.remove(impostors + report.toRemove)
            #expect(outcome.removed == report.toRemove)
            #expect(outcome.skipped == impostors.map { UndeleteOutcome.Skipped(marker: $0, reason: .notADeleteMarker) })
            #expect(outcome.failures.isEmpty)

            let after = try await Self.versions(bucket)
            #expect(after.allSatisfy { !$0.isDeleteMarker }, "the marker is gone")
            #expect(Set(after.map(\.versionID)) == [liveData.versionID, hiddenData.versionID], "both data versions remain")
            #expect(after.allSatisfy { $0.isLatest }, "the hidden backup is current again")
            let object = try await bucket.client.getObject(bucket: bucket.name, key: Self.hidden)
            #expect(object.body == Array("hidden".utf8))
        }
    }
}
