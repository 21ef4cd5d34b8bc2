import Testing
@testable import StrataKit

@Test func versionIsSemantic() {
    let parts = StrataVersion.current.split(separator: ".")
    #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil })
}
