import Testing
@testable import SigV4

@Test func algorithmIdentifier() { #expect(SigV4Algorithm.identifier == "AWS4-HMAC-SHA256") }
