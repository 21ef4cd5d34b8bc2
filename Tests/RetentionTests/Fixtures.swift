import Foundation
@testable import Retention

/// Builders shared by the Retention tests.
enum Fixtures {
    /// The repository root, found from this file's path (tests may read files; Retention may not).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The six shipped policies as sources.
    static func defaultPolicySources() throws -> [PolicySource] {
        let directory = repositoryRoot.appendingPathComponent("policies")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try names.map { name in
            PolicySource(path: "policies/\(name)", contents: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// The six shipped policies, loaded.
    static func defaultPolicies() throws -> PolicySet { try PolicySet.load(files: defaultPolicySources()) }

    /// A UTC date from `2025-01-02T03:04:05Z`-style text.
    static func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { fatalError("bad test date \(text)") }
        return date
    }

    /// A current object.
    static func object(_ key: String, size: Int64 = 1_000_000, modified: String = "2025-01-01T00:00:00Z",
                       storageClass: StorageClass = .standard, tags: [String: String]? = nil,
                       lock: ObjectLockState? = nil, versionID: String? = nil, isLatest: Bool = true,
                       isDeleteMarker: Bool = false) -> InventoryObject {
        InventoryObject(key: key, size: size, lastModified: date(modified), storageClass: storageClass, versionID: versionID,
                        isLatest: isLatest, isDeleteMarker: isDeleteMarker, tags: tags, objectLock: lock)
    }

    /// A one-policy set with a template layout.
    static func templatePolicy(
        _ template: String = "db/{time:%Y%m%d_%H%M%S}.dump", component: String = "db", prefix: String = "db/",
        retention: RetentionRules, tiers: [TierRule] = [], zone: String = "UTC", expectEvery: PolicyDuration? = nil,
        maxDeleteFraction: Double = 1.0
    ) throws -> PolicySet {
        let zoneValue = PolicyTimeZone(TimeZone(identifier: zone) ?? TimeZone(secondsFromGMT: 0)!)
        return try PolicySet(policies: [Policy(
            component: component, prefix: prefix, layout: .template(try KeyTemplate(parsing: template)), timeZone: zoneValue,
            retention: retention, tiers: tiers, expectEvery: expectEvery,
            guards: GuardSettings(maxDeleteFraction: maxDeleteFraction), sourcePath: "policies/\(component).yaml")])
    }

    /// One object per set time, keys from the default test template.
    static func dumps(_ times: [String], size: Int64 = 1_000_000) -> [InventoryObject] {
        times.map { time in
            let d = date(time)
            let key = (try? KeyTemplate(parsing: "db/{time:%Y%m%d_%H%M%S}.dump"))?.render(date: d) ?? ""
            return object(key, size: size, modified: time)
        }
    }

    /// Kept set ids of the only component.
    static func kept(_ plan: Plan) -> [String] {
        plan.components.flatMap(\.sets).filter { $0.decision == .keep }.map(\.id)
    }

    /// Expired set ids of the only component.
    static func expired(_ plan: Plan) -> [String] {
        plan.components.flatMap(\.sets).filter { $0.decision == .expire }.map(\.id)
    }

    /// Reason texts of a set.
    static func reasons(_ plan: Plan, _ id: String) -> [String] {
        plan.components.flatMap(\.sets).first { $0.id == id }?.reasons.map(\.text) ?? []
    }

    /// Hourly/daily times: `count` times `step` seconds apart, ending at `end`, as ISO text.
    static func series(end: String, count: Int, step: Int64) -> [String] {
        let last = Int64(date(end).timeIntervalSince1970)
        return (0..<count).map { CivilTime.iso8601(last - Int64($0) * step) }
    }
}
