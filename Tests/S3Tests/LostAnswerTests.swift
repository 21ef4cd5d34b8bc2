import Foundation
import NIOHTTP1
@testable import S3
import StrataTestSupport
import Testing

/// Requests the server carried out whose answer never arrived (found by tools/soak): the retry
/// meets the new state, and the client must recognise its own completed work instead of failing.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct LostAnswerTests {
    static func multipartClient(_ client: S3Client) throws -> S3Client {
        var configuration = client.configuration
        configuration.transfer.partSize = 5 * 1024 * 1024
        configuration.transfer.multipartThreshold = 5 * 1024 * 1024
        return try S3Client(configuration: configuration, credentials: client.credentials, httpClient: client.httpClient,
                            logger: client.logger)
    }

    static func file(_ bytes: Int) throws -> (path: String, data: [UInt8]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString)").path
        let data = (0..<bytes).map { UInt8(($0 * 7) % 251) }
        try Data(data).write(to: URL(fileURLWithPath: path))
        return (path, data)
    }

    @Test func aTransitionWhoseCopyAnswerWasLostSucceeds() async throws {
        try await RetryTests.throughProxy { client, bucket, proxy in
            try await client.putObject(bucket: bucket, key: "snap", body: Array(repeating: 7, count: 200_000))
            proxy.inject(.dropAnswer) { $0.method == .PUT && $0.headers.contains(name: "x-amz-copy-source") }
            try await client.transition(bucket: bucket, key: "snap", to: "STANDARD_IA")
            #expect(proxy.injected == 1)
            #expect(try await client.headObject(bucket: bucket, key: "snap").storageClass == "STANDARD_IA")
        }
    }

    @Test(arguments: [false, true])
    func aMultipartUploadWhoseCompleteAnswerWasLostSucceeds(conditional: Bool) async throws {
        try await RetryTests.throughProxy { client, bucket, proxy in
            let small = try Self.multipartClient(client)
            let (path, data) = try Self.file(11 * 1024 * 1024)
            defer { try? FileManager.default.removeItem(atPath: path) }
            proxy.inject(.dropAnswer) { $0.method == .POST && $0.uri.contains("uploadId=") }
            let result = try await small.uploadFile(bucket: bucket, key: "mp", path: path, options: PutOptions(ifNoneMatch: conditional))
            #expect(proxy.injected == 1)
            #expect(result.parts == 3)
            #expect(try await client.getObject(bucket: bucket, key: "mp").body == data)
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        }
    }

    /// Regression (tools/soak): a CreateMultipartUpload whose answer was lost left an upload
    /// behind when the retry created a second one.
    @Test func aLostCreateMultipartUploadAnswerLeavesNoUploadBehind() async throws {
        try await RetryTests.throughProxy { client, bucket, proxy in
            let small = try Self.multipartClient(client)
            let (path, data) = try Self.file(11 * 1024 * 1024)
            defer { try? FileManager.default.removeItem(atPath: path) }
            proxy.inject(.dropAnswer) { $0.method == .POST && $0.uri.hasSuffix("?uploads") || $0.uri.contains("?uploads=") }
            _ = try await small.uploadFile(bucket: bucket, key: "mp", path: path)
            #expect(proxy.injected == 1)
            #expect(try await client.getObject(bucket: bucket, key: "mp").body == data)
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        }
    }

    /// A create that times out but reaches the server late (after the retry created another
    /// upload) leaves an upload nobody holds; the client aborts it once its own upload is done.
    /// Found by tools/soak (2 uploads left after 8,698 faults).
    @Test func aCreateThatArrivesAfterItsRetryLeavesNoUploadBehind() async throws {
        // Seconds, not milliseconds: a loaded CI machine once needed more than a 1 s read timeout
        // for plain GETs.
        let (path, data) = try Self.file(11 * 1024 * 1024)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await RetryTests.throughProxy(readTimeout: .seconds(4), maxAttempts: 6, { client, bucket, proxy in
            let small = try Self.multipartClient(client)
            // The first create reaches RGW 5 s late, after the client gave up at 4 s and created
            // again; the first part is held 3.5 s, so the late create lands before the upload completes.
            proxy.inject(.delay(.seconds(5))) { $0.method == .POST && $0.uri.contains("uploads") }
            proxy.inject(.delay(.milliseconds(3500))) { $0.uri.contains("partNumber=1&") || $0.uri.hasSuffix("partNumber=1") }
            _ = try await small.uploadFile(bucket: bucket, key: "late", path: path)
            #expect(proxy.injected == 2)
        }, readBack: { client, bucket throws in
            // Read back directly with normal timeouts: 11 MiB through the proxy's 4 s read
            // timeout timed out on a loaded machine (a full suite on 2 cores).
            #expect(try await client.getObject(bucket: bucket, key: "late").body == data)
            #expect(try await client.listMultipartUploads(bucket: bucket).isEmpty)
        })
    }

    @Test func theMultipartETagIsComputedAsS3Does() {
        // Two parts whose MD5s are those of "a" and "b"; S3's ETag is md5(md5(a) || md5(b)) + "-2".
        let parts = [UploadedPart(partNumber: 2, eTag: "92eb5ffee6ae2fec3ad71c777531578f"),
                     UploadedPart(partNumber: 1, eTag: "\"0cc175b9c0f1b6a831c399e269772661\"")]
        #expect(S3Client.multipartETag(parts) == "96e024ba2074fe77e8e965ba43a704be-2")
        #expect(S3Client.multipartETag([UploadedPart(partNumber: 1, eTag: "not-an-md5")]) == nil)
    }
}
