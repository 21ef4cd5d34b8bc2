import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// The HEAD a sweep from an inventory report makes before each deletion
/// (``PlanMaker/stillHolds(client:bucket:key:versionID:reported:)``): a version the report
/// described is deleted only while it is what the report said; one gone is a no-op; and a
/// delete marker, whose version a HEAD is refused (405 on S3 and moto, 404 on RGW), is still
/// what the report said, not an error that stops the sweep.
@Suite(.serialized) struct ReportCheckTests {
    @Test("versions, delete markers and gone objects are judged as the report described them",
          arguments: [ScratchBucket.Server.rgw, .moto])
    func versionsAndMarkers(server: ScratchBucket.Server) async throws {
        try await ScratchBucket.with(server, purpose: "report-check") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            _ = try await bucket.client.putObject(bucket: bucket.name, key: "k", body: Array("one".utf8))
            _ = try await bucket.client.putObject(bucket: bucket.name, key: "k", body: Array("two".utf8))
            try await bucket.client.deleteObject(bucket: bucket.name, key: "k")
            let versions = try await bucket.client.listObjectVersionsPage(bucket: bucket.name).versions
            let markers = versions.filter { version in version.isDeleteMarker }
            let stored = versions.filter { version in !version.isDeleteMarker }
            try #require(markers.count == 1 && stored.count == 2)
            let marker = markers[0]
            func holds(_ versionID: String?, _ reported: ReportedIdentity?) async throws -> Bool {
                try await PlanMaker.stillHolds(client: bucket.client, bucket: bucket.name, key: "k", versionID: versionID, reported: reported)
            }
            // The marker: its version cannot be HEADed, and it holds nothing that could change.
            #expect(try await holds(marker.versionID, nil))
            // A data version is what the report said only with the report's ETag.
            let old = try #require(stored.last)
            #expect(try await holds(old.versionID, ReportedIdentity(eTag: old.eTag, lastModified: old.lastModified)))
            #expect(try await !holds(old.versionID, ReportedIdentity(eTag: "\"0123456789abcdef0123456789abcdef\"", lastModified: old.lastModified)))
            #expect(try await !holds(old.versionID, nil), "a version the report did not describe is not deleted")
            #expect(try await !holds(old.versionID, ReportedIdentity(eTag: nil, lastModified: old.lastModified, isDeleteMarker: true)),
                    "a version the report called a delete marker holds data: not what the report said")
            // The key without a version: hidden by the marker, gone as far as a HEAD sees.
            #expect(try await holds(nil, ReportedIdentity(eTag: old.eTag, lastModified: old.lastModified)))
        }
    }
}

/// A report is outside input: whoever can write where it lands can call any row a delete marker.
@Suite(.serialized) struct ForgedMarkerReportTests {
    /// A report that lists a kept backup's data version as a noncurrent delete marker, under
    /// `noncurrent: {expire_after: 1d}`: the planner takes the version for an old marker and
    /// plans its deletion. The HEAD before the deletion finds data where the report said a
    /// marker, so the version is left alone, in memory and streamed.
    @Test("a report that calls a kept backup's data version a delete marker does not get it deleted",
          arguments: [false, true])
    func forgedMarker(streamed: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "forged-marker") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            _ = try StreamedDryRunTests.seeded(bucket)
            let vault = try await bucket.keys().filter { $0.hasPrefix("vault/") }.sorted()
            try #require(vault.count > 4)
            // A kept set, not the newest (vault keeps 90 days; the seeded month is all kept).
            let target = vault[vault.count - 2]
            let before = try await bucket.client.listObjectVersionsPage(bucket: bucket.name, prefix: target).versions
            let data = try #require(before.first { version in version.key == target && !version.isDeleteMarker })
            let now = StreamedVersionedApplyTests.later()
            let context = try bucket.context(policies: try StreamedVersionedApplyTests.expiringPolicies(), now: now)
            let journal = try makeScratchDirectory("forged-marker"), reports = try makeScratchDirectory("forged-marker-report")
            defer {
                try? FileManager.default.removeItem(atPath: journal)
                try? FileManager.default.removeItem(atPath: reports)
            }
            var sweep = Sweep(context: context, options: PlanOptions(), now: now, journal: .directory(journal))
            sweep.leaseSettle = .milliseconds(10)
            let manifest = try StreamedDryRunTests.makeReport(bucket, in: reports, versions: true, forgedMarkers: [target])
            sweep.source = .report(.file(manifest), maximumAge: 1e9)
            // The plan deletes the forged "marker": the report is all the planner sees.
            let planned = try await sweep.run(apply: false).plan.actions
            #expect(planned.contains { action in
                if case .delete(let key, let version, _) = action { key == target && version == data.versionID } else { false }
            })
            _ = streamed ? try await sweep.streamedApply(spoolDirectory: journal) : try await sweep.run(apply: true)
            let after = try await bucket.client.listObjectVersionsPage(bucket: bucket.name, prefix: target).versions
            #expect(after.contains { version in version.key == target && version.versionID == data.versionID && version.isLatest },
                    "the kept backup's data version was deleted")
        }
    }
}
