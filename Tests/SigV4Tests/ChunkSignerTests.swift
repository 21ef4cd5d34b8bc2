import Foundation
@testable import SigV4
import Testing

@Suite("aws-chunked framing and checksums")
struct ChunkSignerTests {
    static let signer = Signer(credentials: Credentials(accessKeyID: "AKID", secretAccessKey: "secret"), region: "us-east-1")
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("CRC-32, CRC-32C and SHA-256 of the check string, base64 as S3 expects", arguments: [
        (ChecksumAlgorithm.crc32, "y/Q5Jg=="), (.crc32c, "4waSgw=="), (.sha256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="),
    ])
    func checkValues(algorithm: ChecksumAlgorithm, expected: String) {
        var checksum = RunningChecksum(algorithm)
        let bytes = Array("123456789".utf8)
        // Fed in uneven pieces so the 8-byte and 1-byte loops and their boundary are all used.
        bytes[..<5].withUnsafeBytes { checksum.update($0) }
        bytes[5...].withUnsafeBytes { checksum.update($0) }
        #expect(checksum.base64() == expected)
    }

    static let modes: [StreamingPayload.Mode] = [.signed, .signedWithTrailer(.crc32c), .signedWithTrailer(.sha256),
                                                 .unsignedWithTrailer(.crc32), .unsignedWithTrailer(.crc32c)]

    @Test("the encoded length computed up front equals the bytes framed", arguments: modes, [0, 1, 8191, 8192, 65_536, 100_000, 200_000])
    func encodedLength(mode: StreamingPayload.Mode, length: Int) throws {
        let chunkSize = 65_536
        let streaming = try StreamingPayload(mode: mode, decodedContentLength: length, chunkSize: chunkSize)
        let signed = Self.signer.signHeaders(method: "PUT", host: "h", path: "/b/k", payload: .streaming(streaming), date: Self.date)
        var chunks = try #require(signed.chunkSigner)
        let body = [UInt8](repeating: 7, count: length)
        var total = 0
        var offset = 0
        while offset < length {
            let end = min(offset + chunkSize, length)
            total += chunks.signChunk(Array(body[offset..<end])).count
            offset = end
        }
        total += chunks.finalChunk().count
        #expect(total == streaming.encodedContentLength)
        #expect(signed.headers.first(named: "content-length") == String(total))
        #expect(signed.headers.first(named: "x-amz-decoded-content-length") == String(length))
        #expect(signed.headers.first(named: "x-amz-content-sha256") == mode.contentSHA256)
        #expect(signed.headers.first(named: "x-amz-trailer") == mode.trailerChecksum?.headerName)
    }

    @Test("unsigned trailer framing: plain sizes, then the checksum trailer")
    func unsignedTrailer() throws {
        var chunks = ChunkSigner(mode: .unsignedWithTrailer(.crc32c), seedSignature: "", signer: Self.signer, date: Self.date)
        let framed = chunks.signChunk(Array("123456789".utf8))
        #expect(String(decoding: framed, as: UTF8.self) == "9\r\n123456789\r\n")
        #expect(String(decoding: chunks.finalChunk(), as: UTF8.self) == "0\r\nx-amz-checksum-crc32c:4waSgw==\r\n\r\n")
    }

    @Test("chunkHeader + bytes + CRLF is the same frame as signChunk")
    func headerOnly() throws {
        let seeded = Self.signer.signHeaders(method: "PUT", host: "h", path: "/b/k",
                                             payload: .streaming(try StreamingPayload(decodedContentLength: 9000)), date: Self.date)
        guard var a = seeded.chunkSigner, var b = seeded.chunkSigner else {
            Issue.record("no chunk signer for a streaming payload")
            return
        }
        let data = [UInt8](repeating: 1, count: 9000)
        let framed = a.signChunk(data)
        let header = data.withUnsafeBytes { b.chunkHeader(for: $0) }
        #expect(framed == header + data + [13, 10])
        #expect(a.previousSignature == b.previousSignature && a.previousSignature != a.seedSignature)
    }

    @Test("chunk sizes below 8 KiB and negative lengths are refused")
    func invalidStreaming() {
        #expect(throws: SigV4Error.invalidChunkSize(1024)) { try StreamingPayload(decodedContentLength: 10, chunkSize: 1024) }
        #expect(throws: SigV4Error.invalidPayloadLength(-1)) { try ChunkSigner.encodedContentLength(payloadLength: -1, chunkSize: 65_536) }
    }
}
