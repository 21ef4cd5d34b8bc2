import Foundation
import StrataTestSupport
import Testing
@testable import Retention

/// The pgBackRest layout: sets by label, dependencies, metadata, WAL ranges.
@Suite struct PgBackRestTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")
    static let base = "postgresql/backup/mind/"
    static let archive = "postgresql/archive/mind/15-1/"

    static func policies(_ rules: RetentionRules, tiers: [TierRule] = []) throws -> PolicySet {
        try PolicySet(policies: [Policy(
            component: "postgresql", prefix: "postgresql/", layout: .pgbackrest(stanza: "mind"), retention: rules, tiers: tiers,
            guards: GuardSettings(maxDeleteFraction: 1), sourcePath: "policies/postgresql.yaml")])
    }

    /// Objects of one set: two data files and both manifests.
    static func setObjects(_ label: String, size: Int64 = 10_000_000) -> [InventoryObject] {
        ["pg_data/base/1/1259.gz", "pg_data/global/pg_control.gz", "backup.manifest", "backup.manifest.copy"].map {
            Fixtures.object(base + label + "/" + $0, size: $0.hasPrefix("backup") ? 20_000 : size)
        }
    }

    static let metadata = [
        base + "backup.info", base + "backup.info.copy", base + "backup.history/2024/20240115-020001F.manifest.gz",
        "postgresql/archive/mind/archive.info", "postgresql/archive/mind/archive.info.copy", archive + "00000002.history",
    ].map { Fixtures.object($0, size: 2_000) }

    static func wal(_ segment: UInt64) -> InventoryObject {
        let name = String(format: "00000001%08X%08X", UInt32(segment >> 32), UInt32(segment & 0xFFFF_FFFF))
        return Fixtures.object(archive + String(name.prefix(16)) + "/" + name + "-0123456789abcdef0123456789abcdef01234567.gz", size: 16_777_216)
    }

    static func infoLine(_ label: String, type: String, start: UInt64, stop: UInt64, prior: String?, references: [String]) -> String {
        func segment(_ s: UInt64) -> String { String(format: "\"00000001%08X%08X\"", UInt32(s >> 32), UInt32(s & 0xFFFF_FFFF)) }
        let refs = references.isEmpty ? "null" : "[" + references.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return "\(label)={\"backrest-format\":5,\"backrest-version\":\"2.45\",\"backup-archive-start\":\(segment(start)),\"backup-archive-stop\":\(segment(stop)),\"backup-prior\":\(prior.map { "\"\($0)\"" } ?? "null"),\"backup-reference\":\(refs),\"backup-timestamp-start\":1,\"backup-timestamp-stop\":2,\"backup-type\":\"\(type)\",\"option-archive-check\":true}"
    }

    @Test(arguments: [
        ("20250102-020000F", "full", "2025-01-02T02:00:00Z", "20250102-020000F"),
        ("20250102-020000F_20250103-020000D", "diff", "2025-01-03T02:00:00Z", "20250102-020000F"),
        ("20250102-020000F_20250104-020000I", "incr", "2025-01-04T02:00:00Z", "20250102-020000F"),
    ])
    func labelsParse(_ text: String, _ kind: String, _ time: String, _ full: String) throws {
        let label = try #require(PgBackRest.Label(text, zone: .utc))
        #expect(label.kind.rawValue == kind)
        #expect(CivilTime.iso8601(label.epochSeconds) == time)
        #expect(label.fullLabel == full)
    }

    @Test(arguments: ["20250102-020000D", "20250102-020000", "20250132-020000F", "20250102-020000F_20250101-020000I",
                      "20250102-020000F_20250103-020000F", "20250102_020000F", "2025010-0200000F"])
    func badLabelsDoNotParse(_ text: String) {
        #expect(PgBackRest.Label(text, zone: .utc) == nil)
    }

    @Test(arguments: [
        ("backup/mind/backup.info", "metadata"), ("backup/mind/backup.info.copy", "metadata"),
        ("backup/mind/backup.history/2025/20250102-020000F.manifest.gz", "metadata"),
        ("archive/mind/archive.info", "metadata"), ("archive/mind/15-1/00000002.history", "metadata"),
        ("backup/mind/20250102-020000F/backup.manifest", "manifest"), ("backup/mind/20250102-020000F/pg_data/base/1/2.gz", "set"),
        ("archive/mind/15-1/0000000100000001/000000010000000100000042-0123456789abcdef0123456789abcdef01234567.gz", "wal"),
        ("archive/mind/15-1/0000000100000001/000000010000000100000042.00000028.backup", "wal"),
        ("backup/other/20250102-020000F/backup.manifest", "unrecognized"), ("backup/mind/notes.txt", "unrecognized"),
        ("archive/mind/15-1/0000000100000001/garbage", "unrecognized"), ("lock/mind", "unrecognized"),
    ])
    func keysAreClassified(_ relative: String, _ expected: String) {
        let kind: String
        switch PgBackRest.classify(Substring(relative), stanza: "mind") {
        case .metadata: kind = "metadata"
        case .setFile(_, let isManifest): kind = isManifest ? "manifest" : "set"
        case .wal: kind = "wal"
        case .unrecognized: kind = "unrecognized"
        }
        #expect(kind == expected)
    }

    @Test func metadataIsNeverDeletedOrMovedAndUnknownKeysAreUntouched() throws {
        let objects = Self.metadata + Self.setObjects("20240101-020000F") + Self.setObjects("20261124-020000F")
            + [Fixtures.object("postgresql/backup/mind/README", size: 10)]
        let plan = Planner(policies: try Self.policies(RetentionRules(keepLast: 1), tiers: [TierRule(after: .days(1), storageClass: .glacierIR)]))
            .plan(inventory: Inventory(objects: objects), now: Self.now)
        let touched = Set(plan.actions.map(\.key))
        for object in Self.metadata { #expect(!touched.contains(object.key)) }
        #expect(plan.components[0].unrecognizedKeys == ["postgresql/backup/mind/README"])
        #expect(!touched.contains { $0.hasSuffix("backup.manifest") && $0.contains("20261124") }, "a kept set's manifest stays in STANDARD")
        #expect(touched.contains(Self.base + "20261124-020000F/pg_data/base/1/1259.gz"))
        #expect(touched.contains(Self.base + "20240101-020000F/backup.manifest"), "an expired set goes with its manifest")
        #expect(plan.components[0].warnings.contains { $0.hasPrefix("backup.info still lists 1 deleted set(s)") })
    }

    @Test func withoutBackupInfoAnIncrKeepsItsWholeChain() throws {
        let labels = ["20251101-020000F", "20251101-020000F_20251102-020000I", "20251101-020000F_20251103-020000D",
                      "20251101-020000F_20251104-020000I", "20251020-020000F"]
        let plan = Planner(policies: try Self.policies(RetentionRules(keepLast: 1)))
            .plan(inventory: Inventory(objects: labels.flatMap { Self.setObjects($0) }), now: Self.now)
        #expect(Fixtures.expired(plan) == ["20251020-020000F"])
        #expect(Fixtures.reasons(plan, "20251101-020000F") == ["dependency of 20251101-020000F_20251104-020000I",
                                                                "dependency of 20251101-020000F_20251103-020000D",
                                                                "dependency of 20251101-020000F_20251102-020000I"])
        #expect(Fixtures.reasons(plan, "20251101-020000F_20251102-020000I") == ["dependency of 20251101-020000F_20251104-020000I"])
    }

    @Test func aMissingDependencyIsReported() throws {
        let plan = Planner(policies: try Self.policies(RetentionRules(keepLast: 1)))
            .plan(inventory: Inventory(objects: Self.setObjects("20251101-020000F_20251102-020000D")), now: Self.now)
        #expect(Fixtures.kept(plan) == ["20251101-020000F_20251102-020000D"])
        #expect(plan.components[0].warnings.contains("20251101-020000F_20251102-020000D depends on 20251101-020000F, which is not in the bucket"))
    }

    @Test func withBackupInfoOnlyRealDependenciesAreKept() throws {
        let full = "20251101-020000F", diff1 = "20251101-020000F_20251102-020000D", diff2 = "20251101-020000F_20251103-020000D"
        let info = "[backrest]\nbackrest-format=5\n\n[backup:current]\n" + [
            Self.infoLine(full, type: "full", start: 0x10, stop: 0x11, prior: nil, references: []),
            Self.infoLine(diff1, type: "diff", start: 0x20, stop: 0x20, prior: full, references: [full]),
            Self.infoLine(diff2, type: "diff", start: 0x30, stop: 0x30, prior: full, references: [full]),
        ].joined(separator: "\n") + "\n\n[db]\ndb-id=1\n"
        let planner = Planner(policies: try Self.policies(RetentionRules(keepLast: 1)))
        let inventory = Inventory(objects: [full, diff1, diff2].flatMap { Self.setObjects($0) } + Self.metadata)
        #expect(planner.documentsNeeded(inventory: inventory) == [Self.base + "backup.info"])
        let plan = planner.plan(inventory: inventory, now: Self.now, documents: [Self.base + "backup.info": info])
        #expect(Fixtures.expired(plan) == [diff1], "a diff depends on its full only")
        #expect(Fixtures.reasons(plan, full) == ["dependency of \(diff2)"])
    }

    @Test func documentsNeededFallsBackToTheCopyThenToManifests() throws {
        let planner = Planner(policies: try Self.policies(RetentionRules(keepLast: 1)))
        let copyOnly = Inventory(objects: Self.setObjects("20251101-020000F") + [Fixtures.object(Self.base + "backup.info.copy")])
        #expect(planner.documentsNeeded(inventory: copyOnly) == [Self.base + "backup.info.copy"])
        let none = Inventory(objects: Self.setObjects("20251101-020000F") + Self.setObjects("20251102-020000F"))
        #expect(planner.documentsNeeded(inventory: none) == [Self.base + "20251101-020000F/backup.manifest", Self.base + "20251102-020000F/backup.manifest"])
    }

    /// WAL from the oldest continuous-window set onward is kept; older WAL only inside yearly sets' ranges.
    @Test func walRangesFollowKeptSets() throws {
        let yearly = "20250101-020000F", old = "20251001-020000F", recent1 = "20261101-020000F", recent2 = "20261120-020000F"
        let info = "[backup:current]\n" + [
            Self.infoLine(yearly, type: "full", start: 0x100, stop: 0x102, prior: nil, references: []),
            Self.infoLine(old, type: "full", start: 0x200, stop: 0x201, prior: nil, references: []),
            Self.infoLine(recent1, type: "full", start: 0x300, stop: 0x301, prior: nil, references: []),
            Self.infoLine(recent2, type: "full", start: 0x400, stop: 0x401, prior: nil, references: []),
        ].joined(separator: "\n")
        let segments: [UInt64] = [0x0FF, 0x100, 0x101, 0x102, 0x103, 0x200, 0x2FF, 0x300, 0x350, 0x400, 0x401, 0x500]
        let objects = [yearly, old, recent1, recent2].flatMap { Self.setObjects($0) } + segments.map(Self.wal) + Self.metadata
        let planner = Planner(policies: try Self.policies(RetentionRules(keepWithin: .days(30), keepYearly: 2)))
        let plan = planner.plan(inventory: Inventory(objects: objects), now: Self.now, documents: [Self.base + "backup.info": info])
        #expect(Fixtures.kept(plan) == [old, recent1, recent2], "yearly 2 keeps the newest set of 2025")
        let deletedWAL = plan.actions.filter { $0.key.hasPrefix(Self.archive) }.map { String($0.key.split(separator: "/").last?.prefix(24) ?? "") }
        #expect(deletedWAL == ["0000000100000000000000FF", "000000010000000000000100", "000000010000000000000101",
                               "000000010000000000000102", "000000010000000000000103", "0000000100000000000002FF"])

        let conservative = planner.plan(inventory: Inventory(objects: objects), now: Self.now)
        #expect(!conservative.actions.contains { $0.key.hasPrefix(Self.archive) }, "without backup.info no WAL is deleted")
        #expect(conservative.components[0].warnings.contains { $0.hasPrefix("all WAL kept: the archive range of kept set") })
    }

    @Test func manifestsGiveRangesWhenBackupInfoIsMissing() throws {
        let a = "20251001-020000F", b = "20261120-020000F"
        let manifest = { (start: String, stop: String) in
            "[backup]\nbackup-archive-start=\"\(start)\"\nbackup-archive-stop=\"\(stop)\"\nbackup-label=\"x\"\nbackup-prior=null\nbackup-type=\"full\"\n"
        }
        let objects = Self.setObjects(a) + Self.setObjects(b) + [Self.wal(0x10), Self.wal(0x20)]
        let plan = Planner(policies: try Self.policies(RetentionRules(keepLast: 1))).plan(
            inventory: Inventory(objects: objects), now: Self.now,
            documents: [Self.base + a + "/backup.manifest": manifest("000000010000000000000010", "000000010000000000000010"),
                        Self.base + b + "/backup.manifest": manifest("000000010000000000000020", "000000010000000000000020")])
        #expect(plan.actions.filter { $0.key.hasPrefix(Self.archive) }.count == 1)
    }

    /// Keeping all WAL is never silent: the plan says how much is kept unchecked and what it costs,
    /// and why. An encrypted backup.info (as read without the passphrase: it still starts with
    /// `Salted__`) is named as the reason; with the decrypted text the same WAL is judged.
    @Test func walKeptUncheckedIsCountedAndItsReasonNamed() throws {
        let old = "20251001-020000F", recent = "20261120-020000F"
        let info = "[backup:current]\n" + [
            Self.infoLine(old, type: "full", start: 0x10, stop: 0x10, prior: nil, references: []),
            Self.infoLine(recent, type: "full", start: 0x20, stop: 0x20, prior: nil, references: []),
        ].joined(separator: "\n")
        let segments: [UInt64] = [0x0F, 0x10, 0x11, 0x20, 0x21]
        let objects = Self.setObjects(old) + Self.setObjects(recent) + segments.map(Self.wal) + Self.metadata
        let planner = Planner(policies: try Self.policies(RetentionRules(keepLast: 1)))
        let inventory = Inventory(objects: objects)
        let encrypted = try String(decoding: Data(contentsOf: RepositoryPaths.fixtures.appendingPathComponent("pgbackrest/encrypted/backup.info")), as: UTF8.self)
        #expect(PgBackRest.isEncrypted(encrypted))

        let cases: [(documents: [String: String], reason: String?)] = [
            ([Self.base + "backup.info": info], nil),
            ([:], "all WAL kept: the archive range of kept set \(recent) is unknown"),
            ([Self.base + "backup.info": encrypted], "all WAL kept: the repository is encrypted and no cipher passphrase decrypts \(Self.base)backup.info"),
        ]
        for (documents, reason) in cases {
            let plan = planner.plan(inventory: inventory, now: Self.now, documents: documents)
            let component = plan.components[0]
            let deletedWAL = plan.actions.filter { $0.key.hasPrefix(Self.archive) }.count
            guard let reason else {
                #expect(deletedWAL == 3, "WAL before the kept set's start goes")
                #expect(component.uncheckedWAL == nil)
                continue
            }
            #expect(deletedWAL == 0)
            let unchecked = try #require(component.uncheckedWAL)
            #expect(unchecked.objects == 5)
            #expect(unchecked.bytes == 5 * 16_777_216)
            #expect(abs(unchecked.monthlyCost - 5 * 16_777_216 / 1_073_741_824 * 0.023) < 0.0001)
            #expect(unchecked.reason.hasPrefix(reason), "\(unchecked.reason)")
            #expect(component.warnings.contains("\(unchecked.reason); 5 WAL objects, 80.0 MiB, $0.00 a month, are kept unchecked"), "\(component.warnings)")
            let json = try plan.jsonData()
            #expect(try Plan.jsonDecoder().decode(Plan.self, from: json) == plan)
            #expect(json == (try Plan.jsonEncoder(pretty: false).encode(plan)), "the fast writer and JSONEncoder agree")
        }
    }
}
