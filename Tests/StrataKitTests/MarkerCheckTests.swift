import Foundation
import NIOHTTP1
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// A sweep that removes delete markers checks the holds and locks of what it deletes. S3 refuses
/// a delete marker's version those reads (405 MethodNotAllowed; RGW answers, moto says
/// NoSuchVersion): a marker carries no tags and no lock, so the refusal is nothing to protect,
/// not an error that stops the sweep.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized)
struct MarkerCheckTests {
    static let refusal = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message></Error>"

    @Test("a 405 to a delete marker's tags or HEAD is no hold", arguments: ["tagging", "HEAD"])
    func aRefusedMarkerReadIsNoHold(refused: String) async throws {
        try await ScratchBucket.with(.rgw, purpose: "marker-checks") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            _ = try await bucket.client.putObject(bucket: bucket.name, key: "vault/20261101_000000.snap", body: Array("one".utf8))
            try await bucket.client.deleteObject(bucket: bucket.name, key: "vault/20261101_000000.snap")
            let versions = try await bucket.client.listObjectVersionsPage(bucket: bucket.name).versions
            let markers = versions.filter { version in version.isDeleteMarker }
            try #require(markers.count == 1)
            try await SweepFaultTests.throughProxy(bucket) { context, proxy in
                proxy.inject(.answer(status: 405, body: Self.refusal), times: 4) { head in
                    head.uri.contains("versionId") && (refused == "HEAD" ? head.method == .HEAD : head.uri.contains("tagging"))
                }
                let maker = PlanMaker(context: context)
                let marker = PlanMaker.ObjectRef(key: markers[0].key, versionID: markers[0].versionID)
                let details = try await maker.fetchDetails([marker], checks: PlanMaker.Checks(taggedPrefixes: refused == "HEAD" ? [] : ["vault/"], locks: true))
                #expect(details.isEmpty)
                #expect(proxy.injected == 1)
            }
        }
    }
}
