import Crypto
import Foundation
import Logging
@testable import S3
import StrataTestSupport
import Testing

/// Multipart uploads, UploadPartCopy and the parallel file transfers, against every local server.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct MultipartAndTransferTests {
    static let mib = 1024 * 1024
    /// Small parts so a few MiB exercise several parts and the concurrency limit.
    static let smallParts = TransferConfiguration(multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024,
                                                  concurrency: 3, copyPartSize: 5 * 1024 * 1024)

    static func randomFile(bytes: Int) throws -> (path: String, data: [UInt8]) {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString)").path
        try Data(data).write(to: URL(fileURLWithPath: path))
        return (path, data)
    }

    @Test(arguments: TestServer.implementations)
    func manualMultipartUploadListsAndCompletes(server: TestServer) async throws {
        try await TestBucket.with(server, purpose: "multipart") { bucket in
            let client = bucket.client
            let id = try await client.createMultipartUpload(bucket: bucket.name, key: "mp",
                                                            options: PutOptions(metadata: ["k": "v"]))
            #expect(try await client.listMultipartUploads(bucket: bucket.name).map(\.uploadID) == [id])
            let first = Array(repeating: UInt8(1), count: 5 * Self.mib)
            let second = Array(repeating: UInt8(2), count: 1000)
            let p1 = try await client.uploadPart(bucket: bucket.name, key: "mp", uploadID: id, partNumber: 1, body: first)
            let p2 = try await client.uploadPart(bucket: bucket.name, key: "mp", uploadID: id, partNumber: 2, body: second)
            let listed = try await client.listParts(bucket: bucket.name, key: "mp", uploadID: id)
            #expect(listed.map(\.partNumber) == [1, 2])
            #expect(listed.map(\.size) == [Int64(first.count), Int64(second.count)])
            try await client.completeMultipartUpload(bucket: bucket.name, key: "mp", uploadID: id, parts: [p2, p1])
            let got = try await client.getObject(bucket: bucket.name, key: "mp")
            #expect(got.body == first + second)
            #expect(got.head.metadata["k"] == "v")
            #expect(try await client.listMultipartUploads(bucket: bucket.name).isEmpty)
        }
    }

    @Test(arguments: TestServer.implementations)
    func abortRemovesTheUploadAndIsIdempotent(server: TestServer) async throws {
        try await TestBucket.with(server, purpose: "abort") { bucket in
            let id = try await bucket.client.createMultipartUpload(bucket: bucket.name, key: "a")
            try await bucket.client.abortMultipartUpload(bucket: bucket.name, key: "a", uploadID: id)
            try await bucket.client.abortMultipartUpload(bucket: bucket.name, key: "a", uploadID: id)
            #expect(try await bucket.client.listMultipartUploads(bucket: bucket.name).isEmpty)
        }
    }

    @Test(arguments: TestServer.implementations)
    func aPartCorruptedInFlightIsRefused(server: TestServer) async throws {
        try await TestBucket.with(server, purpose: "corrupt") { bucket in
            let id = try await bucket.client.createMultipartUpload(bucket: bucket.name, key: "c")
            let intended = Array(repeating: UInt8(9), count: 64 * 1024)
            var corrupted = intended
            corrupted[1234] ^= 0xFF
            // The body that arrives differs from the one whose SHA-256 was signed.
            let body = S3RequestBody.bytes(.init(bytes: corrupted), sha256: Digests.sha256Hex(intended),
                                           md5: Digests.md5Base64(intended))
            let error = await #expect(throws: S3Error.self) {
                _ = try await bucket.client.uploadPart(bucket: bucket.name, key: "c", uploadID: id, partNumber: 1, body: body)
            }
            #expect([.xAmzContentSHA256Mismatch, .badDigest].contains(error?.code))
            #expect(try await bucket.client.listParts(bucket: bucket.name, key: "c", uploadID: id).isEmpty)
        }
    }

    /// Both ways of sending a file: sendfile(2) (plain HTTP's default) and buffered blocks.
    @Test("a file round trip is verified and leaves no uploads", arguments: TestServer.implementations, [true, false])
    func fileRoundTripIsVerifiedAndLeavesNoUploads(server: TestServer, sendfile: Bool) async throws {
        var transfer = Self.smallParts
        transfer.sendfile = sendfile
        try await TestBucket.with(server, purpose: "transfer", transfer: transfer) { bucket in
            let (path, data) = try Self.randomFile(bytes: 17 * Self.mib + 123)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let progress = ProgressLog()
            let upload = try await bucket.client.uploadFile(bucket: bucket.name, key: "big/file.bin", path: path,
                                                            progress: { done, total in progress.record(done, total) })
            #expect(upload.parts == 4)
            #expect(upload.size == Int64(data.count))
            #expect(progress.last?.0 == Int64(data.count))
            #expect(progress.last?.1 == Int64(data.count))
            let head = try await bucket.client.headObject(bucket: bucket.name, key: "big/file.bin")
            #expect(ContentChecksum(metadata: head.metadata) == upload.checksum)
            #expect(upload.checksum == ContentChecksum.of(data, partSize: 5 * Int64(Self.mib)))
            #expect(try await bucket.client.listMultipartUploads(bucket: bucket.name).isEmpty)

            let target = path + ".down"
            defer { try? FileManager.default.removeItem(atPath: target) }
            let download = try await bucket.client.downloadFile(bucket: bucket.name, key: "big/file.bin", to: target)
            #expect(download.verification == .strataCRC)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        }
    }

    @Test(arguments: TestServer.implementations)
    func smallFileUsesOnePutAndVerifiesAgainstItsChecksum(server: TestServer) async throws {
        try await TestBucket.with(server, purpose: "smallfile", transfer: Self.smallParts) { bucket in
            let (path, data) = try Self.randomFile(bytes: 300_000)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let upload = try await bucket.client.uploadFile(bucket: bucket.name, key: "s", path: path,
                                                            options: PutOptions(storageClass: "STANDARD_IA"))
            #expect(upload.parts == 1)
            #expect(upload.eTag == Digests.hex(Insecure.MD5.hash(data: data)))
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: "s").storageClass == "STANDARD_IA")
            let target = path + ".down"
            defer { try? FileManager.default.removeItem(atPath: target) }
            _ = try await bucket.client.downloadFile(bucket: bucket.name, key: "s", to: target)
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        }
    }

    /// Issue 18: SeaweedFS stored a body that differed from its signed SHA-256 without a word.
    /// Every part and single PUT now carries its CRC-32C (`x-amz-checksum-crc32c`), which it
    /// checks: a file whose bytes change on the wire is refused on every implementation, and
    /// nothing is stored.
    @Test("a file corrupted in flight is refused and nothing is stored",
          arguments: TestServer.implementations, [false, true])
    func aFileCorruptedInFlightIsRefused(server: TestServer, multipart: Bool) async throws {
        let servers = try TestServers.require()
        try await TestBucket.with(server, purpose: "inflight") { bucket in
            let (path, _) = try Self.randomFile(bytes: multipart ? 11 * Self.mib + 7 : 300_000)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try await FaultProxy.with(upstream: servers.endpoint(server)) { proxy, url in
                // The first PUT: the single PutObject, or a multipart upload's first part.
                proxy.inject(.corruptBody(offset: 1000)) { $0.method == .PUT }
                let configuration = try TestBucket.configuration(server, servers: servers, endpoint: url,
                                                                 transfer: Self.smallParts)
                try await S3Client.withClient(configuration: configuration, credentials: TestBucket.credentials(servers),
                                              logger: Logger(label: "inflight")) { client in
                    let error = await #expect(throws: S3Error.self) {
                        _ = try await client.uploadFile(bucket: bucket.name, key: "f", path: path)
                    }
                    #expect([.xAmzContentSHA256Mismatch, .badDigest].contains(error?.code), "\(String(describing: error))")
                }
                #expect(proxy.injected == 1)
                let sent = try #require(proxy.seen.first { head in head.method == .PUT })
                #expect(sent.headers.first(name: "x-amz-checksum-crc32c")?.count == 8)
            }
            #expect(try await bucket.keys().isEmpty)
            #expect(try await bucket.client.listMultipartUploads(bucket: bucket.name).isEmpty)
        }
    }

    /// Objects uploaded before the CRC-32C was recorded carry the SHA-256 only; downloads check that.
    @Test("downloads check the recorded CRC-32C, or the SHA-256 where there is no CRC", arguments: TestServer.implementations, [true, false])
    func downloadsCheckTheCheapestRecordedChecksum(server: TestServer, withCRC: Bool) async throws {
        try await TestBucket.with(server, purpose: "dlcheck") { bucket in
            let data = (0..<20_000).map { UInt8($0 % 251) }
            var recorded = ContentChecksum.of(data, partSize: 8 * 1024 * 1024)
            if !withCRC { recorded.crc32c = nil }
            try await bucket.client.putObject(bucket: bucket.name, key: "d", body: data,
                                              options: PutOptions(metadata: recorded.metadata))
            let target = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: target) }
            let result = try await bucket.client.downloadFile(bucket: bucket.name, key: "d", to: target)
            #expect(result.verification == (withCRC ? .strataCRC : .strataChecksum))
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        }
    }

    @Test("a download of content that contradicts its checksum fails and writes nothing", arguments: TestServer.implementations, [true, false])
    func downloadOfTamperedContentFailsAndWritesNothing(server: TestServer, withCRC: Bool) async throws {
        try await TestBucket.with(server, purpose: "tampered") { bucket in
            // Metadata claims a checksum the content does not have: as if the object rotted.
            let data = Array(repeating: UInt8(3), count: 10_000)
            var wrong = ContentChecksum.of(Array(repeating: UInt8(4), count: 10_000), partSize: 8 * 1024 * 1024)
            if !withCRC { wrong.crc32c = nil }
            try await bucket.client.putObject(bucket: bucket.name, key: "t", body: data,
                                              options: PutOptions(metadata: wrong.metadata))
            let target = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString)").path
            await #expect(throws: TransferError.self) {
                _ = try await bucket.client.downloadFile(bucket: bucket.name, key: "t", to: target)
            }
            #expect(!FileManager.default.fileExists(atPath: target))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
                .filter { $0.hasPrefix(URL(fileURLWithPath: target).lastPathComponent) }
            #expect(leftovers.isEmpty)
        }
    }

    @Test(arguments: TestServer.implementations)
    func uploadPartCopyAssemblesACopy(server: TestServer) async throws {
        try await TestBucket.with(server, purpose: "partcopy") { bucket in
            let data = (0..<(12 * Self.mib)).map { UInt8($0 % 253) }
            try await bucket.client.putObject(bucket: bucket.name, key: "src", body: data)
            let id = try await bucket.client.createMultipartUpload(bucket: bucket.name, key: "dst")
            let half = Int64(data.count / 2)
            let p1 = try await bucket.client.uploadPartCopy(bucket: bucket.name, key: "dst", uploadID: id, partNumber: 1,
                                                            sourceBucket: bucket.name, sourceKey: "src", range: 0...(half - 1))
            let p2 = try await bucket.client.uploadPartCopy(bucket: bucket.name, key: "dst", uploadID: id, partNumber: 2,
                                                            sourceBucket: bucket.name, sourceKey: "src",
                                                            range: half...(Int64(data.count) - 1))
            try await bucket.client.completeMultipartUpload(bucket: bucket.name, key: "dst", uploadID: id, parts: [p1, p2])
            #expect(try await bucket.client.getObject(bucket: bucket.name, key: "dst").body == data)
        }
    }
}

/// Records progress callbacks from concurrent part tasks.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(Int64, Int64)] = []
    func record(_ done: Int64, _ total: Int64) { lock.withLock { entries.append((done, total)) } }
    var last: (Int64, Int64)? { lock.withLock { entries.max { $0.0 < $1.0 } } }
}

/// In-place storage-class transitions, small (CopyObject) and large (UploadPartCopy).
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct TransitionTests {
    /// What the object is written with, and must still say after any transition.
    static let written = PutOptions(metadata: ["strata-sha256-parts": "x"], tags: ["strata-hold": "legal"],
                                    contentType: "application/x-tar", cacheControl: "no-cache, max-age=0",
                                    contentEncoding: "gzip", contentDisposition: "attachment; filename=\"db.tar\"",
                                    contentLanguage: "de-CH", expires: "Tue, 01 Jan 2030 00:00:00 GMT")

    /// Issue 16, row 15: the multipart path lost Cache-Control, Content-Encoding,
    /// Content-Disposition, Content-Language and Expires (CreateMultipartUpload starts a new
    /// object: S3 copies none of them from the parts' source).
    @Test("transition keeps content, metadata, content headers and tags", arguments: TestServer.implementations, [false, true])
    func transition(server: TestServer, multipart: Bool) async throws {
        // Lowering the threshold makes an 11 MiB object take the multipart-copy path in 3 parts.
        let transfer = TransferConfiguration(multipartCopyThreshold: multipart ? 5 * 1024 * 1024 : 5 << 30,
                                             copyPartSize: 5 * 1024 * 1024)
        try await TestBucket.with(server, purpose: "transition-mp", transfer: transfer) { bucket in
            let data = (0..<(11 * 1024 * 1024)).map { UInt8(($0 * 7) % 256) }
            try await bucket.client.putObject(bucket: bucket.name, key: "obj", body: data, options: Self.written)
            try await bucket.client.transition(bucket: bucket.name, key: "obj", to: "DEEP_ARCHIVE")
            let head = try await bucket.client.headObject(bucket: bucket.name, key: "obj")
            #expect(head.storageClass == "DEEP_ARCHIVE")
            #expect(head.metadata["strata-sha256-parts"] == "x")
            #expect(head.contentType == Self.written.contentType)
            #expect(head.cacheControl == Self.written.cacheControl)
            #expect(head.contentEncoding == Self.written.contentEncoding)
            #expect(head.contentDisposition == Self.written.contentDisposition)
            #expect(head.contentLanguage == Self.written.contentLanguage)
            #expect(head.expires == Self.written.expires)
            #expect(ETag.isMultipart(head.eTag) == multipart)
            #expect(try await bucket.client.getObjectTagging(bucket: bucket.name, key: "obj") == ["strata-hold": "legal"])
            #expect(try await bucket.client.getObject(bucket: bucket.name, key: "obj").body == data)
            #expect(try await bucket.client.listMultipartUploads(bucket: bucket.name).isEmpty)
        }
    }
}

/// Regression: whole-object GETs must check Strata's recorded checksum, including for
/// multipart uploads (whose ETag is not a content hash).
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct GetObjectIntegrityTests {
    @Test(arguments: TestServer.implementations)
    func getObjectRejectsContentThatContradictsTheRecordedChecksum(server: TestServer) async throws {
        try await TestBucket.with(server, purpose: "getintegrity") { bucket in
            let wrong = ContentChecksum.of(Array(repeating: UInt8(1), count: 100), partSize: 8 * 1024 * 1024)
            try await bucket.client.putObject(bucket: bucket.name, key: "rotten", body: Array(repeating: UInt8(2), count: 100),
                                              options: PutOptions(metadata: wrong.metadata))
            await #expect(throws: S3TransportError.self) {
                _ = try await bucket.client.getObject(bucket: bucket.name, key: "rotten")
            }
            let right = ContentChecksum.of(Array(repeating: UInt8(2), count: 100), partSize: 8 * 1024 * 1024)
            try await bucket.client.putObject(bucket: bucket.name, key: "sound", body: Array(repeating: UInt8(2), count: 100),
                                              options: PutOptions(metadata: right.metadata))
            #expect(try await bucket.client.getObject(bucket: bucket.name, key: "sound").body.count == 100)
        }
    }
}
