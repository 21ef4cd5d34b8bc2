import Foundation
import Retention
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

    /// Issue 16, row 16: the temporary file had a predictable name and was written through a
    /// symlink planted under it. Names are random now; a symlink at the target is replaced.
    @Test func theTemporaryFileIsUnpredictableAndSymlinksAreNotFollowed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let victim = directory.appendingPathComponent("victim")
        try Data("precious\n".utf8).write(to: victim)
        let target = directory.appendingPathComponent("strata.prom")
        // The old name, and the target itself, point at the victim.
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent(".strata.prom.\(ProcessInfo.processInfo.processIdentifier).tmp"),
                                                   withDestinationURL: victim)
        try FileManager.default.createSymbolicLink(at: target, withDestinationURL: victim)
        try MetricsTextfile.write("metric 1\n", to: target.path)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOf: target, encoding: .utf8) == "metric 1\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target.path)) == nil, "the target is a file now")
    }

    @Test func anUnwritableDirectoryIsAClearError() {
        #expect(throws: StrataError.self) { try MetricsTextfile.write("x 1\n", to: "/nonexistent-dir/strata.prom") }
    }

    /// A future-dated set is counted, and never passes for the newest backup; hidden sets and an
    /// incident are exported for their alerts.
    @Test func hostileContentIsExportedAndAFutureSetIsNotTheNewestBackup() throws {
        let template = try KeyTemplate(parsing: "vault/{time:%Y%m%d_%H%M%S}.snap")
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        func object(_ offsetDays: Double, latest: Bool = true, marker: Bool = false, version: String) -> InventoryObject {
            let time = now.addingTimeInterval(offsetDays * 86_400)
            return InventoryObject(key: template.render(date: time), size: 10, lastModified: marker ? now : time,
                                   versionID: version, isLatest: latest, isDeleteMarker: marker)
        }
        let objects = [object(-1, version: "a"), object(40, version: "future"),
                       object(-0.5, latest: false, version: "b"), object(-0.5, marker: true, version: "m")]
        let policies = try PolicySet(policies: [Policy(component: "vault", prefix: "vault/", layout: .template(template),
                                                       retention: RetentionRules(keepLast: 3))])
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: now)
        let text = MetricsTextfile.render(plan: plan, sweep: nil)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("strata_future_dated_sets{component=\"vault\"} 1.0"), "\(text)")
        #expect(lines.contains("strata_hidden_sets{component=\"vault\",decision=\"keep\"} 1.0"), "\(text)")
        #expect(lines.contains("strata_delete_marker_incident{component=\"vault\"} 1.0"), "\(text)")
        #expect(lines.contains("backup_last_success_timestamp_seconds{component=\"vault\"} \(now.addingTimeInterval(-86_400).timeIntervalSince1970)"), "\(text)")
    }
}
