import Foundation
import NIOHTTP1
@testable import S3
import SigV4
import Testing

/// `x-amz-checksum-crc32c` as servers report it (outside input), how it compares with the
/// checksum Strata records at upload, and how a storage-class copy is shown byte-identical.
struct ServerChecksumTests {
    /// CRC-32C of "hello" is 0x9a71bb4c (RFC 3720's polynomial; base64 `mnG7TA==`).
    @Test("the header is read only when it is a checksum", arguments: [
        ("mnG7TA==", nil, ServerChecksum(value: 0x9A71_BB4C)),
        ("mnG7TA==-3", "COMPOSITE", ServerChecksum(value: 0x9A71_BB4C, parts: 3)),
        ("mnG7TA==-10000", nil, ServerChecksum(value: 0x9A71_BB4C, parts: 10_000)),
        ("mnG7TA==-0", nil, nil),
        ("mnG7TA==-10001", nil, nil),
        ("mnG7TA==-3", "FULL_OBJECT", nil),
        ("mnG7TA==", "FULL_OBJECT", ServerChecksum(value: 0x9A71_BB4C, saysFullObject: true)),
        ("mnG7TA==-3-4", nil, nil),
        ("mnG7", nil, nil),
        ("AAAAAAAA", nil, nil),
        ("not base64!", nil, nil),
        ("mnG7TA==-99999999999999999999", nil, nil),
        ("", nil, nil),
    ] as [(String, String?, ServerChecksum?)])
    func parsing(header: String, type: String?, expected: ServerChecksum?) {
        #expect(ServerChecksum(header: header, type: type) == expected)
    }

    @Test func aChecksumWritesBackAsItWasRead() {
        for header in ["mnG7TA==", "mnG7TA==-3"] {
            #expect(ServerChecksum(header: header)?.headerValue == header)
        }
    }

    /// What S3 stores for Strata's uploads: a single PUT's CRC of the content, and the composite
    /// of an N-part upload, which is what Strata records, with `-N`.
    @Test func comparesWithTheChecksumRecordedAtUpload() throws {
        let partSize: Int64 = 8
        let body = Array("0123456789abcdefXYZ".utf8)  // 3 parts of 8, 8 and 3 bytes
        let recorded = ContentChecksum.of(body, partSize: partSize)
        let parts = stride(from: 0, to: body.count, by: 8).map { CRC32C.checksum(body[$0..<min($0 + 8, body.count)]) }
        let composite = UInt32(try #require(recorded.crc32c), radix: 16)!
        #expect(composite == CRC32C.checksum(parts.flatMap(CRC32C.bytes)))
        #expect(ServerChecksum(value: composite, parts: 3).matches(recorded, size: 19, eTag: "e-3") == true)
        #expect(ServerChecksum(value: composite ^ 1, parts: 3).matches(recorded, size: 19, eTag: "e-3") == false)
        // Another part count says nothing either way.
        #expect(ServerChecksum(value: composite, parts: 2).matches(recorded, size: 19, eTag: "e-3") == nil)
        // A whole-object CRC is comparable only with a one-part record.
        #expect(ServerChecksum(value: CRC32C.checksum(body)).matches(recorded, size: 19, eTag: "e-3") == nil)
        let small = Array("hello".utf8)
        let one = ContentChecksum.of(small, partSize: partSize)
        #expect(ServerChecksum(value: CRC32C.checksum(small)).matches(one, size: 5, eTag: "e") == true)
        #expect(ServerChecksum(value: CRC32C.checksum(Array("hellp".utf8))).matches(one, size: 5, eTag: "e") == false)
        // A record without a CRC, or whose part size cannot describe the object.
        #expect(ServerChecksum(value: 1).matches(ContentChecksum(digest: one.digest, partSize: 8), size: 5, eTag: "e") == nil)
        #expect(ServerChecksum(value: 1, parts: 1).matches(ContentChecksum(digest: one.digest, partSize: 1, crc32c: "00000001"),
                                                           size: 100_000, eTag: "e-1") == nil)
        // A multipart object's checksum without a part count, not declared FULL_OBJECT (moto):
        // not S3's composite, not comparable. Declared FULL_OBJECT, it is the content's CRC.
        #expect(ServerChecksum(value: CRC32C.checksum(small)).matches(one, size: 5, eTag: "e-1") == nil)
        #expect(ServerChecksum(value: CRC32C.checksum(small), saysFullObject: true).matches(one, size: 5, eTag: "e-1") == true)
    }

    static func head(_ fields: [String: String]) -> ObjectHead {
        ObjectHead(headers: HTTPHeaders(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    static let recorded = ContentChecksum.of(Array("hello".utf8), partSize: 8)

    /// Before and after a copy that replaced the metadata: which HEADs show the same bytes.
    @Test("a replacing copy is accepted only when shown byte-identical", arguments: [
        // Same ETag.
        (["content-length": "5", "etag": "\"a\""], ["content-length": "5", "etag": "\"a\""], true),
        // ETag changed, same stored checksum.
        (["content-length": "5", "etag": "\"a\"", "x-amz-checksum-crc32c": "mnG7TA=="],
         ["content-length": "5", "etag": "\"b\"", "x-amz-checksum-crc32c": "mnG7TA=="], true),
        // ETag changed, the copy's stored checksum matches the recorded one.
        (["content-length": "5", "etag": "\"a\""].merging(recorded.metadata.reduce(into: [:]) { $0["x-amz-meta-\($1.key)"] = $1.value }) { $1 },
         ["content-length": "5", "etag": "\"b\"", "x-amz-checksum-crc32c": "mnG7TA=="], true),
        // Size changed.
        (["content-length": "5", "etag": "\"a\""], ["content-length": "6", "etag": "\"a\""], false),
        // Stored checksums differ.
        (["content-length": "5", "etag": "\"a\"", "x-amz-checksum-crc32c": "mnG7TA=="],
         ["content-length": "5", "etag": "\"b\"", "x-amz-checksum-crc32c": "AAAAAA=="], false),
        // Nothing to compare.
        (["content-length": "5", "etag": "\"a\""], ["content-length": "5", "etag": "\"b\""], false),
        (["content-length": "5"], ["content-length": "5"], false),
    ] as [([String: String], [String: String], Bool)])
    func copyIdentity(before: [String: String], after: [String: String], identical: Bool) {
        let check = { try CopyIdentity.check(before: Self.head(before), after: Self.head(after), key: "k") }
        if identical {
            #expect(throws: Never.self) { try check() }
        } else {
            let error = #expect(throws: TransferError.self) { try check() }
            #expect(error?.description.hasPrefix("k: the storage-class copy could not be shown byte-identical: ") == true)
        }
    }
}
