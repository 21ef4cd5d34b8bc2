import Testing
@testable import S3

@Test func moduleLinks() { _ = S3Module.self }
