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
            // The key without a version: hidden by the marker, gone as far as a HEAD sees.
            #expect(try await holds(nil, ReportedIdentity(eTag: old.eTag, lastModified: old.lastModified)))
        }
    }
}
