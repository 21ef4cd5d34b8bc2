import Foundation
@testable import SigV4
import Testing

@Suite("URIEncoding and canonical query strings")
struct URIEncodingTests {
    @Test("UriEncode keeps only unreserved characters", arguments: [
        ("AZaz09-._~", false, "AZaz09-._~"),
        ("a b+c%d=e&f/g", false, "a%20b%2Bc%25d%3De%26f%2Fg"),
        ("a b/c", true, "a%20b/c"),
        ("ሴ", false, "%E1%88%B4"),
        ("*!'()", false, "%2A%21%27%28%29"),
        ("", false, ""),
    ])
    func encode(input: String, keepSlash: Bool, expected: String) {
        #expect(URIEncoding.encode(input, keepSlash: keepSlash) == expected)
        #expect(URIEncoding.decode(expected) == Array(input.utf8))
    }

    @Test("a lone % is kept when decoding; + is not a space")
    func decodeEdgeCases() {
        #expect(URIEncoding.decode("100%") == Array("100%".utf8))
        #expect(URIEncoding.decode("%zz%4") == Array("%zz%4".utf8))
        #expect(URIEncoding.decode("a+b%2b") == Array("a+b+".utf8))
    }

    @Test("canonical query: decoded, re-encoded, sorted by name then value, empty values as name=")
    func canonicalQuery() {
        #expect(CanonicalRequest.canonicalQuery("b=2&a=z&a=y&lifecycle&c=") == "a=y&a=z&b=2&c=&lifecycle=")
        #expect(CanonicalRequest.canonicalQuery("k=a%2fb%20c+d&%7E=~") == "k=a%2Fb%20c%2Bd&~=~")
        #expect(CanonicalRequest.canonicalQuery("") == "")
        // Sorting is by the encoded bytes: "%" sorts before letters, uppercase before lowercase.
        #expect(CanonicalRequest.canonicalQuery("a=1&B=2&%C3%A9=3") == "%C3%A9=3&B=2&a=1")
    }

    @Test("query builder writes the canonical encoding")
    func queryBuilder() {
        #expect(URIEncoding.query([("prefix", "a b/ሴ"), ("list-type", "2"), ("empty", "")]) == "prefix=a%20b%2F%E1%88%B4&list-type=2&empty=")
    }
}
