import Foundation
import Testing
@testable import StrataKit

/// The report reader's prefix test on bytes answers as `String.hasPrefix` does.
@Suite struct PrefixTestTests {
    @Test("keys kept by prefix are those String.hasPrefix keeps, for ASCII and other text")
    func matchesHasPrefix() {
        let prefixSets = [["postgresql/", "qdrant/"], ["a\r"], ["é/"], ["e\u{301}/"], [""], ["x", "xy"]]
        let keys = ["postgresql/backup/x", "postgres", "qdrant/", "qdrant", "a\r\nb", "a\rb", "a\r", "é/x", "e\u{301}/x", "é", "", "x", "xyz",
                    "a\u{301}", "postgresql/\r\n"]
        for prefixes in prefixSets {
            let test = PrefixTest(prefixes)
            for key in keys {
                #expect(test.matches(key) == prefixes.contains { key.hasPrefix($0) }, "\(prefixes) \(key.debugDescription)")
            }
        }
    }
}
