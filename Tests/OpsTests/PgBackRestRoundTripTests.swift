import Foundation
import Testing
import StrataTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Issues 7 and 17, PostgreSQL: a pgBackRest repository in the local RGW, plain or encrypted
/// (`repo1-cipher-type=aes-256-cbc`, as the runbook's), with backups whose labels span two and a
/// half years (PostgreSQL under libfaketime), swept by `strata sweep --apply` with
/// policies/postgresql.yaml; then pgBackRest itself shows that everything the plan kept still
/// restores, the bucket's WAL is exactly what the kept sets and the PITR window need, and the
/// same checks fail once a set a kept set needs is deleted. The encrypted repository is first
/// swept without its passphrase, which must keep every WAL object and say so.
@Suite(.serialized, .blocking) struct PgBackRestRoundTripTests {
    /// One backup of the scenario: the primary's clock, the backup type, and the row written just
    /// before it (a set restored must give back exactly the rows written before it).
    struct Step {
        var clock: String
        var type: String
        var mark: String
    }

    /// The two kinds of repository the round trip runs on.
    enum Repository: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// No encryption.
        case plain
        /// `repo1-cipher-type=aes-256-cbc` with a random passphrase, given to pgBackRest and
        /// PostgreSQL in `PGBACKREST_REPO1_CIPHER_PASS` and to strata by the policy's `cipher_pass`.
        case encrypted

        var testDescription: String { rawValue }
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
    /// policies/postgresql.yaml's continuous rules: `keep_last` and `keep_within` (in days).
    static let keepLast = 3, keepWithinDays = 30
    static let archivePrefix = "postgresql/archive/mind/"

    @Test(.enabled(if: PostgresTools.shouldRun, "needs the local RGW (tools/s3-server) and PostgreSQL 15, pgBackRest, faketime (tools/setup)"),
          // Only a bound on a hang: the limit runs while the case waits for a slot among the
          // suite's blocking tests, which took the plain case past 10 minutes (its own work:
          // 2 minutes) once the suite grew (issue 18).
          .timeLimit(.minutes(30)), arguments: Repository.allCases)
    func sweptRepositoryRestoresEveryKeptSet(_ repository: Repository) throws {
        let tools = try PostgresTools.find().get()
        let servers = try TestServers.require()
        let cipherPass = repository == .encrypted ? PgBackRestCluster.randomCipherPass() : nil
        let cluster = try PgBackRestCluster(tools: tools, servers: servers,
                                            bucket: TestServers.uniqueBucketName("pgbackrest-\(repository.rawValue)"),
                                            cipherPass: cipherPass)
        defer { cluster.destroy() }
        let started = Date()
        let name = "PgBackRestRoundTrip[\(repository.rawValue)]"
        func elapsed() -> String { String(format: "%.0f s", Date().timeIntervalSince(started)) }
        // Everything strata printed, for the secret check at the end.
        var strataOutput = Data()
        func strata(_ arguments: [String], policies: URL) throws -> CommandOutput {
            let output = try cluster.run([Self.strataBinary] + arguments
                                         + ["--bucket", cluster.bucket, "--endpoint-url", servers.rgwEndpoint, "--component", "postgresql",
                                            "--now", Self.now, "--policies", policies.path])
            strataOutput.append(output.stdout)
            strataOutput.append(Data(output.stderr.utf8))
            return output
        }

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
        print("\(name): \(Self.steps.count) backups taken (\(elapsed()))")
        let label = { (mark: String) in labels[mark]! }

        // The repository is what the variant says: backup.info and WAL begin with OpenSSL's
        // salted header when encrypted, and are pgBackRest's text and gzip otherwise.
        let walBefore = try Self.wal(cluster.objects(under: Self.archivePrefix))
        let salted = Data("Salted__".utf8)
        let segment = try #require(walBefore.first { $0.isSegment }, "no WAL segment in the repository")
        let infoHead = try cluster.head("postgresql/backup/mind/backup.info", 8)
        let segmentHead = try cluster.head(segment.key, 8)
        switch repository {
        case .plain:
            #expect(infoHead == Data("[backres".utf8), "backup.info begins \(infoHead.map { String(format: "%02x", $0) })")
            #expect(segmentHead.prefix(2) == Data([0x1f, 0x8b]), "\(segment.key) is gzip")
        case .encrypted:
            #expect(infoHead == salted, "backup.info is encrypted")
            #expect(segmentHead == salted, "\(segment.key) is encrypted")
        }
        print("\(name): WAL before the sweep: \(Self.summary(walBefore))")

        // 2. Encrypted, without the passphrase (the policy's cipher_pass file is missing): the
        // plan deletes no WAL and says how much it keeps unchecked, in the JSON plan (uncheckedWAL
        // and a warning), the text plan (a WARNING line, as the sweep job's log shows it) and the
        // metrics, while the log (stderr) names the file it looked for; nothing changes.
        var deletedWithoutPass: Set<String> = []
        if repository == .encrypted {
            let policies = try cluster.policies("policies-without-pass",
                                                cipherPassFile: cluster.root.appendingPathComponent("no-such-cipher-pass").path)
            let metrics = cluster.root.appendingPathComponent("tmp/without-pass.prom").path
            let bucketBefore = try cluster.keys(under: "postgresql/")
            let dryRun = try strata(["sweep", "--json", "--metrics-textfile", metrics], policies: policies)
            try #require(dryRun.status == 0, "strata sweep without the passphrase: exit \(dryRun.status): \(dryRun.stderr)")
            let dryPlan = try SweepPlan(json: dryRun.stdout)
            let walDeleted = dryPlan.deletedKeys.filter { $0.hasPrefix(Self.archivePrefix) }
            #expect(walDeleted.isEmpty, "without the passphrase the plan deletes WAL: \(walDeleted.prefix(5))")
            let unchecked = try #require(dryPlan.uncheckedWAL, "the plan without the passphrase reports no uncheckedWAL")
            let walBytes = walBefore.reduce(0) { $0 + $1.size }
            #expect(unchecked.objects > 0 && unchecked.objects <= walBefore.count, "uncheckedWAL \(unchecked), WAL \(Self.summary(walBefore))")
            #expect(unchecked.bytes > 0 && unchecked.bytes <= walBytes, "uncheckedWAL \(unchecked), WAL \(Self.summary(walBefore))")
            #expect(!unchecked.reason.isEmpty && unchecked.monthlyCost >= 0, "uncheckedWAL \(unchecked)")
            let said = "\(unchecked.objects) WAL objects"
            #expect(dryPlan.warnings.contains { $0.contains("all WAL kept") && $0.contains(said) }, "warnings: \(dryPlan.warnings)")
            #expect(dryRun.stderr.contains("no-such-cipher-pass") && dryRun.stderr.contains("WAL is all kept"),
                    "the log names the missing passphrase file: \(dryRun.stderr.suffix(1_500))")
            let text = try strata(["sweep"], policies: policies)
            #expect(text.status == 0, "strata sweep (text) without the passphrase: exit \(text.status): \(text.stderr)")
            let line = text.stdoutText.split(separator: "\n").first { $0.contains("WARNING: all WAL kept") }
            #expect(line?.contains(said) == true, "the text plan says all WAL is kept, with the count: \(text.stdoutText.suffix(2_000))")
            let samples = try Self.metrics(metrics)
            #expect(samples["strata_pgbackrest_wal_unchecked_objects"] == Double(unchecked.objects), "\(samples)")
            #expect(samples["strata_pgbackrest_wal_unchecked_bytes"] == Double(unchecked.bytes), "\(samples)")
            #expect(try cluster.keys(under: "postgresql/") == bucketBefore, "a sweep without --apply changed the bucket")
            deletedWithoutPass = Set(dryPlan.deletedKeys)
            print("\(name): without the passphrase: uncheckedWAL \(unchecked.objects) objects, \(unchecked.bytes) bytes, "
                  + "$\(unchecked.monthlyCost)/month (\(unchecked.reason)); \(dryPlan.deletedKeys.count) objects would go (\(elapsed()))")
        }

        // 3. Strata sweeps with the real policy (encrypted: a copy whose cipher_pass names a 0600
        // file holding the passphrase); its plan (JSON) says what it kept.
        let policies: URL
        if let cipherPass {
            let file = try cluster.writePrivateFile("cipher-pass", cipherPass)
            policies = try cluster.policies("policies-with-pass", cipherPassFile: file)
        } else {
            policies = RepositoryPaths.root.appendingPathComponent("policies")
        }
        let sweepMetrics = cluster.root.appendingPathComponent("tmp/sweep.prom").path
        let sweep = try strata(["sweep", "--apply", "--json", "--metrics-textfile", sweepMetrics], policies: policies)
        try #require(sweep.status == 0, "strata sweep --apply: exit \(sweep.status): \(sweep.stderr)")
        let plan = try SweepPlan(json: sweep.stdout)
        if repository == .encrypted {
            // The passphrase file was opened: the log does not say it is missing or wrong.
            #expect(!sweep.stderr.contains("no cipher passphrase") && !sweep.stderr.contains("does not decrypt"), "\(sweep.stderr.suffix(1_500))")
        }
        let kept = plan.kept
        #expect(kept == Set(["full-2023-02", "diff-2023-11", "diff-2024-12",
                             "full-2025-05", "diff-2025-05", "incr-2025-06"].map(label)))
        #expect(plan.expired == Set(["full-2025-03", "diff-2025-04"].map(label)))
        #expect(Set(plan.reasons[label("full-2023-02")] ?? []) == ["dependency of \(label("diff-2023-11"))", "dependency of \(label("diff-2024-12"))"],
                "the 2023 full is kept only because the yearly 2023 and 2024 diffs need it")
        #expect(plan.reasons[label("diff-2024-12")] == ["yearly 2024"])
        #expect(plan.deletedKeys.contains { $0.hasPrefix(Self.archivePrefix) }, "the sweep deletes WAL no kept set needs")
        #expect(plan.deletedKeys.allSatisfy { key in !kept.contains { key.hasPrefix("postgresql/backup/mind/\($0)/") } })
        // The yearly chains (over 45 days old) go to GLACIER_IR (objects of 128 KiB and more), so
        // the restores below read objects in that class; manifests stay in STANDARD.
        #expect(plan.transitions.contains { $0.key.hasPrefix("postgresql/backup/mind/\(label("full-2023-02"))/") && $0.value == "GLACIER_IR" })
        #expect(!plan.transitions.keys.contains { $0.hasSuffix("/backup.manifest") || $0.hasSuffix("/backup.manifest.copy") })
        // Every range is known: nothing is kept unchecked, and the metrics say 0.
        #expect((plan.uncheckedWAL?.objects ?? 0) == 0, "uncheckedWAL \(String(describing: plan.uncheckedWAL))")
        #expect(!plan.warnings.contains { $0.contains("all WAL kept") }, "warnings: \(plan.warnings)")
        // Plain: the shipped policy's cipher_pass file (/etc/pgbackrest/cipher-pass) is not here,
        // and a repository that is not encrypted has no use for it: nothing may say WAL is kept.
        #expect(!sweep.stderr.contains("WAL is all kept"),
                "the log says all WAL is kept while the plan checked every range: \(sweep.stderr.suffix(1_500))")
        let sweepSamples = try Self.metrics(sweepMetrics)
        #expect(sweepSamples["strata_pgbackrest_wal_unchecked_objects"] == 0, "\(sweepSamples)")
        #expect(sweepSamples["strata_pgbackrest_wal_unchecked_bytes"] == 0, "\(sweepSamples)")
        if repository == .encrypted {
            // Without the passphrase strata may only ever delete less.
            let more = deletedWithoutPass.subtracting(plan.deletedKeys)
            #expect(more.isEmpty, "without the passphrase the plan deletes what the plan with it keeps: \(more.sorted().prefix(5))")
        }
        let walAfter = try Self.wal(cluster.objects(under: Self.archivePrefix))
        print("\(name): swept, \(plan.deletedKeys.count) objects deleted (\(elapsed()))")
        print("\(name): WAL after the sweep: \(Self.summary(walAfter)) (before: \(Self.summary(walBefore)))")

        // 4. After the sweep backup.info still lists the deleted sets; sync-info drops them.
        #expect(try infoProblems(cluster, kept: kept).contains { $0.contains("lists sets the plan expired") })
        try cluster.check(cluster.backupScript(["sync-info"]), "tools/backup/postgresql sync-info")
        let consistent = try infoProblems(cluster, kept: kept)
        #expect(consistent.isEmpty, "pgbackrest info after sync-info: \(consistent)")

        // 5. The WAL left is what the kept sets need, by pgBackRest's own account of their archive
        // ranges: everything from the archive start of the oldest set the continuous rules keep
        // (last 3, within 30d: PITR to any time since), and each older kept set's start...stop.
        // Every other WAL object is gone; every segment of a kept range is there.
        let ranges = try Self.archiveRanges(cluster)
        #expect(Set(ranges.keys) == kept, "pgbackrest info's sets \(ranges.keys.sorted())")
        let windowStart = ISO8601DateFormatter().date(from: Self.now)!.addingTimeInterval(Double(-Self.keepWithinDays * 86_400))
        let clock = DateFormatter()
        clock.locale = Locale(identifier: "en_US_POSIX")
        clock.timeZone = TimeZone(identifier: "UTC")
        clock.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let continuous = Self.steps.enumerated().filter { i, step in
            i >= Self.steps.count - Self.keepLast || clock.date(from: step.clock)! >= windowStart
        }.map { label($0.element.mark) }
        let oldestStart = continuous.compactMap { ranges[$0]?.lowerBound }.min()
        let neededFrom = try #require(oldestStart, "no archive range for \(continuous)")
        let needed = { (position: UInt64) in position >= neededFrom || ranges.values.contains { $0.contains(position) } }
        #expect(walBefore.contains { !needed($0.position) }, "the scenario has WAL that no kept set needs")
        let stray = walAfter.filter { !needed($0.position) }
        #expect(stray.isEmpty, "WAL no kept set needs is still there: \(stray.count), e.g. \(stray.prefix(5).map(\.key))")
        let afterKeys = Set(walAfter.map(\.key))
        let lost = walBefore.filter { needed($0.position) && !afterKeys.contains($0.key) }
        #expect(lost.isEmpty, "WAL a kept set or the PITR window needs was deleted: \(lost.count), e.g. \(lost.prefix(5).map(\.key))")
        let segments = Set(walAfter.filter(\.isSegment).map(\.position))
        for (set, range) in ranges.sorted(by: { $0.key < $1.key }) {
            let missing = range.filter { !segments.contains($0) }
            #expect(missing.isEmpty, "\(set): segments \(missing.prefix(5).map(Self.segmentName)) of its range are missing")
        }
        // pgBackRest's expire (sync-info) finds nothing more to remove.
        #expect(try Self.wal(cluster.objects(under: Self.archivePrefix)).map(\.key) == walAfter.map(\.key))
        print("\(name): WAL checked: kept from \(Self.segmentName(neededFrom)) on and \(ranges.count) kept ranges (\(elapsed()))")

        // 6. Every kept set restores (pgBackRest's restore, then PostgreSQL's recovery) and gives
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
        print("\(name): \(kept.count) kept sets restored (\(elapsed()))")

        // 7. Point-in-time recovery inside the 30-day window reaches its target.
        #expect(pitrTarget.hasPrefix("2025-05-20"), "target \(pitrTarget) is after \(windowStart)")
        let pitrRows = try cluster.restoreAndReadMarks(label: label("diff-2025-05"), target: .time(pitrTarget))
        #expect(pitrRows == rowsBefore[label("diff-2025-05")]! + ["pitr-before"], "PITR to \(pitrTarget)")
        print("\(name): PITR to \(pitrTarget) (\(elapsed()))")

        // 8. The checks have teeth: delete, straight from S3, the full that the kept yearly 2024
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

        // 9. The secrets went through the environment (and strata's through its policy's file)
        // only. No configuration file or log of pgBackRest or PostgreSQL (pgBackRest logs every
        // command's options) holds the S3 secret key.
        let files = FileManager.default.enumerator(at: cluster.root, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }.filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
        let configsAndLogs = files.filter { ["log", "conf"].contains($0.pathExtension) }
        #expect(configsAndLogs.count >= 5)
        for file in configsAndLogs {
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            #expect(!text.contains(servers.secretKey), "\(file.path) holds the secret key")
        }
        if let cipherPass {
            // The cipher passphrase is in no file under the cluster's directory but the one strata
            // reads (configurations, logs, the data directory, metrics, policies), in nothing strata
            // printed, and in no object strata wrote (.strata/: lease, journal).
            let secret = Data(cipherPass.utf8)
            let passFile = cluster.root.appendingPathComponent("cipher-pass").standardizedFileURL.path
            #expect(files.count >= 20)
            let config = try String(contentsOf: cluster.config, encoding: .utf8)
            #expect(config.contains("repo1-cipher-type=aes-256-cbc\n") && !config.contains("cipher-pass"), "\(config)")
            var holders: [String] = []
            for file in files where file.standardizedFileURL.path != passFile {
                if let data = try? Data(contentsOf: file, options: .alwaysMapped), Self.contains(data, secret) { holders.append(file.path) }
            }
            #expect(holders.isEmpty, "files holding the cipher passphrase: \(holders)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: passFile)) == secret)
            #expect(!strataOutput.isEmpty && !Self.contains(strataOutput, secret), "strata printed the cipher passphrase")
            let written = try cluster.bodies(under: ".strata/")
            #expect(!written.isEmpty && !Self.contains(written, secret), "an object under .strata/ holds the cipher passphrase")
        }
        print("\(name): done (\(elapsed()))")
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

    /// Each set `pgbackrest info --output=json` lists, with its WAL range
    /// (`archive.start...archive.stop`) as segment positions.
    static func archiveRanges(_ cluster: PgBackRestCluster) throws -> [String: ClosedRange<UInt64>] {
        let output = try cluster.check(cluster.backupScript(["info", "--json"]), "tools/backup/postgresql info --json")
        guard let stanzas = try JSONSerialization.jsonObject(with: output.stdout) as? [[String: Any]],
              let stanza = stanzas.first(where: { $0["name"] as? String == "mind" }) else {
            throw ClusterError("pgbackrest info --output=json has no stanza mind: \(output.stdoutText.prefix(500))")
        }
        var ranges: [String: ClosedRange<UInt64>] = [:]
        for backup in stanza["backup"] as? [[String: Any]] ?? [] {
            let set = backup["label"] as? String ?? "?"
            let archive = backup["archive"] as? [String: Any]
            guard let start = (archive?["start"] as? String).flatMap({ WALObject.position(of: Substring($0)) }),
                  let stop = (archive?["stop"] as? String).flatMap({ WALObject.position(of: Substring($0)) }), start <= stop else {
                throw ClusterError("pgbackrest info: \(set) has no archive range: \(archive ?? [:])")
            }
            ranges[set] = start...stop
        }
        return ranges
    }

    /// The WAL objects among `objects` (other keys under the archive prefix, such as
    /// archive.info, are left out).
    static func wal(_ objects: [PgBackRestCluster.Object]) -> [WALObject] {
        objects.compactMap(WALObject.init)
    }

    /// "N objects (S segments), B bytes (M MiB)".
    static func summary(_ wal: [WALObject]) -> String {
        let bytes = wal.reduce(Int64(0)) { $0 + $1.size }
        return String(format: "%d objects (%d segments), %lld bytes (%.1f MiB)",
                      wal.count, wal.filter(\.isSegment).count, bytes, Double(bytes) / 1_048_576)
    }

    /// The segment name (timeline 1) of a position, as pgBackRest prints it.
    static func segmentName(_ position: UInt64) -> String {
        String(format: "00000001%08llX%08llX", position / WALObject.segmentsPerLog, position % WALObject.segmentsPerLog)
    }

    /// The samples of component postgresql in a metrics textfile, by metric name.
    static func metrics(_ path: String) throws -> [String: Double] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var samples: [String: Double] = [:]
        for sample in AlertRuleTests.samples(text) where sample.labels["component"] == "postgresql" {
            samples[sample.name] = sample.value
        }
        return samples
    }

    /// Whether `needle` occurs in `haystack` (memchr and memcmp: the files searched are up to
    /// 16 MiB, and WAL segments are mostly zeros).
    static func contains(_ haystack: Data, _ needle: Data) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                guard let base = hay.baseAddress, let wanted = pin.baseAddress else { return false }
                let last = hay.count - pin.count
                var offset = 0
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(pin[0]), last - offset + 1) else { return false }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, wanted, pin.count) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
        }
    }

    static var strataBinary: String {
        ProcessInfo.processInfo.environment["STRATA_BIN"]
            ?? RepositoryPaths.root.appendingPathComponent(".build/debug/strata").path
    }
}

/// A WAL object of the repository: a segment (`<24 hex>-<sha1>[.gz]`) or a backup history file
/// (`<24 hex>.<8 hex>.backup`), at the position of its segment.
struct WALObject: Equatable {
    /// Segments per log file number (16 MiB segments, PostgreSQL's default).
    static let segmentsPerLog: UInt64 = 0x100
    var key: String
    var size: Int64
    /// The segment's position in the WAL (log * 256 + segment), timeline aside.
    var position: UInt64
    /// A segment, not a backup history file.
    var isSegment: Bool

    /// The WAL object `object` is, or nil (archive.info, timeline history files).
    init?(_ object: PgBackRestCluster.Object) {
        let name = object.key.split(separator: "/").last ?? ""
        guard let position = Self.position(of: name.prefix(24)) else { return nil }
        let rest = name.dropFirst(24)
        if rest.wholeMatch(of: /-[0-9a-f]{40}(\.[a-z0-9]+)?/) != nil {
            isSegment = true
        } else if rest.wholeMatch(of: /\.[0-9A-F]{8}\.backup(\.[a-z0-9]+)?/) != nil {
            isSegment = false
        } else {
            return nil
        }
        self.key = object.key
        self.size = object.size
        self.position = position
    }

    /// The position of a 24-hex-digit segment name (timeline, log, segment), or nil.
    static func position(of name: Substring) -> UInt64? {
        guard name.count == 24, name.allSatisfy(\.isHexDigit),
              let log = UInt64(name.dropFirst(8).prefix(8), radix: 16),
              let segment = UInt64(name.suffix(8), radix: 16), segment < segmentsPerLog else { return nil }
        return log * segmentsPerLog + segment
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
    /// The component's `uncheckedWAL`: WAL kept only because the sweep cannot tell which of it
    /// the kept sets need (an encrypted repository without its passphrase, an unknown range).
    var uncheckedWAL: UncheckedWAL?
    /// The component's warnings (`warnings`: what an operator should know that does not stop it).
    var warnings: [String] = []

    struct UncheckedWAL: CustomStringConvertible {
        var objects: Int
        var bytes: Int64
        var monthlyCost: Double
        var reason: String
        var description: String { "\(objects) objects, \(bytes) bytes, $\(monthlyCost)/month: \(reason)" }
    }

    init(json: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: json) as? [String: Any],
              root["schemaVersion"] as? Int == 1,
              let components = root["components"] as? [[String: Any]],
              let component = components.first(where: { $0["component"] as? String == "postgresql" }),
              let sets = component["sets"] as? [[String: Any]] else {
            throw ClusterError("strata sweep --json: not a schemaVersion 1 plan with component postgresql: \(String(decoding: json.prefix(500), as: UTF8.self))")
        }
        warnings = component["warnings"] as? [String] ?? []
        if let unchecked = component["uncheckedWAL"] as? [String: Any] {
            guard let objects = (unchecked["objects"] as? NSNumber)?.intValue, let bytes = (unchecked["bytes"] as? NSNumber)?.int64Value else {
                throw ClusterError("strata sweep --json: uncheckedWAL without objects and bytes: \(unchecked)")
            }
            uncheckedWAL = UncheckedWAL(objects: objects, bytes: bytes, monthlyCost: (unchecked["monthlyCost"] as? NSNumber)?.doubleValue ?? -1,
                                        reason: unchecked["reason"] as? String ?? "")
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

/// A value shared between the threads of `DispatchQueue.concurrentPerform`.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
