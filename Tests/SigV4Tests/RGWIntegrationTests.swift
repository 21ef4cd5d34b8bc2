import Foundation
import SigV4
import StrataTestSupport
import Testing

/// Requests signed by Strata and sent by plain `curl` to the local Ceph RGW (`tools/s3-server up`),
/// which verifies header, presigned and streaming signatures for real.
@Suite("Against the local RGW", .enabled(if: TestServers.shouldRun), .serialized, .blocking)
struct RGWIntegrationTests {
    /// A bucket made for one test, with the signer and endpoint to reach it; `remove()` deletes
    /// what the test put there and the bucket itself.
    struct Scratch {
        var signer: Signer
        var endpoint: String
        var bucket: String
        var directory: URL

        init(_ purpose: String) throws {
            let servers = try TestServers.require()
            signer = Signer(credentials: Credentials(accessKeyID: servers.accessKey, secretAccessKey: servers.secretKey),
                            region: servers.region, service: "s3")
            endpoint = servers.rgwEndpoint
            bucket = TestServers.uniqueBucketName(purpose)
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(bucket)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let created = try send("PUT", "/\(bucket)")
            try #require(created.status == 200, "creating bucket \(bucket): \(created)")
        }

        func url(_ path: String, query: String = "") throws -> URL {
            try #require(URL(string: endpoint + path + (query.isEmpty ? "" : "?" + query)))
        }

        /// A header-signed request, sent by curl.
        func send(_ method: String, _ path: String, query: String = "", body: [UInt8] = [], headers: [HTTPHeader] = [],
                  signer: Signer? = nil) throws -> Curl.Response {
            let signed = try (signer ?? self.signer).signHeaders(method: method, url: try url(path, query: query), headers: headers,
                                                                 payload: .bytes(body), date: Date())
            return try Curl.run(method: method, url: try url(path, query: query), headers: signed.headers, body: body, in: directory)
        }

        func remove(keys: [String]) throws {
            for key in keys { _ = try send("DELETE", "/\(bucket)/\(key)") }
            let deleted = try send("DELETE", "/\(bucket)")
            #expect(deleted.status == 204, "deleting bucket \(bucket): \(deleted)")
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static let awkwardKey = "dir/a b+c%d~e=f&g ሴ é/😀.txt"

    @Test("header-signed PUT and GET of a key with spaces, +, %, ~, =, & and unicode")
    func headerSignedRoundTrip() throws {
        let scratch = try Scratch("sigv4-header")
        let key = URIEncoding.encodePath(Self.awkwardKey)
        let body = Array("hello, RGW\n".utf8)
        let put = try scratch.send("PUT", "/\(scratch.bucket)/\(key)", body: body,
                                   headers: [HTTPHeader("Content-Type", "text/plain"), HTTPHeader("x-amz-meta-note", "  two  spaces ")])
        #expect(put.status == 200, "\(put)")
        let get = try scratch.send("GET", "/\(scratch.bucket)/\(key)")
        #expect(get.status == 200 && get.body == body, "\(get)")
        let list = try scratch.send("GET", "/\(scratch.bucket)", query: URIEncoding.query([("list-type", "2"), ("prefix", "dir/a b+")]))
        #expect(list.status == 200 && list.text.contains("<KeyCount>1</KeyCount>"), "\(list)")

        var wrong = scratch.signer
        wrong.credentials.secretAccessKey += "x"
        let refused = try scratch.send("GET", "/\(scratch.bucket)/\(key)", signer: wrong)
        #expect(refused.status == 403 && refused.text.contains("SignatureDoesNotMatch"), "\(refused)")
        try scratch.remove(keys: [key])
    }

    @Test("presigned PUT and GET work with plain curl; tampered and expired URLs are refused")
    func presigned() throws {
        let scratch = try Scratch("sigv4-presign")
        let key = URIEncoding.encodePath("presigned/obj =+ሴ.bin")
        let body = (0..<5000).map { UInt8($0 % 251) }
        let objectURL = try scratch.url("/\(scratch.bucket)/\(key)")

        let putURL = try scratch.signer.presign(method: "PUT", url: objectURL, expires: .seconds(300), date: Date())
        let put = try Curl.run(method: "PUT", url: putURL, body: body, in: scratch.directory)
        #expect(put.status == 200, "\(put)")
        let getURL = try scratch.signer.presign(method: "GET", url: objectURL, expires: .seconds(300), date: Date())
        let get = try Curl.run(method: "GET", url: getURL, in: scratch.directory)
        #expect(get.status == 200 && get.body == body, "\(get)")

        // Tampering with the signature, the key or the expiry must each be refused.
        let text = getURL.absoluteString
        let lastCharacter = try #require(text.last)
        let tampered = [
            String(text.dropLast()) + (lastCharacter == "0" ? "1" : "0"),
            text.replacingOccurrences(of: "presigned/", with: "presigneD/"),
            text.replacingOccurrences(of: "X-Amz-Expires=300", with: "X-Amz-Expires=301"),
        ]
        for variant in tampered {
            let refused = try Curl.run(method: "GET", url: try #require(URL(string: variant)), in: scratch.directory)
            #expect(refused.status == 403, "\(variant): \(refused)")
        }
        let expiredURL = try scratch.signer.presign(method: "GET", url: objectURL, expires: .seconds(60),
                                                    date: Date().addingTimeInterval(-3600))
        let expired = try Curl.run(method: "GET", url: expiredURL, in: scratch.directory)
        #expect(expired.status == 403, "\(expired)")
        try scratch.remove(keys: [key])
    }

    @Test("a streaming-signed multi-chunk PUT is accepted; a corrupted chunk is refused")
    func streamingSigned() throws {
        let scratch = try Scratch("sigv4-chunked")
        var generator = SystemRandomNumberGenerator()
        let body = (0..<(3 * 65_536 + 12_345)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let streaming = try StreamingPayload(mode: .signed, decodedContentLength: body.count, chunkSize: 65_536)

        func upload(_ key: String, corruptChunk: Int?) throws -> Curl.Response {
            let objectURL = try scratch.url("/\(scratch.bucket)/\(key)")
            let signed = try scratch.signer.signHeaders(method: "PUT", url: objectURL, headers: [HTTPHeader("Content-Type", "application/octet-stream")],
                                                        payload: .streaming(streaming), date: Date())
            var chunks = try #require(signed.chunkSigner)
            var encoded: [UInt8] = []
            var index = 0
            for start in stride(from: 0, to: body.count, by: streaming.chunkSize) {
                var framed = chunks.signChunk(Array(body[start..<min(start + streaming.chunkSize, body.count)]))
                if index == corruptChunk { framed[framed.count - 10] ^= 0x01 }  // a data byte, after signing
                encoded += framed
                index += 1
            }
            encoded += chunks.finalChunk()
            #expect(index == 4)
            #expect(encoded.count == streaming.encodedContentLength)
            return try Curl.run(method: "PUT", url: objectURL, headers: signed.headers, body: encoded, in: scratch.directory)
        }

        let accepted = try upload("chunked/good.bin", corruptChunk: nil)
        #expect(accepted.status == 200, "\(accepted)")
        let get = try scratch.send("GET", "/\(scratch.bucket)/chunked/good.bin")
        #expect(get.status == 200 && get.body == body, "status \(get.status), \(get.body.count) bytes")

        let refused = try upload("chunked/bad.bin", corruptChunk: 2)
        #expect(refused.status == 403 || refused.status == 400, "\(refused)")
        let head = try scratch.send("HEAD", "/\(scratch.bucket)/chunked/bad.bin")
        #expect(head.status == 404, "the corrupted upload must not leave an object: \(head)")
        try scratch.remove(keys: ["chunked/good.bin", "chunked/bad.bin"])
    }
}

/// Runs `curl` on a signed request: headers exactly as given, body from a file, response body to a file
/// (stdout carries only the status code).
enum Curl {
    struct Response: CustomStringConvertible {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var description: String { "HTTP \(status): \(text.prefix(400))" }
    }

    static func run(method: String, url: URL, headers: [HTTPHeader] = [], body: [UInt8] = [], in directory: URL) throws -> Response {
        let id = UUID().uuidString
        let bodyFile = directory.appendingPathComponent("\(id).body")
        let responseFile = directory.appendingPathComponent("\(id).response")
        defer {
            try? FileManager.default.removeItem(at: bodyFile)
            try? FileManager.default.removeItem(at: responseFile)
        }
        // --globoff and the URL passed as is: curl must not reinterpret brackets or escapes.
        var arguments = ["curl", "-sS", "--globoff", "-X", method, "-o", responseFile.path, "-w", "%{http_code}",
                         "-H", "Expect:", "-H", "Accept:", "-H", "User-Agent: strata-sigv4-tests"]
        if method == "HEAD" { arguments = arguments.map { $0 == "-X" ? "-I" : $0 }.filter { $0 != "HEAD" } }
        for header in headers {
            arguments += ["-H", header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"]
        }
        if !body.isEmpty || method == "PUT" {
            try Data(body).write(to: bodyFile)
            arguments += ["--data-binary", "@\(bodyFile.path)"]
        }
        arguments.append(url.absoluteString)
        let output = try ProcessRunner().run(arguments)
        guard output.status == 0, let code = Int(output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CurlFailed(arguments: arguments, output: output.stderr)
        }
        let responseBody = (try? Data(contentsOf: responseFile)).map { Array($0) } ?? []
        return Response(status: code, body: responseBody)
    }

    struct CurlFailed: Error, CustomStringConvertible {
        var arguments: [String]
        var output: String
        var description: String { "\(arguments.joined(separator: " ")) failed: \(output)" }
    }
}
