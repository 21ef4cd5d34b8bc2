import Foundation
import NIOHTTP1
import S3
import StrataTestSupport
import Testing

/// Listings from a server that answers 200 with pages no S3 would send: they fail with a clear
/// error instead of ending early (a planner would miss versions) or looping forever.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct MisbehavingListingTests {
    static let versionsHead = #"<?xml version="1.0"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>"#
    static let version = "<Version><Key>vault/a</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Version>"

    /// (what, page body the proxy answers every listing with, what the error says)
    static let cases: [(String, String, String)] = [
        ("ListObjectVersions truncated without NextKeyMarker (issue 16, row 13: the listing ended silently)",
         versionsHead + "<IsTruncated>true</IsTruncated>" + version + "</ListVersionsResult>",
         "a truncated listing without NextKeyMarker"),
        ("ListObjectVersions whose marker never moves on",
         versionsHead + "<IsTruncated>true</IsTruncated><NextKeyMarker>vault/a</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>" + version + "</ListVersionsResult>",
         "the next page's marker is the one just listed (vault/a)"),
    ]

    @Test(arguments: cases)
    func aMalformedVersionsListingFailsClearly(_ what: String, _ body: String, _ expected: String) async throws {
        try await TestBucket.with(.rgw, purpose: "bad-listing") { bucket in
            let servers = try TestServers.require()
            try await FaultProxy.with(upstream: servers.rgwEndpoint) { proxy, url in
                let configuration = try TestBucket.configuration(.rgw, servers: servers, endpoint: url)
                try await S3Client.withClient(configuration: configuration, credentials: TestBucket.credentials(servers),
                                              logger: .init(label: "bad-listing")) { client in
                    proxy.inject(.answer(status: 200, body: body), times: 3) { $0.uri.contains("versions") }
                    let error = await #expect(throws: S3TransportError.self, "\(what)") {
                        for try await _ in client.listObjectVersions(bucket: bucket.name, prefix: "vault/") {}
                    }
                    #expect(error.map { "\($0)" }?.contains(expected) == true, "\(what): \(error.map { "\($0)" } ?? "no error")")
                }
            }
        }
    }
}

/// Objects whose recorded checksum metadata someone else wrote.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct PlantedChecksumMetadataTests {
    /// (part size in the fits table, object size, fits)
    static let fitCases: [(Int64, Int64, Bool)] = [
        (8 << 20, 1 << 30, true), (8 << 20, 0, true), (5 << 30, 5 << 30, true), (1, 10_000, true),
        (1, 10_001, false), (Int64.max, 1 << 20, false), ((5 << 30) + 1, 1, false), (0, 1, false), (-1, 1, false),
    ]

    @Test(arguments: fitCases)
    func aPartSizeFitsWhenS3CouldHaveMadeIt(_ partSize: Int64, _ objectSize: Int64, _ fits: Bool) {
        let checksum = ContentChecksum(digest: String(repeating: "0", count: 64), partSize: partSize)
        #expect(checksum.fits(objectSize: objectSize) == fits)
    }

    /// Issue 16, rows 1 and 2: `strata-part-size` of 2^63-1 crashed `cp`, `retrieve` and
    /// `verify --deep` (overflow), and 1 meant a ranged GET per byte. The object downloads,
    /// checked by its MD5 ETag.
    @Test(arguments: ["9223372036854775807", "1"])
    func aDownloadIgnoresAnImplausiblePartSize(_ planted: String) async throws {
        try await TestBucket.with(.rgw, purpose: "planted-part-size") { bucket in
            let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await bucket.client.putObject(bucket: bucket.name, key: "vault/planted.snap", body: body, options: PutOptions(metadata: [
                ContentChecksum.digestKey: String(repeating: "a", count: 64), ContentChecksum.partSizeKey: planted]))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-planted-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try await bucket.client.downloadFile(bucket: bucket.name, key: "vault/planted.snap", to: path)
            #expect(result.verification == .md5ETag)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(body))
        }
    }
}
