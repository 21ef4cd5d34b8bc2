import Foundation
@testable import StrataKit
import Testing

/// The metrics file is replaced atomically, again and again (node_exporter reads it any time).
struct MetricsTextfileTests {
    @Test func writingTwiceReplacesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString).prom").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try MetricsTextfile.write("first 1\n", to: path)
        try MetricsTextfile.write("second 2\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second 2\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.contains(URL(fileURLWithPath: path).lastPathComponent) && $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func anUnwritableDirectoryIsAClearError() {
        #expect(throws: StrataError.self) { try MetricsTextfile.write("x 1\n", to: "/nonexistent-dir/strata.prom") }
    }
}
