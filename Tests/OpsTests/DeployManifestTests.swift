import Foundation
import StrataTestSupport
import Testing
import Yams

/// docs/deploy's Kubernetes manifests, checked without a cluster: yamllint, a JSON Schema subset of
/// the API (docs/deploy/manifest.schema.json, with python jsonschema), and what ties them to the
/// rest of the repository (scripts, their environment variables, the policies' cadence).
@Suite(.blocking) struct DeployManifestTests {
    static let deploy = RepositoryPaths.root.appendingPathComponent("docs/deploy")
    static let manifests = ["serviceaccount.yaml", "cronjob-backups.yaml", "cronjob-checks.yaml", "cronjob-sweep.yaml"]
    static let validator = OpsHarness.opsFixtures.appendingPathComponent("validate_manifests.py").path

    /// Every YAML document of the manifests, parsed with Yams.
    static func documents() throws -> [[String: Any]] {
        try manifests.flatMap { name -> [[String: Any]] in
            let text = try String(contentsOf: deploy.appendingPathComponent(name), encoding: .utf8)
            return try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
        }
    }

    static func cronJobs() throws -> [[String: Any]] {
        try documents().filter { $0["kind"] as? String == "CronJob" }
    }

    static func value(_ object: Any?, _ path: String...) -> Any? {
        path.reduce(object) { current, key in (current as? [String: Any])?[key] }
    }

    static func container(_ job: [String: Any]) -> [String: Any] {
        ((value(job, "spec", "jobTemplate", "spec", "template", "spec", "containers") as? [Any])?.first as? [String: Any]) ?? [:]
    }

    static func validate(_ files: [String]) throws -> ProcessRunner.Output {
        try ProcessRunner().run(["python3", validator, deploy.appendingPathComponent("manifest.schema.json").path] + files)
    }

    @Test(.enabled(if: OpsTools.available("yamllint"), "yamllint is not installed"))
    func yamllintStrictPasses() throws {
        let output = try ProcessRunner().run(["yamllint", "--strict", "-c", Self.deploy.appendingPathComponent(".yamllint.yaml").path,
                                              Self.deploy.path])
        #expect(output.status == 0, "\(output.stdoutText)\(output.stderr)")
    }

    @Test(.enabled(if: OpsTools.available("python3"), "python3 is not installed"))
    func everyManifestMatchesTheSchema() throws {
        let output = try Self.validate(Self.manifests.map { Self.deploy.appendingPathComponent($0).path })
        #expect(output.status == 0, "\(output.stdoutText)\(output.stderr)")
        #expect(output.stdoutText.contains("ok: 12 documents"), "\(output.stdoutText)")
    }

    /// Each mutation breaks one promise; the check must catch it (so the check is not vacuous).
    @Test(.enabled(if: OpsTools.available("python3"), "python3 is not installed"), arguments: [
        ("cronjob-sweep.yaml", "concurrencyPolicy: Forbid", "concurrencyPolicy: Allow", "'Forbid' was expected"),
        ("cronjob-sweep.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem: True was expected"),
        ("cronjob-checks.yaml", "          securityContext:\n            runAsNonRoot: true\n", "          securityContext:\n",
         "'runAsNonRoot' is a required property"),
        ("cronjob-backups.yaml", "                limits:\n                  cpu: 500m\n                  memory: 512Mi\n", "",
         "'limits' is a required property"),
        ("cronjob-backups.yaml", "              resources:\n", "              resource:\n", "Additional properties are not allowed ('resource' was unexpected)"),
        ("cronjob-backups.yaml", "- name: NATS_TOKEN_FILE\n                  value: \"/var/run/secrets/nats/token\"",
         "- name: NATS_TOKEN\n                  value: \"s3cr3t\"", "should not be valid under {'required': ['value']}"),
        ("cronjob-sweep.yaml", "serviceAccountName: strata-backup", "serviceAccountName: default", "'strata-backup' was expected"),
        ("serviceaccount.yaml", "    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/mind-strata-backup\n", "",
         "'eks.amazonaws.com/role-arn' is a required property"),
        ("cronjob-backups.yaml", "                  mountPath: /var/run/secrets/nats\n", "                  mountPath: /var/run/secrets/natz\n",
         "NATS_TOKEN_FILE=/var/run/secrets/nats/token is under no volumeMount"),
        ("cronjob-checks.yaml", "                - \"300\"", "                - 300", "300 is not of type 'string'"),
        ("cronjob-backups.yaml", "                - ALL", "                - NET_RAW", "does not contain items matching"),
        ("cronjob-sweep.yaml", "            - name: pgbackrest-config\n              secret:\n", "            - name: pgbackrest-cfg\n              secret:\n",
         "volumeMount pgbackrest-config names no volume"),
        ("cronjob-backups.yaml", "- name: PGBACKREST_REPO1_CIPHER_PASS\n                  valueFrom:\n                    secretKeyRef:\n"
            + "                      name: pgbackrest-config\n                      key: cipher-pass\n",
         "- name: PGBACKREST_REPO1_CIPHER_PASS\n                  value: \"s3cr3t\"\n", "should not be valid under {'required': ['value']}"),
    ])
    func aBrokenManifestFailsTheCheck(_ file: String, _ find: String, _ replace: String, _ message: String) throws {
        let original = try String(contentsOf: Self.deploy.appendingPathComponent(file), encoding: .utf8)
        #expect(original.contains(find), "the mutation must apply to \(file)")
        let dir = try TempDir("mutant")
        defer { dir.remove() }
        let mutant = try dir.write(file, original.replacingOccurrences(of: find, with: replace))
        let output = try Self.validate([mutant])
        #expect(output.status == 1, "\(file): '\(find)' -> '\(replace)' passed")
        #expect(output.stdoutText.contains(message), "\(output.stdoutText)")
    }

    @Test func everyJobIsSafeToRunAndCannotOverlap() throws {
        let jobs = try Self.cronJobs()
        #expect(jobs.count == 10)
        for job in jobs {
            let name = Self.value(job, "metadata", "name") as? String ?? "?"
            #expect(Self.value(job, "spec", "concurrencyPolicy") as? String == "Forbid", "\(name)")
            #expect(Self.value(job, "spec", "jobTemplate", "spec", "template", "spec", "serviceAccountName") as? String == "strata-backup")
            let container = Self.container(job)
            #expect(Self.value(container, "securityContext", "readOnlyRootFilesystem") as? Bool == true, "\(name)")
            #expect(Self.value(job, "spec", "jobTemplate", "spec", "template", "spec", "securityContext", "runAsNonRoot") as? Bool == true)
            #expect(Self.value(container, "resources", "limits", "memory") != nil, "\(name)")
            // With a read-only root, /tmp must be a volume and TMPDIR must point at it.
            let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
            #expect(mounts.contains("/tmp"), "\(name)")
        }
    }

    @Test func theServiceAccountUsesWebIdentity() throws {
        let account = try #require(try Self.documents().first { $0["kind"] as? String == "ServiceAccount" })
        let arn = Self.value(account, "metadata", "annotations") as? [String: Any]
        #expect((arn?["eks.amazonaws.com/role-arn"] as? String)?.hasPrefix("arn:aws:iam::") == true)
        // No AWS keys anywhere in the manifests: credentials come from the web identity.
        for name in Self.manifests {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("AWS_ACCESS_KEY_ID") && !text.contains("AWS_SECRET_ACCESS_KEY"), "\(name)")
        }
    }

    /// The scripts the CronJobs run exist, and every variable a job sets is one its script reads
    /// (documented in its usage), so a misspelt variable cannot silently fall back to a default.
    @Test func jobsRunScriptsThatExistWithVariablesTheyRead() throws {
        var seen: Set<String> = []
        for job in try Self.cronJobs() {
            let container = Self.container(job)
            let words = (container["command"] as? [String] ?? []) + (container["args"] as? [String] ?? [])
            guard let script = words.first(where: { $0.hasPrefix("/opt/strata/tools/backup/") }) else { continue }
            let name = String(script.dropFirst("/opt/strata/tools/backup/".count))
            seen.insert(name)
            let local = OpsHarness.backupDir.appendingPathComponent(name).path
            #expect(FileManager.default.isExecutableFile(atPath: local), "tools/backup/\(name)")
            let usage = try ProcessRunner().run([local, "--help"])
            #expect(usage.status == 0, "\(name) --help")
            for variable in container["env"] as? [[String: Any]] ?? [] {
                guard let variableName = variable["name"] as? String, variableName != "TMPDIR" else { continue }
                // pgBackRest reads its own PGBACKREST_* variables.
                #expect(usage.stdoutText.contains(variableName) || variableName.hasPrefix("PGBACKREST_"),
                        "\(name) does not read \(variableName)")
            }
        }
        #expect(seen.isSuperset(of: ["falkordb", "nats", "qdrant", "temporal", "vault", "postgresql", "verify-backups", "test-restore"]))
    }

    /// After the nightly sweep, `tools/backup/postgresql sync-info` drops the pgBackRest sets the
    /// sweep deleted from backup.info, whatever the sweep's outcome (a failed or guard-blocked
    /// sweep may have deleted sets of other components first), with pgBackRest's configuration
    /// mounted from the same Secret as the backup job's. SweepJobTests runs the script itself.
    @Test func theSweepJobSyncsPgBackRestsBackupInfoAfterTheSweep() throws {
        let jobs = try Self.cronJobs()
        let sweep = try #require(jobs.first { Self.value($0, "metadata", "name") as? String == "strata-sweep" })
        let backup = try #require(jobs.first { Self.value($0, "metadata", "name") as? String == "backup-postgresql" })
        let container = Self.container(sweep)
        #expect(container["command"] as? [String] == ["/bin/bash", "-c"])
        let script = try #require((container["args"] as? [String])?.first)
        let lines = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let sweepLine = try #require(lines.firstIndex { $0.hasPrefix("strata sweep --apply") })
        let syncLine = try #require(lines.firstIndex { $0.contains("/opt/strata/tools/backup/postgresql") && $0.contains(" sync-info") },
                                    "the sweep job does not run tools/backup/postgresql sync-info")
        #expect(sweepLine < syncLine)
        // No `set -e`: a failed sweep must not skip sync-info.
        #expect(!lines.contains { $0.hasPrefix("set -e") }, "\(lines.first ?? "")")
        let backupArgs = Self.container(backup)["args"] as? [String] ?? []
        let config = try #require(backupArgs.firstIndex(of: "--config").map { backupArgs[$0 + 1] })
        #expect(lines[syncLine].contains("--config \(config)"), "sync-info must read the configuration the backup job uses")
        func secretMount(_ job: [String: Any], _ path: String) -> String? {
            let mount = (Self.container(job)["volumeMounts"] as? [[String: Any]] ?? [])
                .first { path.hasPrefix(($0["mountPath"] as? String ?? "//") + "/") }
            let volumes = Self.value(job, "spec", "jobTemplate", "spec", "template", "spec", "volumes") as? [[String: Any]] ?? []
            let volume = volumes.first { $0["name"] as? String == mount?["name"] as? String }
            return Self.value(volume, "secret", "secretName") as? String
        }
        #expect(secretMount(sweep, config) != nil && secretMount(sweep, config) == secretMount(backup, config))
        let usage = try ProcessRunner().run([OpsHarness.backupDir.appendingPathComponent("postgresql").path, "--help"])
        #expect(usage.status == 0 && usage.stdoutText.contains("sync-info"))
    }

    /// Issue 17: the PostgreSQL repository is encrypted, and its passphrase is one key of the
    /// pgbackrest-config Secret (`cipher-pass`). pgBackRest gets it only as
    /// PGBACKREST_REPO1_CIPHER_PASS from a secretKeyRef, in the backup job (required: no backup
    /// without it) and in the sweep job (sync-info; optional, so a missing key degrades to all WAL
    /// kept rather than no sweep at all); strata reads the same key as the file the sweep job
    /// mounts from that Secret, where policies/postgresql.yaml's `cipher_pass` looks. No other job
    /// gets it, and no manifest holds it or passes it as an argument.
    @Test func theCipherPassphraseReachesPgBackRestAndTheSweepFromTheSecret() throws {
        let jobs = try Self.cronJobs()
        func job(_ name: String) throws -> [String: Any] {
            try #require(jobs.first { Self.value($0, "metadata", "name") as? String == name }, "no CronJob \(name)")
        }
        func cipherPass(_ job: [String: Any]) -> [String: Any]? {
            let env = Self.container(job)["env"] as? [[String: Any]] ?? []
            return env.first { $0["name"] as? String == "PGBACKREST_REPO1_CIPHER_PASS" }
        }
        let backup = try job("backup-postgresql"), sweep = try job("strata-sweep")
        for (job, required) in [(backup, true), (sweep, false)] {
            let name = Self.value(job, "metadata", "name") as? String ?? "?"
            let variable = try #require(cipherPass(job), "\(name) gets no PGBACKREST_REPO1_CIPHER_PASS")
            #expect(variable["value"] == nil, "\(name): the passphrase sits in the manifest")
            let reference = Self.value(variable, "valueFrom", "secretKeyRef") as? [String: Any]
            #expect(reference?["name"] as? String == "pgbackrest-config" && reference?["key"] as? String == "cipher-pass", "\(name): \(variable)")
            #expect((reference?["optional"] as? Bool ?? false) == !required, "\(name): optional \(String(describing: reference?["optional"]))")
        }
        for job in jobs {
            let name = Self.value(job, "metadata", "name") as? String ?? "?"
            guard !["backup-postgresql", "strata-sweep"].contains(name) else { continue }
            #expect(cipherPass(job) == nil, "\(name) gets the passphrase, which it does not need")
        }
        // strata's policy reads a file of the Secret the sweep job mounts, the key pgBackRest gets.
        let policy = try Yams.load(yaml: String(contentsOf: RepositoryPaths.root.appendingPathComponent("policies/postgresql.yaml"), encoding: .utf8))
        let file = try #require(Self.value(policy, "cipher_pass", "file") as? String, "policies/postgresql.yaml has no cipher_pass: {file: ...}")
        let container = Self.container(sweep)
        let mount = try #require((container["volumeMounts"] as? [[String: Any]] ?? []).first { file.hasPrefix(($0["mountPath"] as? String ?? "//") + "/") },
                                 "\(file) is under no volumeMount of strata-sweep")
        let volumes = Self.value(sweep, "spec", "jobTemplate", "spec", "template", "spec", "volumes") as? [[String: Any]] ?? []
        let volume = volumes.first { $0["name"] as? String == mount["name"] as? String }
        #expect(Self.value(volume, "secret", "secretName") as? String == "pgbackrest-config")
        #expect(Self.value(volume, "secret", "items") == nil, "every key of the Secret is a file")
        #expect(file == "\(mount["mountPath"] as? String ?? "")/cipher-pass", "\(file) is not the Secret's key cipher-pass")
        // Never an argument: ps shows arguments (pgBackRest refuses --repo1-cipher-pass anyway).
        for name in Self.manifests {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(name), encoding: .utf8)
            #expect(!text.contains("--repo1-cipher-pass") && !text.contains("repo1-cipher-pass="), "\(name)")
        }
    }

    /// Backups run as often as the runbook and the policies' expect_every say.
    @Test func backupSchedulesMatchThePoliciesCadence() throws {
        for job in try Self.cronJobs() {
            guard let name = Self.value(job, "metadata", "name") as? String, name.hasPrefix("backup-") else { continue }
            let component = String(name.dropFirst("backup-".count))
            let policy = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("policies/\(component).yaml"), encoding: .utf8)
            let every = try #require((try Yams.load(yaml: policy) as? [String: Any])?["expect_every"] as? String)
            let fields = (Self.value(job, "spec", "schedule") as? String ?? "").split(separator: " ").map(String.init)
            #expect(fields.count == 5)
            switch every {
            case "1h": #expect(Int(fields[0]) != nil && fields[1...].allSatisfy { $0 == "*" }, "\(name): hourly")
            case "1d": #expect(Int(fields[0]) != nil && Int(fields[1]) != nil && fields[2...].allSatisfy { $0 == "*" }, "\(name): daily")
            default: Issue.record("\(component): expect_every \(every) has no schedule check")
            }
        }
    }

    /// The sweep and metrics jobs use strata flags that exist (checked against the binary's help).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: OpsHarness.strataBinary) || TestServers.isCI,
                   "the strata binary is not built"))
    func strataInvocationsUseRealFlags() throws {
        for job in try Self.cronJobs() {
            let args = (Self.container(job)["args"] as? [String] ?? []).joined(separator: "\n")
            for line in args.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("strata ") {
                let words = line.split(separator: " ").map(String.init)
                let subcommand = words[1]
                let help = try ProcessRunner().run([OpsHarness.strataBinary, subcommand, "--help"])
                #expect(help.status == 0, "strata \(subcommand)")
                for flag in words where flag.hasPrefix("--") {
                    #expect(help.stdoutText.contains(flag), "strata \(subcommand) has no \(flag)")
                }
            }
        }
    }
}
