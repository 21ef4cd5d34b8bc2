import Foundation
import S3
import Testing

/// How listing answers are read, without a server: URL-encoded keys (`encoding-type=url`) are
/// decoded only when the answer says so, RGW's unencoded markers are taken as they are, and
/// control characters XML 1.0 cannot carry do not stop the parse.
@Suite struct ListingDecodingTests {
    static let versionsHead = #"<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#

    static func contents(_ key: String) -> String {
        "<Contents><Key>\(key)</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>1</Size></Contents>"
    }

    static func version(_ key: String) -> String {
        "<Version><Key>\(key)</Key><VersionId>v</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified></Version>"
    }

    static func parse(_ text: String) throws -> XMLNode { try XMLNode.parse(Data(text.utf8)) }

    /// U+FDD0, a noncharacter (which Swift's literals refuse), as its UTF-8 bytes.
    static let noncharacter: [UInt8] = [0xEF, 0xB7, 0x90]

    /// (key as the answer spells it, the key)
    static let encodedKeys: [(String, String)] = [
        ("vault%2F20261101_020000.snap", "vault/20261101_020000.snap"),
        ("vault/20261101_020000.snap", "vault/20261101_020000.snap"),
        ("vault%2Fa%01x", "vault/a\u{01}x"),
        ("odd/%1B%5B31mred", "odd/\u{1B}[31mred"),
        ("a+b%2Bc%25d%20e", "a b+c%d e"),
        ("%C3%A9%E2%80%AE", "\u{E9}\u{202E}"),
        ("%c3%a9", "\u{E9}"),
        ("", ""),
    ]

    @Test(arguments: encodedKeys)
    func encodedKeysAreDecodedWhenTheAnswerSaysSo(_ spelled: String, _ key: String) throws {
        let answer = "<ListBucketResult><EncodingType>url</EncodingType>\(Self.contents(spelled))</ListBucketResult>"
        #expect(try ListObjectsPage(xml: Self.parse(answer)).objects.map(\.key) == [key])
    }

    /// A server that ignores `encoding-type` does not answer `EncodingType`: its keys are the keys.
    @Test(arguments: ["a%41", "a+b", "vault%2Fx", "%zz", "%C3"])
    func keysAreTakenAsTheyAreWhenTheAnswerDoesNotSayEncoded(_ key: String) throws {
        let answer = "<ListBucketResult>\(Self.contents(key))<CommonPrefixes><Prefix>\(key)/</Prefix></CommonPrefixes></ListBucketResult>"
        let page = try ListObjectsPage(xml: Self.parse(answer))
        #expect(page.objects.map(\.key) == [key])
        #expect(page.commonPrefixes == [key + "/"])
        let versions = try ListVersionsPage(xml: Self.parse(Self.versionsHead + Self.version(key) + "</ListVersionsResult>"))
        #expect(versions.versions.map(\.key) == [key])
    }

    /// (what, spelled key): escapes that are not two hex digits, bytes that are not UTF-8.
    static let badlyEncoded: [(String, String)] = [
        ("not hex", "vault/%zz"), ("cut short", "vault/a%2"), ("a lone %", "vault/%"),
        ("half a UTF-8 sequence", "vault/%C3"), ("no UTF-8 at all", "vault/%FF"),
    ]

    @Test(arguments: badlyEncoded)
    func aKeyThatDoesNotDecodeIsAMalformedAnswerNamingIt(_ what: String, _ spelled: String) throws {
        let answer = "<ListBucketResult><EncodingType>url</EncodingType>\(Self.contents(spelled))</ListBucketResult>"
        let error = #expect(throws: MalformedListing.self, "\(what)") { try ListObjectsPage(xml: Self.parse(answer)) }
        #expect(error?.detail.contains(spelled) == true, "\(what): \(error?.detail ?? "")")
        let versions = Self.versionsHead + "<EncodingType>url</EncodingType>" + Self.version(spelled) + "</ListVersionsResult>"
        #expect(throws: MalformedListing.self, "\(what)") { try ListVersionsPage(xml: Self.parse(versions)) }
    }

    @Test func commonPrefixesAreDecoded() throws {
        let answer = "<ListBucketResult><EncodingType>url</EncodingType><CommonPrefixes><Prefix>odd/dir%02/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>odd/a%20</Prefix></CommonPrefixes></ListBucketResult>"
        #expect(try ListObjectsPage(xml: Self.parse(answer)).commonPrefixes == ["odd/dir\u{02}/", "odd/a "])
    }

    /// The continuation token is opaque: never decoded (RGW's is the last key, unencoded).
    @Test func theContinuationTokenIsTakenAsItIs() throws {
        let answer = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\(Self.contents("a%2Bb"))<NextContinuationToken>a+b%2B&#x01;</NextContinuationToken></ListBucketResult>"
        let page = try ListObjectsPage(xml: Self.parse(answer))
        #expect(page.objects.map(\.key) == ["a+b"])
        #expect(page.nextContinuationToken == "a+b%2B\u{01}")
    }

    /// (what, the page's last key as spelled, NextKeyMarker as spelled, the key-marker to send)
    static let markers: [(String, String, String, String)] = [
        ("AWS: encoded like the keys", "vault%2Fa%2Bb%20c", "vault%2Fa%2Bb%20c", "vault/a+b c"),
        ("RGW 16: the last key as it is", "vault%2Fa%2Bb%20c", "vault/a+b c", "vault/a+b c"),
        ("RGW 16: a '%' that is no escape", "vault%2F50%25%25off", "vault/50%%off", "vault/50%%off"),
        ("RGW 16: a control character", "vault%2Fa%01x", "vault/a&#x01;x", "vault/a\u{01}x"),
        ("a marker past the last key, encoded", "vault%2Fa", "vault%2Fb%20c", "vault/b c"),
    ]

    @Test(arguments: markers)
    func theNextKeyMarkerNamesTheKeyWhicheverWayItIsSpelled(_ what: String, _ last: String, _ marker: String, _ expected: String) throws {
        let answer = Self.versionsHead + "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextKeyMarker>\(marker)</NextKeyMarker><NextVersionIdMarker>v</NextVersionIdMarker>" + Self.version(last) + "</ListVersionsResult>"
        let page = try ListVersionsPage(xml: Self.parse(answer))
        #expect(page.nextKeyMarker == expected, "\(what)")
        #expect(page.nextVersionIDMarker == "v")
    }

    @Test func multipartUploadKeysAndMarkersAreDecoded() throws {
        let upload = "<Upload><Key>odd%2Fa%2Bb%20c</Key><UploadId>u1</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>"
        let answer = "<ListMultipartUploadsResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextKeyMarker>odd%2Fa%2Bb%20c</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>\(upload)</ListMultipartUploadsResult>"
        let page = try MultipartUploadsPage(xml: Self.parse(answer))
        #expect(page.uploads.map(\.key) == ["odd/a+b c"])
        #expect(page.nextKeyMarker == "odd/a+b c")
        #expect(page.nextUploadIDMarker == "u1")
        let plain = "<ListMultipartUploadsResult>\(upload)</ListMultipartUploadsResult>"
        #expect(try MultipartUploadsPage(xml: Self.parse(plain)).uploads.map(\.key) == ["odd%2Fa%2Bb%20c"])
        let cut = "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>\(upload)</ListMultipartUploadsResult>"
        #expect(throws: MalformedListing.self) { try MultipartUploadsPage(xml: Self.parse(cut)) }
    }

    /// (what, the element's content as a server writes it, the text read)
    static let controlCharacters: [(String, [UInt8], String)] = [
        ("a reference, hex", Array("a&#x01;b".utf8), "a\u{01}b"),
        ("a reference, decimal, zero-padded", Array("a&#0027;b&#x1B;".utf8), "a\u{1B}b\u{1B}"),
        ("the byte itself", [0x61, 0x01, 0x62, 0x1F], "a\u{01}b\u{1F}"),
        ("NUL", Array("&#0;".utf8), "\u{00}"),
        ("tab, LF and CR stay XML's own", Array("&#9;&#xA;&#13;".utf8), "\t\n\r"),
        ("a noncharacter and a private-use character", noncharacter + Array("\u{E001}&#xFDD0;&#64976;".utf8),
         String(decoding: noncharacter + Array("\u{E001}".utf8) + noncharacter + noncharacter, as: UTF8.self)),
        ("a noncharacter before a control", noncharacter + Array("&#x02;".utf8), String(decoding: noncharacter + [0x02], as: UTF8.self)),
        ("in CDATA a reference is text", Array("<![CDATA[&#x01;]]>".utf8), "&#x01;"),
        ("in CDATA the byte itself", Array("<![CDATA[a".utf8) + [0x03] + Array("]]>".utf8), "a\u{03}"),
        ("a comment is dropped", Array("a<!-- &#x01; ".utf8) + [0x04] + Array(" -->b".utf8), "ab"),
        ("an escaped ampersand is no reference", Array("&amp;#x01;".utf8), "&#x01;"),
        ("other references stay", Array("&#xE9;&#x202E;&lt;".utf8), "\u{E9}\u{202E}<"),
    ]

    @Test(arguments: controlCharacters)
    func controlCharactersAreReadAsTheCharactersTheyAre(_ what: String, _ content: [UInt8], _ text: String) throws {
        let document = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a><k>".utf8) + content + Array("</k></a>".utf8)
        let xml = try XMLNode.parse(Data(document))
        #expect(xml.string("k") == text, "\(what)")
    }

    /// What XML 1.1 does not allow either is still refused.
    @Test(arguments: ["&#xD800;", "&#x110000;", "&#xFFFE;", "&#99999999999;"])
    func referencesToNoCharacterAreStillRefused(_ reference: String) {
        #expect(throws: XMLParseError.self) { try Self.parse("<a>\(reference)</a>") }
    }
}
