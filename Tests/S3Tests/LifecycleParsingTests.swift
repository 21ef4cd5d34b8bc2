import Foundation
@testable import S3
import Testing

/// A lifecycle configuration read from a bucket is outside input: what the model does not
/// carry, or cannot read, is named (``LifecycleRule/unrecognized``), so that the guard against
/// outside rules treats the rule as acting in ways it cannot weigh instead of as harmless.
struct LifecycleParsingTests {
    static func rules(_ body: String) throws -> [LifecycleRule] {
        let xml = "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(body)</LifecycleConfiguration>"
        return LifecycleConfiguration(xml: try XMLNode.parse(Data(xml.utf8))).rules
    }

    @Test(arguments: [
        ("<Rule><ID>a</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>", [String]()),
        ("<Rule><ID>a</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>thirty</Days></Expiration></Rule>",
         ["Expiration/Days 'thirty'"]),
        ("<Rule><ID>a</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition></Rule>",
         ["NoncurrentVersionTransition"]),
        ("<Rule><ID>a</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status><Transition><Date>2027-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition></Rule>",
         ["Transition without Days"]),
        ("<Rule><ID>a</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>soon</Date></Expiration></Rule>",
         ["Expiration/Date 'soon'"]),
    ] as [(String, [String])])
    func unrecognizedElementsAreNamed(rule: String, expected: [String]) throws {
        #expect(try Self.rules(rule).first?.unrecognized == expected)
    }

    @Test func anExpirationDateIsRead() throws {
        let rule = try #require(try Self.rules("<Rule><ID>a</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>").first)
        #expect(rule.expirationDate == Date(timeIntervalSince1970: 1_798_761_600))
        #expect(rule.unrecognized.isEmpty)
    }
}
