import Foundation
import NIOHTTP1
@testable import S3
import SigV4
import Testing

/// Pure parts of the client: parsing, URL building, backoff. No server needed.
struct RestoreHeaderTests {
    @Test("x-amz-restore values", arguments: [
        (#"ongoing-request="true""#, true, nil as String?),
        (#"ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT""#, false, "2012-12-21T00:00:00Z"),
        (#"ongoing-request="false""#, false, nil),
    ])
    func parses(header: String, ongoing: Bool, expiry: String?) throws {
        let status = try #require(RestoreStatus(header: header))
        #expect(status.ongoing == ongoing)
        #expect(status.expiry == expiry.flatMap(HTTPDate.parseISO8601))
    }

    @Test("malformed x-amz-restore values are rejected", arguments: [
        "", "ongoing-request=true", #"ongoing-request="maybe""#, #"expiry-date="Fri, 21 Dec 2012 00:00:00 GMT""#,
        #"ongoing-request="false", expiry-date="yesterday""#, #"ongoing-request="false"#,
    ])
    func rejects(header: String) {
        #expect(RestoreStatus(header: header) == nil)
    }

    @Test func availabilityFollowsExpiry() throws {
        let status = try #require(RestoreStatus(header: #"ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT""#))
        #expect(status.isAvailable(at: HTTPDate.parseISO8601("2012-12-20T23:59:59Z")!))
        #expect(!status.isAvailable(at: HTTPDate.parseISO8601("2012-12-21T00:00:00Z")!))
    }
}

struct DateParsingTests {
    @Test("ISO 8601 as S3 writes it", arguments: [
        ("2026-11-25T10:05:04.000Z", 1_795_601_104.0),
        ("2026-11-25T10:05:04Z", 1_795_601_104.0),
        ("2024-02-29T23:59:59.5Z", 1_709_251_199.5),
        ("1970-01-01T00:00:00Z", 0),
        ("2026-11-25T12:05:04+02:00", 1_795_601_104.0),
    ])
    func iso8601(text: String, epoch: Double) throws {
        #expect(try #require(HTTPDate.parseISO8601(text)).timeIntervalSince1970 == epoch)
    }

    @Test(arguments: ["", "2026-11-25", "2026-13-01T00:00:00Z", "2026-11-25T10:05:04", "2026-11-25T10:05:04Zjunk"])
    func rejectsMalformedISO8601(text: String) {
        #expect(HTTPDate.parseISO8601(text) == nil)
    }

    @Test func rfc1123RoundTrips() throws {
        let date = try #require(HTTPDate.parse("Wed, 25 Nov 2026 10:05:04 GMT"))
        #expect(date.timeIntervalSince1970 == 1_795_601_104)
        #expect(HTTPDate.format(date) == "Wed, 25 Nov 2026 10:05:04 GMT")
    }
}

struct ErrorParsingTests {
    let request = S3Request(operation: "GetObject", method: .GET, bucket: "b", key: "k")

    @Test func readsCodeMessageAndRequestID() {
        let body = Data("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>R1</RequestId></Error>".utf8)
        let error = S3ErrorParser.error(request: request, status: 404, headers: HTTPHeaders(), body: body)
        #expect(error == S3Error(code: .noSuchKey, message: "gone", status: 404, requestID: "R1",
                                 operation: "GetObject", bucket: "b", key: "k"))
        #expect(error.description == "GetObject s3://b/k: NoSuchKey (HTTP 404): gone [request id R1]")
    }

    @Test func toleratesRGWsEmptyMessage() {
        let body = Data("<Error><Code>AccessDenied</Code><Message/><RequestId>tx1</RequestId></Error>".utf8)
        let error = S3ErrorParser.error(request: request, status: 403, headers: HTTPHeaders(), body: body)
        #expect(error.code == .accessDenied)
        #expect(error.message == "")
    }

    @Test("bodiless answers get a code from the status", arguments: [(404, S3ErrorCode.notFound), (403, .forbidden), (412, .preconditionFailed), (503, .serviceUnavailable)])
    func codeFromStatus(status: Int, code: S3ErrorCode) {
        let error = S3ErrorParser.error(request: request, status: status, headers: HTTPHeaders(), body: Data())
        #expect(error.code == code)
    }

    @Test func redirectNamesTheRightRegion() {
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-bucket-region", value: "eu-west-1")
        let error = S3ErrorParser.error(request: request, status: 301, headers: headers, body: Data())
        #expect(error.code == .permanentRedirect)
        #expect(error.description.contains("--region eu-west-1"))
    }

    @Test("retryable codes", arguments: [(S3ErrorCode.slowDown, 503, true), (.internalError, 500, true), (.requestTimeout, 400, true),
                                         (.accessDenied, 403, false), (.noSuchKey, 404, false), (S3ErrorCode("X"), 502, true)])
    func retryable(code: S3ErrorCode, status: Int, expected: Bool) {
        #expect(S3Error(code: code, status: status, operation: "Op").isRetryable == expected)
    }

    /// Regression: a redirect that did not say where the bucket is hinted "pass --region ?".
    @Test("hints name only what the answer said", arguments: [
        (.permanentRedirect, "GetObject", "eu-west-1", "the bucket is in region eu-west-1: pass --region eu-west-1"),
        (.authorizationHeaderMalformed, "GetObject", "eu-west-1", "the bucket is in region eu-west-1: pass --region eu-west-1"),
        (.permanentRedirect, "GetObject", nil, "the bucket is in another region: pass its --region"),
        (.authorizationHeaderMalformed, "GetObject", nil, nil),
        (.accessDenied, "DeleteObjects", nil,
         "needs s3:DeleteObject (and s3:DeleteObjectVersion for versions), or the object is locked"),
        (.accessDenied, "GetObject", nil, nil),
    ] as [(S3ErrorCode, String, String?, String?)])
    func hint(code: S3ErrorCode, operation: String, bucketRegion: String?, expected: String?) {
        #expect(S3Error(code: code, status: 301, operation: operation, bucketRegion: bucketRegion).hint == expected)
    }
}

struct EndpointTests {
    /// sendfile(2) hands the kernel the file's bytes, which a TLS connection must encrypt first.
    @Test("file bodies use sendfile only over plain HTTP, unless turned off", arguments: [
        ("http://127.0.0.1:7480", true, true), ("http://127.0.0.1:7480", false, false),
        ("https://127.0.0.1:7443", true, false), ("https://127.0.0.1:7443", false, false),
    ])
    func sendfileOnlyOverPlainHTTP(endpoint: String, enabled: Bool, expected: Bool) throws {
        var configuration = S3Configuration(region: "us-east-1", endpoint: try S3Endpoint(url: endpoint))
        configuration.transfer.sendfile = enabled
        let target = configuration.target(bucket: "bkt", key: "k", query: [])
        #expect(configuration.sendsFilesWithSendfile(to: target) == expected)
    }

    @Test func pathStyleForCustomEndpointsEncodesKeysOnce() throws {
        let configuration = S3Configuration(region: "us-east-1", endpoint: try S3Endpoint(url: "http://127.0.0.1:7480"))
        let target = configuration.target(bucket: "bkt", key: "a b/ü+%.txt", query: [("versionId", "x/y")])
        #expect(target.host == "127.0.0.1:7480")
        #expect(target.path == "/bkt/a%20b/%C3%BC%2B%25.txt")
        #expect(target.query == "versionId=x%2Fy")
        #expect(target.url == "http://127.0.0.1:7480/bkt/a%20b/%C3%BC%2B%25.txt?versionId=x%2Fy")
    }

    @Test func virtualHostedForAWS() {
        let configuration = S3Configuration(region: "eu-west-1")
        let target = configuration.target(bucket: "backups", key: "k", query: [])
        #expect(target.host == "backups.s3.eu-west-1.amazonaws.com")
        #expect(target.path == "/k")
    }

    @Test("plain http only to loopback unless allowed", arguments: [
        ("http://127.0.0.1:7480", false, true), ("http://localhost:9000", false, true),
        ("http://10.0.0.5:9000", false, false), ("http://10.0.0.5:9000", true, true), ("https://s3.example.com", false, true),
        ("http://127.attacker.example:9000", false, false),
    ])
    func insecureHTTP(url: String, allow: Bool, accepted: Bool) throws {
        let configuration = S3Configuration(region: "us-east-1", endpoint: try S3Endpoint(url: url), allowInsecureHTTP: allow)
        if accepted {
            try configuration.validate()
        } else {
            #expect(throws: S3ConfigurationError.self) { try configuration.validate() }
        }
    }

    /// Issue 16, row 11: `127.attacker.example` passed as loopback (a string prefix), so signed
    /// requests and backup bytes could go out over plain http.
    @Test(arguments: [
        ("127.0.0.1", true), ("127.255.1.2", true), ("localhost", true), ("LOCALHOST", true), ("::1", true), ("[::1]", true),
        ("0:0:0:0:0:0:0:1", true), ("127.attacker.example", false), ("127.0.0.1.nip.io", false), ("128.0.0.1", false),
        ("10.0.0.5", false), ("::2", false), ("localhost.attacker.example", false), ("1270.0.0.1", false), ("", false),
    ])
    func loopbackIsAnAddressNotAPrefix(host: String, loopback: Bool) {
        #expect(S3Endpoint.isLoopback(host: host) == loopback, "\(host)")
    }

    @Test(arguments: ["127.0.0.1:7480", "ftp://host", "http://user:pw@host", "http://host/path", ""])
    func malformedEndpointsAreRejected(url: String) {
        #expect(throws: S3ConfigurationError.self) { _ = try S3Endpoint(url: url) }
    }

    @Test func endpointErrorNeverEchoesCredentials() {
        do {
            _ = try S3Endpoint(url: "http://AKIA:supersecret@host")
            Issue.record("accepted credentials in the URL")
        } catch {
            #expect(!error.description.contains("supersecret"))
        }
    }
}

struct TransferMathTests {
    @Test("part size grows so any object fits in 10,000 parts", arguments: [
        (Int64(1), Int64(16 << 20)), (Int64(100) << 30, Int64(16 << 20)), (Int64(200) << 30, Int64(21 << 20)),
        (Int64(5) << 40, Int64(525 << 20)),
    ])
    func partSize(size: Int64, expected: Int64) {
        let part = TransferConfiguration().partSize(forObjectOfSize: size)
        #expect(part == expected)
        #expect((size + part - 1) / part <= 10_000)
    }

    @Test func fullJitterStaysUnderTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        var random = SystemRandomNumberGenerator()
        for retry in 1...12 {
            let cap = min(Duration.seconds(2), .milliseconds(100) * (1 << (retry - 1)))
            for _ in 0..<50 {
                let delay = policy.delay(beforeRetry: retry, random: &random)
                #expect(delay >= .zero && delay <= cap)
            }
        }
    }

    @Test func checksumOfBytesMatchesItsParts() {
        let bytes = (0..<25).map { UInt8($0) }
        let whole = ContentChecksum.of(bytes, partSize: 10)
        #expect(whole.partSize == 10)
        #expect(whole == ContentChecksum(metadata: whole.metadata))
        #expect(whole != ContentChecksum.of(bytes, partSize: 5))
        #expect(ContentChecksum.of([], partSize: 10).digest.count == 64)
    }
}

struct XMLTests {
    @Test func writerEscapesText() {
        var writer = XMLWriter()
        writer.element("Key", text: "a<b>&\"c'\n")
        #expect(writer.output.hasSuffix("<Key>a&lt;b&gt;&amp;&quot;c&apos;&#10;</Key>"))
        let parsed = try? XMLNode.parse(Data(writer.output.utf8))
        #expect(parsed?.text == "a<b>&\"c'\n")
    }

    @Test func truncatedXMLIsAnError() {
        #expect(throws: XMLParseError.self) {
            _ = try XMLNode.parse(Data("<ListBucketResult><Contents><Key>a</Key>".utf8))
        }
    }
}
