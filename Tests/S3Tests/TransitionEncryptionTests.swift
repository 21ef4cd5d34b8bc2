import Foundation
import Logging
import NIOHTTP1
@testable import S3
import StrataTestSupport
import Testing

/// Issue 16, row 15: a transition (a copy onto itself) of an SSE-KMS object took the bucket's
/// default encryption, because S3 encrypts a copy with it unless the request names another;
/// an object whose encryption cannot be said again is left alone. On both copy paths.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
struct TransitionEncryptionTests {
    static let keyID = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    /// What HEAD says about an object encrypted with that key and an S3 Bucket Key.
    static let kmsHead = [
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": keyID,
        "x-amz-server-side-encryption-bucket-key-enabled": "true",
    ]
    static let data = (0..<(11 * 1024 * 1024)).map { UInt8(($0 * 13) % 256) }

    /// Lowering the threshold makes the 11 MiB object take the multipart-copy path in 3 parts.
    static func transfer(multipart: Bool) -> TransferConfiguration {
        TransferConfiguration(multipartCopyThreshold: multipart ? 5 * 1024 * 1024 : 5 << 30, copyPartSize: 5 * 1024 * 1024)
    }

    static func isCopyObject(_ head: HTTPRequestHead) -> Bool {
        head.method == .PUT && head.headers.contains(name: "x-amz-copy-source") && !head.uri.contains("partNumber=")
    }

    static func isCreateMultipartUpload(_ head: HTTPRequestHead) -> Bool {
        head.method == .POST && (head.uri.hasSuffix("?uploads") || head.uri.contains("?uploads="))
    }

    /// moto encrypts a copy as AWS does: without encryption headers, with the bucket's default
    /// (it answered AES256 after a transition, before the fix).
    @Test(arguments: [false, true])
    func aKMSObjectKeepsItsKeyOnMoto(multipart: Bool) async throws {
        try await TestBucket.with(.moto, purpose: "kms-transition", transfer: Self.transfer(multipart: multipart)) { bucket in
            let encryption = ServerSideEncryption(algorithm: .kms, kmsKeyID: Self.keyID, bucketKeyEnabled: true)
            try await bucket.client.putObject(bucket: bucket.name, key: "obj", body: Self.data, options: PutOptions(
                cacheControl: "no-cache", contentEncoding: "gzip", serverSideEncryption: encryption))
            try await bucket.client.transition(bucket: bucket.name, key: "obj", to: "STANDARD_IA")
            let head = try await bucket.client.headObject(bucket: bucket.name, key: "obj")
            #expect(head.storageClass == "STANDARD_IA")
            #expect(head.serverSideEncryption == ServerSideEncryption.Algorithm.kms.rawValue)
            #expect(head.kmsKeyID == Self.keyID)
            // moto reports the Bucket Key of objects it wrote in one piece only.
            if !multipart { #expect(head.bucketKeyEnabled) }
            #expect(head.cacheControl == "no-cache")
            #expect(head.contentEncoding == "gzip")
        }
    }

    /// RGW has no KMS here: the proxy answers HEAD as S3 does for an SSE-KMS object, and takes
    /// the encryption headers off the write before RGW sees them. The write Strata sent names
    /// the object's key; RGW makes the copy, which keeps the content headers.
    @Test(arguments: [false, true])
    func theCopyNamesTheObjectsKMSKey(multipart: Bool) async throws {
        let servers = try TestServers.require()
        try await TestBucket.with(.rgw, purpose: "kms-headers") { bucket in
            try await bucket.client.putObject(bucket: bucket.name, key: "obj", body: Self.data, options: PutOptions(
                contentType: "application/x-tar", cacheControl: "no-cache", contentEncoding: "gzip"))
            try await FaultProxy.with(upstream: servers.rgwEndpoint, chooser: { head in
                if head.method == .HEAD { return .addAnswerHeaders(Self.kmsHead) }
                if Self.isCopyObject(head) || Self.isCreateMultipartUpload(head) {
                    return .dropRequestHeaders(Set(Self.kmsHead.keys))
                }
                return .forward
            }) { proxy, url in
                let configuration = try TestBucket.configuration(.rgw, servers: servers, endpoint: url,
                                                                 transfer: Self.transfer(multipart: multipart))
                _ = try await S3Client.withClient(configuration: configuration, credentials: TestBucket.credentials(servers),
                                                  logger: Logger(label: "kms-headers")) { client in
                    try await client.transition(bucket: bucket.name, key: "obj", to: "STANDARD_IA")
                }
                let writes = proxy.seen.filter { Self.isCopyObject($0) || Self.isCreateMultipartUpload($0) }
                try #require(writes.count == 1, "one write: \(writes.map(\.uri))")
                #expect(Self.isCreateMultipartUpload(writes[0]) == multipart)
                for (name, value) in Self.kmsHead {
                    #expect(writes[0].headers[name] == [value], "\(name)")
                }
                if multipart {
                    #expect(writes[0].headers["cache-control"] == ["no-cache"])
                    #expect(writes[0].headers["content-encoding"] == ["gzip"])
                    #expect(writes[0].headers["content-type"] == ["application/x-tar"])
                }
            }
            let head = try await bucket.client.headObject(bucket: bucket.name, key: "obj")
            #expect(head.storageClass == "STANDARD_IA")
            #expect(head.cacheControl == "no-cache")
            #expect(head.contentEncoding == "gzip")
            #expect(try await bucket.client.getObject(bucket: bucket.name, key: "obj").body == Self.data)
        }
    }

    /// What HEAD says, and why the transition is refused.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var head: [String: String]
        var refusal: CopyRefusal
    }

    static let refusals = [
        Refusal(testDescription: "SSE-C", head: ["x-amz-server-side-encryption-customer-algorithm": "AES256",
                                                 "x-amz-server-side-encryption-customer-key-md5": "ZjY2YjU2NjE3YzY4ZWI5Mg=="],
                refusal: .customerProvidedKey(key: "obj")),
        Refusal(testDescription: "a KMS key id of 3,000 bytes",
                head: ["x-amz-server-side-encryption": "aws:kms",
                       "x-amz-server-side-encryption-aws-kms-key-id": String(repeating: "k", count: 3000)],
                refusal: .unusableHeader(key: "obj", header: "x-amz-server-side-encryption-aws-kms-key-id",
                                         problem: .tooLong(bytes: 3000, limit: CopyRefusal.kmsKeyIDLimit))),
        Refusal(testDescription: "an unknown algorithm", head: ["x-amz-server-side-encryption": "aws:kms-but-not-quite"],
                refusal: .unusableHeader(key: "obj", header: "x-amz-server-side-encryption", problem: .unknownAlgorithm)),
    ]

    /// A HEAD answer that cannot be said again fails the transition with a refusal naming the
    /// key, and nothing is written: the object stays in its class.
    @Test(arguments: refusals, [false, true])
    func anObjectWhoseEncryptionCannotBeKeptIsLeftAlone(_ refusal: Refusal, multipart: Bool) async throws {
        let servers = try TestServers.require()
        try await TestBucket.with(.rgw, purpose: "kms-refused") { bucket in
            try await bucket.client.putObject(bucket: bucket.name, key: "obj", body: Self.data)
            try await FaultProxy.with(upstream: servers.rgwEndpoint, chooser: { head in
                head.method == .HEAD ? .addAnswerHeaders(refusal.head) : .forward
            }) { proxy, url in
                let configuration = try TestBucket.configuration(.rgw, servers: servers, endpoint: url,
                                                                 transfer: Self.transfer(multipart: multipart))
                _ = try await S3Client.withClient(configuration: configuration, credentials: TestBucket.credentials(servers),
                                                  logger: Logger(label: "kms-refused")) { client in
                    await #expect(throws: refusal.refusal) {
                        try await client.transition(bucket: bucket.name, key: "obj", to: "STANDARD_IA")
                    }
                }
                #expect(proxy.seen.allSatisfy { $0.method == .HEAD }, "\(proxy.seen.map { "\($0.method) \($0.uri)" })")
            }
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: "obj").storageClass == "STANDARD")
            #expect(try await bucket.client.listMultipartUploads(bucket: bucket.name).isEmpty)
        }
    }

    /// An object RGW encrypted with a customer-provided key answers 400 to a HEAD without the
    /// key, as S3 does: the transition fails on that HEAD, saying what it likely means, and the
    /// object is left alone.
    @Test func anSSECObjectOnRGWIsLeftAlone() async throws {
        try await TestBucket.with(.rgw, purpose: "ssec-transition") { bucket in
            let customerKey = [UInt8](repeating: 0x5A, count: 32)
            var headers = HTTPHeaders()
            headers.add(name: "x-amz-server-side-encryption-customer-algorithm", value: "AES256")
            headers.add(name: "x-amz-server-side-encryption-customer-key", value: Data(customerKey).base64EncodedString())
            headers.add(name: "x-amz-server-side-encryption-customer-key-md5", value: Digests.md5Base64(customerKey))
            let body: [UInt8] = Array("sealed".utf8)
            _ = try await bucket.client.execute(S3Request(operation: "PutObject", method: .PUT, bucket: bucket.name,
                                                          key: "sealed", headers: headers, body: .data(body)))
            let error = await #expect(throws: S3Error.self) {
                try await bucket.client.transition(bucket: bucket.name, key: "sealed", to: "STANDARD_IA")
            }
            #expect(error?.operation == "HeadObject")
            #expect(error?.status == 400)
            #expect(error?.hint?.contains("SSE-C") == true, "\(error.map { "\($0)" } ?? "")")
            let listed = try await bucket.client.listObjects(bucket: bucket.name).reduce(into: []) { $0 += $1.objects }
            #expect(listed.map(\.storageClass) == ["STANDARD"])
        }
    }
}
