import Foundation
import NIOHTTP1
@testable import S3
import StrataTestSupport
import Synchronization
import Testing

/// Multipart uploads with ``UploadCheckpoints``: cut short, then resumed from the parts RGW
/// holds, through the fault proxy so the cut is exact.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct ResumableUploadTests {
    static let mib = 1024 * 1024
    /// 5 MiB parts one at a time: a 503 storm on part 3 leaves exactly parts 1 and 2 behind.
    static let sequentialParts = TransferConfiguration(multipartThreshold: 5 * Int64(mib), partSize: 5 * Int64(mib),
                                                       concurrency: 1)

    /// A client like `client` with `sequentialParts`.
    static func sequential(_ client: S3Client) throws -> S3Client {
        var configuration = client.configuration
        configuration.transfer = sequentialParts
        return try S3Client(configuration: configuration, credentials: client.credentials,
                            httpClient: client.httpClient, logger: client.logger)
    }

    /// A 17 MiB + 5 bytes random file (4 parts) and a fresh checkpoint directory, removed after `body`.
    static func withFileAndCheckpoints(_ body: (String, [UInt8], UploadCheckpoints) async throws -> Void) async throws {
        let (path, data) = try MultipartAndTransferTests.randomFile(bytes: 17 * mib + 5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-ckpt-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await body(path, data, UploadCheckpoints(directory: directory))
    }

    static func records(_ checkpoints: UploadCheckpoints) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.directory)) ?? []).filter { $0.hasSuffix(".json") }
    }

    /// First run: parts 1 and 2 go up, part 3 meets 503 on every attempt; the upload and its record stay.
    static func cutShortAtPartThree(_ client: S3Client, bucket: String, path: String, checkpoints: UploadCheckpoints,
                                    proxy: FaultProxy) async throws -> String {
        proxy.inject(.error(status: 503, code: "SlowDown"), times: 4) { $0.uri.contains("partNumber=3") }
        let error = await #expect(throws: S3Error.self) {
            _ = try await client.uploadFile(bucket: bucket, key: "db/base.tar", path: path, checkpoints: checkpoints)
        }
        #expect(error?.code == .slowDown)
        let uploads = try await client.listMultipartUploads(bucket: bucket)
        #expect(uploads.count == 1)
        let id = try #require(uploads.first?.uploadID)
        #expect(try await client.listParts(bucket: bucket, key: "db/base.tar", uploadID: id).map(\.partNumber) == [1, 2])
        #expect(records(checkpoints).count == 1)
        return id
    }

    /// The state after ``cutShortAtPartThree(_:bucket:path:checkpoints:proxy:)``.
    struct CutShort {
        /// Sequential parts through the proxy.
        let client: S3Client
        /// Straight to RGW, for checks.
        let direct: S3Client
        let bucket: String
        let proxy: FaultProxy
        let path: String
        let data: [UInt8]
        let checkpoints: UploadCheckpoints
        /// The upload the first run left behind.
        let uploadID: String
    }

    /// Runs `body` after a first upload of a fresh file was cut short at part 3.
    static func afterCutShort(_ body: (CutShort) async throws -> Void) async throws {
        try await withFileAndCheckpoints { path, data, checkpoints in
            try await RetryTests.throughProxy { direct, bucket, proxy in
                let client = try sequential(direct)
                let id = try await cutShortAtPartThree(client, bucket: bucket, path: path, checkpoints: checkpoints, proxy: proxy)
                try await body(CutShort(client: client, direct: direct, bucket: bucket, proxy: proxy, path: path,
                                        data: data, checkpoints: checkpoints, uploadID: id))
            }
        }
    }

    @Test func anUploadCutShortResumesFromThePartsS3Holds() async throws {
        try await Self.afterCutShort { run in
            let (client, direct, bucket, proxy, path, data, checkpoints) =
                (run.client, run.direct, run.bucket, run.proxy, run.path, run.data, run.checkpoints)
            do {

                let sent = Mutex<[String]>([])
                proxy.inject(.forward) { head in
                    if head.method == .PUT, head.uri.contains("partNumber=") { sent.withLock { $0.append(head.uri) } }
                    return false
                }
                let progress = ProgressLog()
                let result = try await client.uploadFile(bucket: bucket, key: "db/base.tar", path: path,
                                                         checkpoints: checkpoints,
                                                         progress: { done, total in progress.record(done, total) })
                #expect(result.parts == 4)
                #expect(result.resumedParts == 2)
                let partsSent = sent.withLock { $0 }
                #expect(partsSent.count == 2)
                #expect(partsSent.allSatisfy { $0.contains("partNumber=3") || $0.contains("partNumber=4") })
                #expect(progress.last?.0 == Int64(data.count))
                let object = try await direct.getObject(bucket: bucket, key: "db/base.tar")
                #expect(object.body == data)
                #expect(ContentChecksum(metadata: object.head.metadata) == result.checksum)
                #expect(try await direct.listMultipartUploads(bucket: bucket).isEmpty)
                #expect(Self.records(checkpoints).isEmpty)
            }
        }
    }

    @Test func aChangedFileAbortsTheRecordedUploadAndStartsAgain() async throws {
        try await Self.afterCutShort { run in
            let (client, direct, bucket, path, data, checkpoints, first) =
                (run.client, run.direct, run.bucket, run.path, run.data, run.checkpoints, run.uploadID)
            do {
                var changed = data
                changed[100] ^= 0xFF  // same size, different first part
                try Data(changed).write(to: URL(fileURLWithPath: path))
                let result = try await client.uploadFile(bucket: bucket, key: "db/base.tar", path: path, checkpoints: checkpoints)
                #expect(result.resumedParts == 0)
                #expect(try await direct.getObject(bucket: bucket, key: "db/base.tar").body == changed)
                let left = try await direct.listMultipartUploads(bucket: bucket)
                #expect(!left.contains { $0.uploadID == first })
                #expect(left.isEmpty)
                #expect(Self.records(checkpoints).isEmpty)
            }
        }
    }

    @Test func anUploadGoneFromTheServerStartsAgain() async throws {
        try await Self.afterCutShort { run in
            let (client, direct, bucket, path, data, checkpoints, first) =
                (run.client, run.direct, run.bucket, run.path, run.data, run.checkpoints, run.uploadID)
            do {
                // As the sweep's stale-upload abort or a lifecycle rule would.
                try await direct.abortMultipartUpload(bucket: bucket, key: "db/base.tar", uploadID: first)
                let result = try await client.uploadFile(bucket: bucket, key: "db/base.tar", path: path, checkpoints: checkpoints)
                #expect(result.resumedParts == 0)
                #expect(try await direct.getObject(bucket: bucket, key: "db/base.tar").body == data)
                #expect(try await direct.listMultipartUploads(bucket: bucket).isEmpty)
            }
        }
    }

    @Test func aRefusedUploadIsAbortedEvenWithCheckpoints() async throws {
        try await Self.withFileAndCheckpoints { path, _, checkpoints in
            try await RetryTests.throughProxy { direct, bucket, proxy in
                let client = try Self.sequential(direct)
                proxy.inject(.error(status: 403, code: "AccessDenied")) { $0.uri.contains("partNumber=2") }
                let error = await #expect(throws: S3Error.self) {
                    _ = try await client.uploadFile(bucket: bucket, key: "db/base.tar", path: path, checkpoints: checkpoints)
                }
                #expect(error?.code == .accessDenied)
                #expect(try await direct.listMultipartUploads(bucket: bucket).isEmpty)
                #expect(Self.records(checkpoints).isEmpty)
            }
        }
    }

    @Test func anUnreadableRecordIsIgnoredAndAnUnwritableDirectoryFailsBeforeAnyPart() async throws {
        try await Self.withFileAndCheckpoints { path, data, checkpoints in
            try await TestBucket.with(.rgw, purpose: "ckpt", transfer: Self.sequentialParts) { bucket in
                try FileManager.default.createDirectory(atPath: checkpoints.directory, withIntermediateDirectories: true)
                let record = checkpoints.file(bucket: bucket.name, path: path)
                try Data("{not json".utf8).write(to: URL(fileURLWithPath: record))
                let result = try await bucket.client.uploadFile(bucket: bucket.name, key: "a", path: path, checkpoints: checkpoints)
                #expect(result.resumedParts == 0)
                #expect(try await bucket.client.getObject(bucket: bucket.name, key: "a").body == data)
                #expect(Self.records(checkpoints).isEmpty)

                // A regular file where the directory should be: nothing can be recorded.
                let blocker = checkpoints.directory + "/file"
                try Data().write(to: URL(fileURLWithPath: blocker))
                let unwritable = UploadCheckpoints(directory: blocker + "/sub")
                let error = await #expect(throws: TransferError.self) {
                    _ = try await bucket.client.uploadFile(bucket: bucket.name, key: "b", path: path, checkpoints: unwritable)
                }
                #expect(error?.description.contains(blocker) == true)
                #expect(try await bucket.client.listMultipartUploads(bucket: bucket.name).isEmpty)
                #expect(try await bucket.client.headObjectIfExists(bucket: bucket.name, key: "b") == nil)
            }
        }
    }
}
