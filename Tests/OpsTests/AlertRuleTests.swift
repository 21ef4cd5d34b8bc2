import Foundation
import StrataTestSupport
import Testing
import Yams

/// docs/deploy/backup-alerts.yaml: promtool accepts the rules and their unit tests pass; a wrong
/// expectation or a broken rule makes them fail; every series the rules read is one that strata or
/// tools/backup emits; and the rules fire on what `strata metrics` really writes.
@Suite(.enabled(if: OpsTools.available("promtool"), "promtool is not installed (Debian package prometheus)"), .blocking)
struct AlertRuleTests {
    static let deploy = RepositoryPaths.root.appendingPathComponent("docs/deploy")
    static let rules = deploy.appendingPathComponent("backup-alerts.yaml")
    static let tests = deploy.appendingPathComponent("backup-alerts.test.yaml")

    static func promtool(_ arguments: [String]) throws -> ProcessRunner.Output {
        try ProcessRunner().run([try OpsTools.require("promtool")] + arguments)
    }

    /// Every rule: (alert name, expression).
    static func ruleList() throws -> [(alert: String, expr: String)] {
        let text = try String(contentsOf: rules, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw OpsError("\(rules.path) is not a mapping") }
        let groups = root["groups"] as? [[String: Any]] ?? []
        return groups.flatMap { ($0["rules"] as? [[String: Any]] ?? []).map { ($0["alert"] as? String ?? "", $0["expr"] as? String ?? "") } }
    }

    @Test func rulesAreValidAndTheirUnitTestsPass() throws {
        let check = try Self.promtool(["check", "rules", Self.rules.path])
        #expect(check.status == 0, "\(check.stdoutText)\(check.stderr)")
        #expect(check.stdoutText.contains("SUCCESS: 16 rules found"), "\(check.stdoutText)")
        let test = try Self.promtool(["test", "rules", Self.tests.path])
        #expect(test.status == 0, "\(test.stdoutText)\(test.stderr)")
        #expect(test.stdoutText.contains("SUCCESS"))
    }

    @Test func theRunbooksAlertsAreThereWithTheRunbooksExpressions() throws {
        let rules = Dictionary(try Self.ruleList().map { ($0.alert, $0.expr) }) { first, _ in first }
        #expect(rules["BackupFailed"]?.contains("backup_last_success_timestamp_seconds < time() - 86400") == true)
        #expect(rules["BackupSizeAnomaly"]?.contains("abs(backup_size_bytes - backup_size_bytes offset 1d)") == true)
        for alert in ["StrataSweepFailed", "StrataSweepBlocked", "StrataComponentStale", "BackupRetrieveFailed", "PgBackRestInfoSyncFailed",
                      "StrataDeleteMarkerIncident", "StrataKeptBackupsHidden", "StrataFutureDatedSets", "StrataWALUnchecked"] {
            #expect(rules[alert] != nil, "\(alert)")
        }
        // Issue 17: WAL a pgBackRest sweep keeps unchecked (an encrypted repository without its
        // passphrase), past 50 GiB.
        #expect(rules["StrataWALUnchecked"]?.contains("strata_pgbackrest_wal_unchecked_bytes > 50 * 2^30") == true)
        // Every alert has a unit test that expects it to fire.
        let tests = try String(contentsOf: Self.tests, encoding: .utf8)
        for alert in rules.keys {
            #expect(tests.contains("alertname: \(alert)\n        exp_alerts:\n          - exp_labels"), "\(alert) is never expected to fire")
        }
    }

    /// Wrong expectations (or a broken rule) must make promtool fail: the tests are not vacuous.
    @Test(arguments: [
        ("expects the wrong component", "test", "              component: vault\n              job: strata\n            exp_annotations:\n              summary: \"Backup has not succeeded",
         "              component: qdrant\n              job: strata\n            exp_annotations:\n              summary: \"Backup has not succeeded", "BackupFailed"),
        ("expects firing while still pending", "test", "      - eval_time: 26h30m\n        alertname: BackupFailed",
         "      - eval_time: 25h30m\n        alertname: BackupFailed", "BackupFailed"),
        ("expects the wrong annotation", "test", "summary: \"A guard blocks deletions for vault\"",
         "summary: \"A guard blocks deletions for nats\"", "StrataSweepBlocked"),
        ("a rule with a looser threshold", "rules", "/ backup_size_bytes offset 1d > 0.5", "/ backup_size_bytes offset 1d > 0.05", "BackupSizeAnomaly"),
        ("a rule that forgets the guard", "rules", "strata_sweep_success == 0\n          unless on()", "strata_sweep_success == 0\n          and on()", "StrataSweepFailed"),
        ("a rule with a lower threshold", "rules", "strata_pgbackrest_wal_unchecked_bytes > 50 * 2^30",
         "strata_pgbackrest_wal_unchecked_bytes > 5 * 2^30", "StrataWALUnchecked"),
        ("a rule that waits too little", "rules", "> 50 * 2^30\n        for: 6h", "> 50 * 2^30\n        for: 1h", "StrataWALUnchecked"),
    ])
    func aWrongExpectationFails(_ name: String, _ file: String, _ find: String, _ replace: String, _ alert: String) throws {
        let dir = try TempDir("promtool")
        defer { dir.remove() }
        var rules = try String(contentsOf: Self.rules, encoding: .utf8)
        var tests = try String(contentsOf: Self.tests, encoding: .utf8)
        if file == "rules" {
            #expect(rules.contains(find), "\(name): the mutation must apply")
            rules = rules.replacingOccurrences(of: find, with: replace)
        } else {
            #expect(tests.contains(find), "\(name): the mutation must apply")
            tests = tests.replacingOccurrences(of: find, with: replace)
        }
        _ = try dir.write("backup-alerts.yaml", rules)
        let testFile = try dir.write("backup-alerts.test.yaml", tests)
        let output = try Self.promtool(["test", "rules", testFile])
        #expect(output.status != 0, "\(name): promtool passed")
        #expect(output.stdoutText.contains("FAILED") || output.stderr.contains("FAILED"), "\(output.stdoutText)\(output.stderr)")
        #expect((output.stdoutText + output.stderr).contains(alert), "\(name)")
    }

    /// Every metric the rules read is one strata's MetricsTextfile or tools/backup/lib.sh writes.
    @Test func everySeriesTheRulesReadIsEmitted() throws {
        let emitters = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("Sources/StrataKit/MetricsTextfile.swift"), encoding: .utf8)
            + String(contentsOf: OpsHarness.backupDir.appendingPathComponent("lib.sh"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\\b(backup|strata)_[a-z_]+\\b")
        var names: Set<String> = []
        for (_, expr) in try Self.ruleList() {
            for match in pattern.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
                names.insert(String(expr[Range(match.range, in: expr)!]))
            }
        }
        #expect(names.count >= 8, "\(names)")
        for name in names {
            #expect(emitters.contains("\"\(name)\"") || emitters.contains("\(name){"), "\(name) is read by a rule but nothing writes it")
        }
    }

    /// The alerts over a textfile `strata metrics` really wrote: a bucket whose backups stopped
    /// three days ago makes every component stale, and the sweep blocked for the components where
    /// most sets would go; promtool (fed those exact series) fires StrataComponentStale and
    /// StrataSweepBlocked for exactly those components.
    @Test(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"))
    func theAlertsFireOnWhatStrataMetricsWrites() throws {
        try OpsHarness.withBucket("alerts") { ops in
            let formatter = ISO8601DateFormatter()
            let threeDaysAgo = formatter.string(from: Date().addingTimeInterval(-3 * 86400))
            let seed = try ProcessRunner(environment: ops.environment).run(
                ["python3", RepositoryPaths.root.appendingPathComponent("tools/seed-backups").path, ops.bucket,
                 "--now", threeDaysAgo, "--years", "0.03", "--endpoint", ops.servers.rgwEndpoint])
            #expect(seed.status == 0, "\(seed.stderr)")
            let dir = try TempDir("alerts")
            defer { dir.remove() }
            let textfile = dir.file("strata.prom")
            let metrics = try ops.strata(["metrics", "--textfile", textfile])
            #expect(metrics.status == 0, "\(metrics.stderr)")
            let text = try String(contentsOfFile: textfile, encoding: .utf8)
            let lint = try Self.promtool(["check", "metrics"], stdin: text)
            #expect(lint.status == 0, "\(lint.stdoutText)\(lint.stderr)")

            let samples = Self.samples(text)
            let stale = samples.filter { $0.name == "strata_component_stale" && $0.value == 1 }.compactMap { $0.labels["component"] }
            let blocked = samples.filter { $0.name == "strata_sweep_blocked" && $0.value == 1 }.compactMap { $0.labels["component"] }
            #expect(Set(stale) == ["falkordb", "qdrant", "nats", "temporal", "vault", "postgresql"], "\(stale)")

            // A promtool test over those series (each sample held for an hour, labelled as the
            // Pushgateway would), expecting exactly the stale and blocked components.
            var yaml = "rule_files:\n  - \(Self.rules.path)\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
            for sample in samples {
                let labels = (sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" } + ["job=\"strata\""])
                    .joined(separator: ", ")
                yaml += "      - series: '\(sample.name){\(labels)}'\n        values: '\(sample.value)x70'\n"
            }
            yaml += "    alert_rule_test:\n"
            for (alert, components) in [("StrataComponentStale", stale), ("StrataSweepBlocked", blocked)] {
                yaml += "      - eval_time: 45m\n        alertname: \(alert)\n        exp_alerts:\(components.isEmpty ? " []" : "")\n"
                for component in components.sorted() {
                    yaml += "          - exp_labels: {severity: warning, component: \(component), job: strata}\n"
                    yaml += "            exp_annotations:\n"
                    yaml += "              summary: \(Self.summary(alert, component))\n"
                    yaml += "              description: \(Self.description(alert, component))\n"
                }
            }
            let testFile = try dir.write("live.test.yaml", yaml)
            let output = try Self.promtool(["test", "rules", testFile])
            #expect(output.status == 0, "\(output.stdoutText)\(output.stderr)\n\(yaml)")
        }
    }

    static func promtool(_ arguments: [String], stdin: String) throws -> ProcessRunner.Output {
        try ProcessRunner().run([try OpsTools.require("promtool")] + arguments, stdin: Data(stdin.utf8))
    }

    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The samples of a text-format exposition (gauges, no escapes in label values).
    static func samples(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                return nil
            }
            let head = line[..<space]
            guard let brace = head.firstIndex(of: "{") else { return Sample(name: String(head), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in head[head.index(after: brace)..<head.index(before: head.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
            }
            return Sample(name: String(head[..<brace]), labels: labels, value: value)
        }
    }

    /// The annotations the rules render for `component`, read from the rule file's templates.
    static func summary(_ alert: String, _ component: String) -> String { annotation(alert, "summary", component) }
    static func description(_ alert: String, _ component: String) -> String { annotation(alert, "description", component) }

    static func annotation(_ alert: String, _ key: String, _ component: String) -> String {
        guard let text = try? String(contentsOf: rules, encoding: .utf8),
              let root = try? Yams.load(yaml: text) as? [String: Any] else { return "" }
        for group in root["groups"] as? [[String: Any]] ?? [] {
            for rule in group["rules"] as? [[String: Any]] ?? [] where rule["alert"] as? String == alert {
                let template = (rule["annotations"] as? [String: Any])?[key] as? String ?? ""
                let rendered = template.replacingOccurrences(of: "{{ $labels.component }}", with: component)
                // As a JSON string, which is also a YAML double-quoted scalar.
                let json = try? JSONSerialization.data(withJSONObject: [rendered], options: [.withoutEscapingSlashes])
                return json.map { String(decoding: $0, as: UTF8.self).dropFirst().dropLast() }.map(String.init) ?? ""
            }
        }
        return ""
    }
}
