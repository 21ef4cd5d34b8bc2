import Foundation
import SigV4
import StrataTestSupport
import Testing

/// Replays the botocore corpus (`Tests/Fixtures/sigv4/botocore-corpus.json`, made by `tools/sigv4-corpus`):
/// random S3, generic-service and presigned requests whose canonical request, string to sign and
/// signature botocore computed. Strata must produce the same three for the same input.
@Suite("Same canonical requests as botocore")
struct BotocoreCorpusTests {
    struct Corpus: Decodable {
        var botocore: String
        var accessKeyID: String
        var secretAccessKey: String
        var cases: [Case]
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var kind: String
        var method: String
        var host: String
        var path: String
        var query: [[String]]
        var headers: [[String]]
        var payloadSHA256: String
        var region: String
        var service: String
        var sessionToken: String?
        var timestamp: String
        var expires: Int?
        var canonicalRequest: String
        var stringToSign: String
        var signature: String
        var testDescription: String { name }
    }

    static let corpus: Corpus? = {
        guard let data = try? Data(contentsOf: corpusURL) else { return nil }
        return try? JSONDecoder().decode(Corpus.self, from: data)
    }()

    static let corpusURL = RepositoryPaths.fixtures.appendingPathComponent("sigv4/botocore-corpus.json")

    @Test("the corpus is present and covers every kind of request")
    func corpusIsPresent() throws {
        let corpus = try #require(Self.corpus, "\(Self.corpusURL.path) missing or unreadable: run tools/sigv4-corpus")
        #expect(corpus.cases.count >= 300)
        #expect(Set(corpus.cases.map(\.kind)) == ["s3", "generic", "presign"])
    }

    @Test("canonical request, string to sign and signature equal botocore's", arguments: corpus?.cases ?? [])
    func replay(_ testCase: Case) throws {
        let corpus = try #require(Self.corpus)
        let signer = Signer(
            credentials: Credentials(accessKeyID: corpus.accessKeyID, secretAccessKey: corpus.secretAccessKey,
                                     sessionToken: testCase.sessionToken),
            region: testCase.region, service: testCase.service,
            rules: testCase.kind == "generic" ? .generic : .s3)
        let date = try #require(ISO8601DateFormatter().date(from: testCase.timestamp))
        let query = URIEncoding.query(try testCase.query.map { item in
            guard item.count == 2 else { throw CorpusError.malformed(testCase.name) }
            return (item[0], item[1])
        })
        let headers = try testCase.headers.map { item in
            guard item.count == 2 else { throw CorpusError.malformed(testCase.name) }
            return HTTPHeader(item[0], item[1])
        }
        let produced: (canonicalRequest: String, stringToSign: String, signature: String)
        if let expires = testCase.expires {
            let presigned = try signer.presign(method: testCase.method, host: testCase.host, path: testCase.path, query: query,
                                               expires: .seconds(expires), date: date, extraHeaders: headers)
            produced = (presigned.canonicalRequest, presigned.stringToSign, presigned.signature)
        } else {
            let signed = signer.signHeaders(method: testCase.method, host: testCase.host, path: testCase.path, query: query,
                                            headers: headers, payload: .sha256(testCase.payloadSHA256), date: date)
            produced = (signed.canonicalRequest, signed.stringToSign, signed.signature)
        }
        #expect(produced.canonicalRequest == testCase.canonicalRequest)
        #expect(produced.stringToSign == testCase.stringToSign)
        #expect(produced.signature == testCase.signature)
    }

    enum CorpusError: Error {
        case malformed(String)
    }
}
