import Foundation
import Testing
import StrataTestSupport

/// Issue 7, PostgreSQL: a pgBackRest repository in the local RGW, with backups whose labels span
/// two and a half years (PostgreSQL under libfaketime), swept by `strata sweep --apply` with
/// policies/postgresql.yaml; then pgBackRest itself shows that everything the plan kept still
/// restores, and that the same checks fail once a set a kept set needs is deleted.
@Suite(.serialized, .blocking) struct PgBackRestRoundTripTests {
    /// One backup of the scenario: the primary's clock, the backup type, and the row written just
    /// before it (a set restored must give back exactly the rows written before it).
    struct Step {
        var clock: String
        var type: String
        var mark: String
    }

    /// Under policies/postgresql.yaml (last 3, within 30d, yearly 7; anchor newest) planned at
    /// 2025-06-01T03:00Z:
    /// - the 2023 full is kept only as the dependency of the yearly 2023 and 2024 diffs: an old
    ///   full that kept diffs need (the negative proof deletes it);
    /// - the 2025-03 full and its diff expire: nothing kept needs them (WAL of their range too);
    /// - the 2025-05 full, its diff (within 30d; the PITR target lies after it) and an incr on
    ///   that diff: last 3.
    static let steps = [
        Step(clock: "2023-02-01 02:00:00", type: "full", mark: "full-2023-02"),
        Step(clock: "2023-11-15 02:00:00", type: "diff", mark: "diff-2023-11"),
        Step(clock: "2024-12-20 02:00:00", type: "diff", mark: "diff-2024-12"),
        Step(clock: "2025-03-01 02:00:00", type: "full", mark: "full-2025-03"),
        Step(clock: "2025-04-01 02:00:00", type: "diff", mark: "diff-2025-04"),
        Step(clock: "2025-05-01 02:00:00", type: "full", mark: "full-2025-05"),
        Step(clock: "2025-05-20 02:00:00", type: "diff", mark: "diff-2025-05"),
        Step(clock: "2025-06-01 02:00:00", type: "incr", mark: "incr-2025-06"),
    ]
    static let now = "2025-06-01T03:00:00Z"

    @Test(.enabled(if: PostgresTools.shouldRun, "needs the local RGW (tools/s3-server) and PostgreSQL 15, pgBackRest, faketime (tools/setup)"),
          .timeLimit(.minutes(10)))
    func sweptRepositoryRestoresEveryKeptSet() throws {
        let tools = try PostgresTools.find().get()
        let servers = try TestServers.require()
        let cluster = try PgBackRestCluster(tools: tools, servers: servers,
                                            bucket: TestServers.uniqueBucketName("pgbackrest-roundtrip"))
        defer { cluster.destroy() }
        let started = Date()
        func elapsed() -> String { String(format: "%.0f s", Date().timeIntervalSince(started)) }

        // 1. Backups over two and a half years, with WAL archiving; one row before each.
        var labels: [String: String] = [:]          // mark -> label
        var rowsBefore: [String: [String]] = [:]    // label -> rows a restore of it gives back
        var written: [String] = []
        var pitrTarget = ""
        try cluster.startPrimary(at: Self.steps[0].clock)
        _ = try cluster.sql("create table marks (id serial primary key, name text not null)")
        try cluster.check(cluster.backupScript(["stanza-create"]), "tools/backup/postgresql stanza-create")
        try cluster.check(cluster.backupScript(["check-archive"]), "tools/backup/postgresql check-archive")
        for (i, step) in Self.steps.enumerated() {
            if i > 0 {
                try cluster.stopPrimary()
                try cluster.startPrimary(at: step.clock)
            }
            _ = try cluster.sql("insert into marks (name) values ('\(step.mark)')")
            written.append(step.mark)
            let output = try cluster.check(cluster.backupScript(["backup", step.type]), "tools/backup/postgresql backup \(step.type)")
            let label = output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            // pgBackRest takes the label from PostgreSQL's (faked) clock.
            let ownStamp = label.split(separator: "_").last ?? ""
            #expect(ownStamp.hasPrefix(step.clock.prefix(10).replacingOccurrences(of: "-", with: "") + "-020"),
                    "label \(label) of \(step.mark) taken at \(step.clock)")
            #expect(label.hasSuffix(["full": "F", "diff": "D", "incr": "I"][step.type]!), "label \(label) is a \(step.type)")
            labels[step.mark] = label
            rowsBefore[label] = written
            if step.mark == "diff-2025-05" {
                // A point in time between two commits, inside the 30-day window: PITR from this
                // diff must stop there, which needs the WAL archived after the set.
                _ = try cluster.sql("insert into marks (name) values ('pitr-before')")
                Thread.sleep(forTimeInterval: 1.1)
                pitrTarget = try cluster.sql("select clock_timestamp()")
                Thread.sleep(forTimeInterval: 1.1)
                _ = try cluster.sql("insert into marks (name) values ('pitr-after')")
                _ = try cluster.sql("select pg_switch_wal()")
                written += ["pitr-before", "pitr-after"]
            }
        }
        try cluster.stopPrimary()
        print("PgBackRestRoundTrip: \(Self.steps.count) backups taken (\(elapsed()))")

        // 2. Strata sweeps with the real policy; its plan (JSON) says what it kept.
        let sweep = try cluster.run([Self.strataBinary, "sweep", "--bucket", cluster.bucket,
                                     "--endpoint-url", servers.rgwEndpoint, "--component", "postgresql",
                                     "--now", Self.now, "--apply", "--json"]
                                    .withPolicies())
        try #require(sweep.status == 0, "strata sweep --apply: exit \(sweep.status): \(sweep.stderr)")
        let plan = try SweepPlan(json: sweep.stdout)
        let kept = plan.kept
        let label = { (mark: String) in labels[mark]! }
        #expect(kept == Set(["full-2023-02", "diff-2023-11", "diff-2024-12",
                             "full-2025-05", "diff-2025-05", "incr-2025-06"].map(label)))
        #expect(plan.expired == Set(["full-2025-03", "diff-2025-04"].map(label)))
        #expect(Set(plan.reasons[label("full-2023-02")] ?? []) == ["dependency of \(label("diff-2023-11"))", "dependency of \(label("diff-2024-12"))"],
                "the 2023 full is kept only because the yearly 2023 and 2024 diffs need it")
        #expect(plan.reasons[label("diff-2024-12")] == ["yearly 2024"])
        #expect(plan.deletedKeys.contains { $0.hasPrefix("postgresql/archive/mind/") }, "the sweep deletes WAL no kept set needs")
        #expect(plan.deletedKeys.allSatisfy { key in !kept.contains { key.hasPrefix("postgresql/backup/mind/\($0)/") } })
        // The yearly chains (over 45 days old) go to GLACIER_IR (objects of 128 KiB and more), so
        // the restores below read objects in that class; manifests stay in STANDARD.
        #expect(plan.transitions.contains { $0.key.hasPrefix("postgresql/backup/mind/\(label("full-2023-02"))/") && $0.value == "GLACIER_IR" })
        #expect(!plan.transitions.keys.contains { $0.hasSuffix("/backup.manifest") || $0.hasSuffix("/backup.manifest.copy") })
        print("PgBackRestRoundTrip: swept, \(plan.deletedKeys.count) objects deleted (\(elapsed()))")

        // 3. After the sweep backup.info still lists the deleted sets; sync-info drops them.
        #expect(try infoProblems(cluster, kept: kept).contains { $0.contains("lists sets the plan expired") })
        try cluster.check(cluster.backupScript(["sync-info"]), "tools/backup/postgresql sync-info")
        let consistent = try infoProblems(cluster, kept: kept)
        #expect(consistent.isEmpty, "pgbackrest info after sync-info: \(consistent)")

        // 4. Every kept set restores (pgBackRest's restore, then PostgreSQL's recovery) and gives
        // back exactly the rows written before it.
        // Two at a time (restores wait on S3 round trips more than on the CPU).
        let sets = kept.sorted()
        let results = Locked([String: Result<[String], Error>]())
        DispatchQueue.concurrentPerform(iterations: 2) { slot in
            for (i, set) in sets.enumerated() where i % 2 == slot {
                let result = Result { try cluster.restoreAndReadMarks(label: set, target: .immediate, slot: slot) }
                results.withLock { $0[set] = result }
            }
        }
        for set in sets {
            switch results.withLock({ $0[set] }) {
            case .success(let rows): #expect(rows == rowsBefore[set], "rows restored from \(set)")
            case .failure(let error): Issue.record("restore of kept set \(set): \(error)")
            case nil: Issue.record("restore of kept set \(set) did not run")
            }
        }
        print("PgBackRestRoundTrip: \(kept.count) kept sets restored (\(elapsed()))")

        // 5. Point-in-time recovery inside the 30-day window reaches its target.
        let window = ISO8601DateFormatter().date(from: Self.now)!.addingTimeInterval(-30 * 86_400)
        #expect(pitrTarget.hasPrefix("2025-05-20"), "target \(pitrTarget) is after \(window)")
        let pitrRows = try cluster.restoreAndReadMarks(label: label("diff-2025-05"), target: .time(pitrTarget))
        #expect(pitrRows == rowsBefore[label("diff-2025-05")]! + ["pitr-before"], "PITR to \(pitrTarget)")
        print("PgBackRestRoundTrip: PITR to \(pitrTarget) (\(elapsed()))")

        // 6. The checks have teeth: delete, straight from S3, the full that the kept yearly 2024
        // diff depends on. Restoring that diff must now fail, and so must info's consistency.
        let victim = label("full-2023-02"), dependent = label("diff-2024-12")
        let deleted = try cluster.check(cluster.s3(["delete-prefix", cluster.bucket, "postgresql/backup/mind/\(victim)/"]), "delete \(victim)")
        #expect(Int(deleted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 0)
        #expect(throws: ClusterError.self, "restoring \(dependent) without its full") {
            _ = try cluster.restoreAndReadMarks(label: dependent, target: .immediate)
        }
        try cluster.check(cluster.backupScript(["sync-info"]), "tools/backup/postgresql sync-info")
        let broken = try infoProblems(cluster, kept: kept)
        #expect(broken.contains { $0.contains(victim) }, "info must show the kept set \(victim) is gone: \(broken)")
        // 7. The secret key went through the environment only: no configuration file or log of
        // pgBackRest or PostgreSQL (pgBackRest logs every command's options) holds it.
        let files = FileManager.default.enumerator(at: cluster.root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { ["log", "conf"].contains($0.pathExtension) } ?? []
        #expect(files.count >= 5)
        for file in files {
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            #expect(!text.contains(servers.secretKey), "\(file.path) holds the secret key")
        }
        print("PgBackRestRoundTrip: done (\(elapsed()))")
    }

    /// Where `pgbackrest info` disagrees with the plan: a listed set the plan expired, a kept set
    /// not listed, a listed set without its manifest in the bucket, a set referencing one that is
    /// not listed, or a stanza status other than ok.
    func infoProblems(_ cluster: PgBackRestCluster, kept: Set<String>) throws -> [String] {
        let output = try cluster.check(cluster.backupScript(["info", "--json"]), "tools/backup/postgresql info --json")
        guard let stanzas = try JSONSerialization.jsonObject(with: output.stdout) as? [[String: Any]],
              let stanza = stanzas.first(where: { $0["name"] as? String == "mind" }) else {
            return ["pgbackrest info --output=json has no stanza mind: \(output.stdoutText.prefix(500))"]
        }
        var problems: [String] = []
        let status = stanza["status"] as? [String: Any]
        if status?["code"] as? Int != 0 { problems.append("stanza status is not ok: \(status ?? [:])") }
        let backups = stanza["backup"] as? [[String: Any]] ?? []
        let listed = Set(backups.compactMap { $0["label"] as? String })
        let extra = listed.subtracting(kept), missing = kept.subtracting(listed)
        if !extra.isEmpty { problems.append("info lists sets the plan expired: \(extra.sorted())") }
        if !missing.isEmpty { problems.append("info does not list sets the plan kept: \(missing.sorted())") }
        let manifests = Set(try cluster.keys(under: "postgresql/backup/mind/").filter { $0.hasSuffix("/backup.manifest") })
        for backup in backups {
            let set = backup["label"] as? String ?? "?"
            if !manifests.contains("postgresql/backup/mind/\(set)/backup.manifest") {
                problems.append("info lists \(set), whose manifest is not in the bucket")
            }
            for reference in backup["reference"] as? [String] ?? [] where !listed.contains(reference) {
                problems.append("\(set) references \(reference), which info does not list")
            }
        }
        return problems
    }

    static var strataBinary: String {
        ProcessInfo.processInfo.environment["STRATA_BIN"]
            ?? RepositoryPaths.root.appendingPathComponent(".build/debug/strata").path
    }
}

/// The parts of `strata sweep --json` (docs/policies.md, "The plan", schemaVersion 1) the test reads.
struct SweepPlan {
    var kept: Set<String> = []
    var expired: Set<String> = []
    var reasons: [String: [String]] = [:]
    var deletedKeys: [String] = []
    /// Keys the plan moves to another storage class, with the class.
    var transitions: [String: String] = [:]

    init(json: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: json) as? [String: Any],
              root["schemaVersion"] as? Int == 1,
              let components = root["components"] as? [[String: Any]],
              let component = components.first(where: { $0["component"] as? String == "postgresql" }),
              let sets = component["sets"] as? [[String: Any]] else {
            throw ClusterError("strata sweep --json: not a schemaVersion 1 plan with component postgresql: \(String(decoding: json.prefix(500), as: UTF8.self))")
        }
        for set in sets {
            guard let id = set["id"] as? String, let decision = set["decision"] as? String else { continue }
            if decision == "keep" { kept.insert(id) } else { expired.insert(id) }
            reasons[id] = (set["reasons"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        }
        for action in root["actions"] as? [[String: Any]] ?? [] {
            guard let key = action["key"] as? String else { continue }
            switch action["type"] as? String {
            case "delete": deletedKeys.append(key)
            case "transition": transitions[key] = action["to"] as? String
            default: break
            }
        }
    }
}

private extension Array where Element == String {
    /// `strata` with the repository's policies (STRATA_POLICIES would do too; a flag is explicit).
    func withPolicies() -> [String] {
        self + ["--policies", RepositoryPaths.root.appendingPathComponent("policies").path]
    }
}

/// A value shared between the threads of `DispatchQueue.concurrentPerform`.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
