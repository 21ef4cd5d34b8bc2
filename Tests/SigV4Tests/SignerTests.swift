import Crypto
import Foundation
@testable import SigV4
import Testing

@Suite("Signer behaviour")
struct SignerTests {
    static let credentials = Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test func algorithmIdentifier() {
        #expect(SigV4Algorithm.identifier == "AWS4-HMAC-SHA256")
    }

    @Test("signing dates render in UTC, across epochs and leap days", arguments: [
        (0.0, "19700101T000000Z"), (1_440_938_160, "20150830T123600Z"), (951_825_599, "20000229T115959Z"),
        (1_795_651_199.9, "20261125T235959Z"), (-1, "19691231T235959Z"), (4_107_542_400, "21000301T000000Z"),
    ])
    func signingDate(seconds: Double, expected: String) {
        let date = SigningDate(Date(timeIntervalSince1970: seconds))
        #expect(date.timestamp == expected)
        #expect(date.day == String(expected.prefix(8)))
    }

    @Test("description never shows the secret or the token")
    func credentialsDescription() {
        let credentials = Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "SECRETSECRET", sessionToken: "TOKENTOKEN",
                                      expiration: Date(timeIntervalSince1970: 0))
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials)] {
            #expect(text.contains("AKIDEXAMPLE"))
            #expect(!text.contains("SECRETSECRET"))
            #expect(!text.contains("TOKENTOKEN"))
        }
        #expect(credentials.isExpired(at: Date(timeIntervalSince1970: 1)))
        #expect(!Self.credentials.isExpired(at: .distantFuture))
    }

    @Test("presign expiry outside 1 s ... 7 days is refused with a clear error", arguments: [
        Duration.zero, .milliseconds(999), .seconds(-5), .seconds(604_801), .seconds(1_000_000),
    ])
    func expiryOutOfRange(_ expires: Duration) throws {
        let signer = Signer(credentials: Self.credentials, region: "us-east-1")
        let url = try #require(URL(string: "https://bucket.s3.amazonaws.com/key"))
        let error = #expect(throws: SigV4Error.self) {
            try signer.presign(method: "GET", url: url, expires: expires, date: Self.date)
        }
        guard case .expiryOutOfRange(let seconds)? = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("604800") == true)
        #expect(seconds < 1 || seconds > 604_800)
    }

    @Test("presign accepts the bounds 1 s and 7 days", arguments: [Duration.seconds(1), .seconds(604_800)])
    func expiryBounds(_ expires: Duration) throws {
        let signer = Signer(credentials: Self.credentials, region: "us-east-1")
        let url = try #require(URL(string: "https://bucket.s3.amazonaws.com/key"))
        let presigned = try signer.presign(method: "GET", url: url, expires: expires, date: Self.date)
        #expect(presigned.query?.contains("X-Amz-Expires=\(expires.components.seconds)&") == true)
    }

    @Test("a URL without a host cannot be signed")
    func missingHost() throws {
        let signer = Signer(credentials: Self.credentials, region: "us-east-1")
        let url = try #require(URL(string: "/relative/path"))
        #expect(throws: SigV4Error.missingHost(url: "/relative/path")) {
            try signer.signHeaders(method: "GET", url: url, payload: .empty, date: Self.date)
        }
    }

    @Test("session token is sent and signed; presigned URLs carry it as X-Amz-Security-Token")
    func sessionToken() throws {
        var credentials = Self.credentials
        credentials.sessionToken = "tok/en+="
        let signer = Signer(credentials: credentials, region: "eu-west-1")
        let url = try #require(URL(string: "https://bucket.s3.eu-west-1.amazonaws.com/a%20b"))
        let signed = try signer.signHeaders(method: "GET", url: url, headers: [HTTPHeader("X-Amz-Security-Token", "stale")],
                                            payload: .unsigned, date: Self.date)
        #expect(signed.headers.filter { $0.name.lowercased() == "x-amz-security-token" }.map(\.value) == ["tok/en+="])
        #expect(signed.canonicalRequest.contains("\nx-amz-security-token:tok/en+=\n"))
        #expect(signed.canonicalRequest.contains("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"))
        #expect(signed.canonicalRequest.hasPrefix("GET\n/a%20b\n"))
        let presigned = try signer.presign(method: "GET", url: url, expires: .seconds(60), date: Self.date)
        #expect(presigned.query?.contains("X-Amz-Security-Token=tok%2Fen%2B%3D") == true)
    }

    @Test("an empty session token is treated as none")
    func emptySessionToken() throws {
        var credentials = Self.credentials
        credentials.sessionToken = ""
        let signed = Signer(credentials: credentials, region: "us-east-1")
            .signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        #expect(signed.headers.first(named: "x-amz-security-token") == nil)
        #expect(!signed.canonicalRequest.contains("x-amz-security-token"))
    }

    @Test("S3 rules sign the wire path as is; generic rules normalize and encode it again")
    func pathRules() {
        #expect(CanonicalRequest.canonicalURI(path: "/a%2Fb/./c//d%20e", rules: .s3) == "/a%2Fb/./c//d%20e")
        #expect(CanonicalRequest.canonicalURI(path: "/a%2Fb/./c//d%20e", rules: .generic) == "/a%252Fb/c/d%2520e")
        #expect(CanonicalRequest.canonicalURI(path: "", rules: .s3) == "/")
        #expect(CanonicalRequest.canonicalURI(path: "/a/b/../..", rules: .generic) == "/")
    }

    @Test("the host header keeps a non-default port and drops a default one")
    func hostHeader() throws {
        let signer = Signer(credentials: Self.credentials, region: "us-east-1")
        for (text, host) in [("http://127.0.0.1:7480/b/k", "127.0.0.1:7480"), ("https://Example.COM:443/k", "example.com"),
                             ("http://example.com:80/", "example.com"), ("https://[::1]:9000/b", "[::1]:9000")] {
            let url = try #require(URL(string: text))
            let signed = try signer.signHeaders(method: "GET", url: url, payload: .empty, date: Self.date)
            #expect(signed.headers.first(named: "host") == host, "\(text)")
        }
    }

    @Test("derived signing keys are cached per secret, day, region and service, and shared by copies")
    func keyCache() {
        let signer = Signer(credentials: Self.credentials, region: "us-east-1")
        var copy = signer
        _ = signer.signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        _ = copy.signHeaders(method: "GET", host: "h", path: "/x", payload: .empty, date: Self.date.addingTimeInterval(60))
        #expect(signer.keyCache.count == 1)
        copy.region = "eu-west-1"
        _ = copy.signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        _ = signer.signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date.addingTimeInterval(86_400))
        #expect(signer.keyCache.count == 3)
        let cached = signer.signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        let fresh = Signer(credentials: Self.credentials, region: "us-east-1")
            .signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        #expect(cached.signature == fresh.signature)
    }

    @Test("a different secret gives a different signature")
    func secretMatters() {
        var other = Self.credentials
        other.secretAccessKey += "x"
        let a = Signer(credentials: Self.credentials, region: "us-east-1").signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        let b = Signer(credentials: other, region: "us-east-1").signHeaders(method: "GET", host: "h", path: "/", payload: .empty, date: Self.date)
        #expect(a.canonicalRequest == b.canonicalRequest)
        #expect(a.signature != b.signature)
    }

    @Test("header values are trimmed, inner whitespace collapsed, repeated names joined in order")
    func headerCanonicalization() {
        let (canonical, signed) = CanonicalRequest.canonicalHeaders([
            HTTPHeader("X-B", "  two   words \t here "), HTTPHeader("x-a", "1"), HTTPHeader("X-A", "\t0"),
            HTTPHeader("User-Agent", "not signed"), HTTPHeader("x-empty", ""),
        ])
        #expect(canonical == "x-a:1,0\nx-b:two words here\nx-empty:\n")
        #expect(signed == "x-a;x-b;x-empty")
    }

    @Test("whitespace-only and tab/newline values, unsigned names in any case, repeated names across cases")
    func headerCanonicalizationEdges() {
        let (canonical, signed) = CanonicalRequest.canonicalHeaders([
            HTTPHeader("X-Blank", " \t "), HTTPHeader("x-tabs", "\ta\t\tb\r\n c "), HTTPHeader("USER-AGENT", "x"),
            HTTPHeader("X-Amzn-Trace-Id", "Root=1"), HTTPHeader("Te", "trailers"), HTTPHeader("X-A", "first"),
            HTTPHeader("Host", "h"), HTTPHeader("x-a", "second"), HTTPHeader("x-single", "one space"),
        ])
        #expect(canonical == "host:h\nx-a:first,second\nx-blank:\nx-single:one space\nx-tabs:a b c\n")
        #expect(signed == "host;x-a;x-blank;x-single;x-tabs")
        let none = CanonicalRequest.canonicalHeaders([HTTPHeader("Connection", "close")])
        #expect(none.canonical.isEmpty && none.signed.isEmpty)
    }

    @Test("the prepared signing key computes the same HMAC-SHA256 as swift-crypto, whole or in parts", arguments: [0, 1, 55, 56, 63, 64, 65, 200])
    func preparedHMAC(length: Int) {
        let secret = Self.credentials.secretAccessKey
        let key = SigningKey(secretAccessKey: secret, day: "20150830", region: "us-east-1", service: "iam")
        func mac(_ data: String, _ key: SymmetricKey) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(data.utf8), using: key))
        }
        let derived = mac("aws4_request", mac("iam", mac("us-east-1", mac("20150830", SymmetricKey(data: Array("AWS4\(secret)".utf8))))))
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: derived))
        #expect(Array(key.authenticationCode { $0.update(data: message) }) == expected)
        let split = message.count / 3
        let inParts = key.authenticationCode { hasher in
            hasher.update(data: message[..<split])
            hasher.update(data: message[split...])
        }
        #expect(Array(inParts) == expected)
        #expect(key.scope == "20150830/us-east-1/iam/aws4_request")
    }

    @Test("the lazily made diagnostics equal what was signed")
    func diagnosticsMatchSignature() {
        let signer = Signer(credentials: Self.credentials, region: "us-east-1")
        let signed = signer.signHeaders(method: "put", host: "h", path: "/k", headers: [HTTPHeader("Content-Type", "a/b")],
                                        payload: .unsigned, date: Self.date)
        #expect(signed.canonicalRequest.hasPrefix("PUT\n/k\n\ncontent-type:a/b\nhost:h\n"))
        #expect(signed.signature == signer.signature(stringToSign: signed.stringToSign, date: Self.date))
        #expect(signed.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=\(signed.signature)")
    }
}
