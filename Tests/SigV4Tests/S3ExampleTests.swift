import Foundation
import SigV4
import Testing

/// The worked examples of the S3 API reference, reproduced exactly:
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html> and
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>.
@Suite("S3 API reference examples")
struct S3ExampleTests {
    static let credentials = Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                         secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let signer = Signer(credentials: credentials, region: "us-east-1", service: "s3")
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var url: String
        var headers: [HTTPHeader]
        var payload: Payload
        var canonicalRequest: String
        var stringToSignHash: String
        var signature: String
        var testDescription: String { name }
    }

    static let headerExamples: [Example] = [
        Example(
            name: "GET object with Range", method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt",
            headers: [HTTPHeader("Range", "bytes=0-9")], payload: .empty,
            canonicalRequest: """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:\(emptyHash)
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            \(emptyHash)
            """,
            stringToSignHash: "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        Example(
            name: "PUT object", method: "PUT", url: "https://examplebucket.s3.amazonaws.com/test%24file.text",
            headers: [HTTPHeader("Date", "Fri, 24 May 2013 00:00:00 GMT"), HTTPHeader("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payload: .bytes(Array("Welcome to Amazon S3.".utf8)),
            canonicalRequest: """
            PUT
            /test%24file.text

            date:Fri, 24 May 2013 00:00:00 GMT
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            x-amz-date:20130524T000000Z
            x-amz-storage-class:REDUCED_REDUNDANCY

            date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
            44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
            """,
            stringToSignHash: "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        Example(
            name: "GET bucket lifecycle", method: "GET", url: "https://examplebucket.s3.amazonaws.com/?lifecycle",
            headers: [], payload: .empty,
            canonicalRequest: """
            GET
            /
            lifecycle=
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:\(emptyHash)
            x-amz-date:20130524T000000Z

            host;x-amz-content-sha256;x-amz-date
            \(emptyHash)
            """,
            stringToSignHash: "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        Example(
            name: "ListObjects", method: "GET", url: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
            headers: [], payload: .empty,
            canonicalRequest: """
            GET
            /
            max-keys=2&prefix=J
            host:examplebucket.s3.amazonaws.com
            x-amz-content-sha256:\(emptyHash)
            x-amz-date:20130524T000000Z

            host;x-amz-content-sha256;x-amz-date
            \(emptyHash)
            """,
            stringToSignHash: "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    @Test("header-signed examples", arguments: headerExamples)
    func headerExample(_ example: Example) throws {
        let url = try #require(URL(string: example.url))
        let signed = try Self.signer.signHeaders(method: example.method, url: url, headers: example.headers,
                                                 payload: example.payload, date: Self.date)
        #expect(signed.canonicalRequest == example.canonicalRequest)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            \(example.stringToSignHash)
            """)
        #expect(signed.signature == example.signature)
        #expect(signed.headers.first(named: "Authorization")?.hasSuffix("Signature=\(example.signature)") == true)
        #expect(signed.headers.first(named: "x-amz-date") == "20130524T000000Z")
        #expect(signed.headers.first(named: "host") == "examplebucket.s3.amazonaws.com")
    }

    @Test("presigned URL example")
    func presignedURL() throws {
        let url = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt"))
        let details = try Self.signer.presign(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt",
                                              expires: .seconds(86_400), date: Self.date)
        #expect(details.canonicalRequest == """
            GET
            /test.txt
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
            host:examplebucket.s3.amazonaws.com

            host
            UNSIGNED-PAYLOAD
            """)
        #expect(details.stringToSign.hasSuffix("\n3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"))
        #expect(details.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        let presigned = try Self.signer.presign(method: "GET", url: url, expires: .seconds(86_400), date: Self.date)
        #expect(presigned.absoluteString == """
            https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404
            """)
    }

    @Test("chunked upload example: seed, chunk and final signatures, encoded length")
    func chunkedUpload() throws {
        let url = try #require(URL(string: "https://s3.amazonaws.com/examplebucket/chunkObject.txt"))
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 66_560)
        let streaming = try StreamingPayload(mode: .signed, decodedContentLength: body.count, chunkSize: 65_536)
        #expect(streaming.encodedContentLength == 66_824)
        #expect(try ChunkSigner.encodedContentLength(payloadLength: body.count, chunkSize: 65_536) == 66_824)
        let signed = try Self.signer.signHeaders(
            method: "PUT", url: url, headers: [HTTPHeader("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payload: .streaming(streaming), date: Self.date)
        #expect(signed.canonicalRequest == """
            PUT
            /examplebucket/chunkObject.txt

            content-encoding:aws-chunked
            content-length:66824
            host:s3.amazonaws.com
            x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD
            x-amz-date:20130524T000000Z
            x-amz-decoded-content-length:66560
            x-amz-storage-class:REDUCED_REDUNDANCY

            content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class
            STREAMING-AWS4-HMAC-SHA256-PAYLOAD
            """)
        #expect(signed.signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        var chunks = try #require(signed.chunkSigner)
        #expect(chunks.seedSignature == signed.signature)
        let first = chunks.signChunk(Array(body[..<65_536]))
        #expect(first.starts(with: Array("10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n".utf8)))
        #expect(first.count == 65_626 && first.suffix(2) == [13, 10])
        let second = chunks.signChunk(Array(body[65_536...]))
        #expect(second.starts(with: Array("400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n".utf8)))
        let final = chunks.finalChunk()
        #expect(String(decoding: final, as: UTF8.self)
            == "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n")
        #expect(first.count + second.count + final.count == streaming.encodedContentLength)
    }

    @Test("chunked upload with signed CRC32C trailer: chunk, final and trailer signatures")
    func chunkedUploadWithTrailer() throws {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 66_560)
        var chunks = ChunkSigner(mode: .signedWithTrailer(.crc32c),
                                 seedSignature: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
                                 signer: Self.signer, date: Self.date)
        let first = chunks.signChunk(Array(body[..<65_536]))
        #expect(first.starts(with: Array("10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n".utf8)))
        let second = chunks.signChunk(Array(body[65_536...]))
        #expect(second.starts(with: Array("400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n".utf8)))
        let final = chunks.finalChunk()
        #expect(String(decoding: final, as: UTF8.self) == """
            0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r
            x-amz-checksum-crc32c:sOO8/Q==\r
            x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r
            \r

            """)
        let length = try ChunkSigner.encodedContentLength(payloadLength: body.count, chunkSize: 65_536, mode: .signedWithTrailer(.crc32c))
        #expect(first.count + second.count + final.count == length)
    }
}
