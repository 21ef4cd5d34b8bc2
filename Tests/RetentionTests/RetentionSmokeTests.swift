import Testing
@testable import Retention

@Test func moduleLinks() { _ = RetentionModule.self }
