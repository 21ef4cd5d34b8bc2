import Foundation
import SigV4
import StrataTestSupport
import Testing

/// Every case of AWS's SigV4 test suite, header and query variants, read from
/// `../shared/sigv4-test-suite` at test time.
@Suite("AWS SigV4 test suite")
struct AWSTestSuiteTests {
    @Test("the suite is present (required under CI)", .enabled(if: TestServers.isCI || AWSTestSuiteCase.isAvailable))
    func suiteIsPresent() {
        #expect(AWSTestSuiteCase.isAvailable, "AWS SigV4 test suite not found at \(AWSTestSuiteCase.suiteDirectory.path)")
        #expect(AWSTestSuiteCase.all.count >= 30)
    }

    private func signer(for context: AWSTestSuiteCase.Context) -> Signer {
        Signer(
            credentials: Credentials(accessKeyID: context.credentials.access_key_id,
                                     secretAccessKey: context.credentials.secret_access_key,
                                     sessionToken: context.credentials.token),
            region: context.region, service: context.service,
            rules: CanonicalizationRules(normalizesPath: context.normalize, encodesPath: true,
                                         setsContentSHA256Header: context.sign_body),
            signsSessionToken: !(context.omit_session_token ?? false))
    }

    private func date(_ timestamp: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: timestamp))
    }

    private func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .newlines)
    }

    @Test("header signing", .enabled(if: AWSTestSuiteCase.isAvailable, "AWS SigV4 test suite absent"), arguments: AWSTestSuiteCase.all)
    func headerVariant(_ testCase: AWSTestSuiteCase) throws {
        let context = try testCase.context()
        let request = try testCase.request()
        let signed = signer(for: context).signHeaders(
            method: request.method, host: try #require(request.headers.first(named: "host")),
            path: request.path, query: request.query, headers: request.headers,
            payload: .bytes(request.body), date: try date(context.timestamp))
        #expect(signed.canonicalRequest == trimmed(try testCase.text("header-canonical-request.txt")))
        #expect(signed.stringToSign == trimmed(try testCase.text("header-string-to-sign.txt")))
        #expect(signed.signature == trimmed(try testCase.text("header-signature.txt")))
        let expectedAuthorization = try testCase.text("header-signed-request.txt")
            .components(separatedBy: "\n").first { $0.hasPrefix("Authorization:") }
        #expect("Authorization:" + signed.authorization == expectedAuthorization)
        if let token = context.credentials.token {
            #expect(signed.headers.first(named: "x-amz-security-token") == token)
        }
    }

    @Test("query signing (presigned)", .enabled(if: AWSTestSuiteCase.isAvailable, "AWS SigV4 test suite absent"), arguments: AWSTestSuiteCase.all)
    func queryVariant(_ testCase: AWSTestSuiteCase) throws {
        let context = try testCase.context()
        let request = try testCase.request()
        let presigned = try signer(for: context).presign(
            method: request.method, host: try #require(request.headers.first(named: "host")),
            path: request.path, query: request.query, expires: .seconds(context.expiration_in_seconds),
            date: try date(context.timestamp), extraHeaders: request.headers, payload: .bytes(request.body))
        #expect(presigned.canonicalRequest == trimmed(try testCase.text("query-canonical-request.txt")))
        #expect(presigned.stringToSign == trimmed(try testCase.text("query-string-to-sign.txt")))
        #expect(presigned.signature == trimmed(try testCase.text("query-signature.txt")))
        // The signed request line carries the same parameters (its order is the suite's, not ours).
        let requestLine = try testCase.text("query-signed-request.txt").components(separatedBy: "\n")[0]
        let expectedQuery = try #require(requestLine.split(separator: "?", maxSplits: 1).last?.split(separator: " ").first)
        #expect(Set(presigned.query.split(separator: "&")) == Set(expectedQuery.split(separator: "&")))
    }
}
