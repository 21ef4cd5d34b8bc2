import Foundation
import StrataTestSupport
import Testing

/// The CronJobs' image: one documented placeholder in every manifest, and
/// tools/container/Containerfile, which builds it, agreeing with what the jobs and scripts need.
/// The image itself is not built here (no container runtime in the tests); what can drift is
/// checked by reading: the paths it copies, the user it runs as, the packages behind every
/// command the scripts require.
@Suite(.blocking) struct ContainerImageTests {
    static let placeholder = "registry.example.com/mind/strata-backup:VERSION"
    static let containerfile = RepositoryPaths.root.appendingPathComponent("tools/container/Containerfile")

    static func instructions() throws -> [String] {
        // One instruction per entry: continuation lines joined, comments dropped.
        let text = try String(contentsOf: containerfile, encoding: .utf8)
        var instructions: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            current += (current.isEmpty ? "" : " ") + trimmed
            if current.hasSuffix("\\") { current.removeLast() } else { instructions.append(current); current = "" }
        }
        return instructions
    }

    @Test func everyJobRunsTheDocumentedPlaceholderImage() throws {
        for job in try DeployManifestTests.cronJobs() {
            let name = DeployManifestTests.value(job, "metadata", "name") as? String ?? "?"
            #expect(DeployManifestTests.container(job)["image"] as? String == Self.placeholder, "\(name)")
        }
        // Each manifest with jobs says what the placeholder is and where the image comes from.
        for file in DeployManifestTests.manifests where file.hasPrefix("cronjob-") {
            let text = try String(contentsOf: DeployManifestTests.deploy.appendingPathComponent(file), encoding: .utf8)
            #expect(text.contains("\(Self.placeholder), is a placeholder") && text.contains("tools/container/Containerfile"), "\(file)")
        }
        let runbook = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("docs/runbook.md"), encoding: .utf8)
        #expect(runbook.contains("### The image") && runbook.contains(Self.placeholder) && runbook.contains("tools/container/Containerfile"))
    }

    /// What the image copies from the checkout exists, and lands where the jobs look for it.
    @Test func theContainerfileCopiesWhatExistsWhereTheJobsLook() throws {
        let copies = try Self.instructions().filter { $0.hasPrefix("COPY ") && !$0.contains("--from=") }
        #expect(!copies.isEmpty)
        for copy in copies {
            let words = copy.split(separator: " ").dropFirst().map(String.init)
            for source in words.dropLast() {
                #expect(FileManager.default.fileExists(atPath: RepositoryPaths.root.appendingPathComponent(source).path), "\(copy)")
            }
        }
        #expect(copies.contains("COPY tools/backup /opt/strata/tools/backup"))
        #expect(try Self.instructions().contains { $0.hasPrefix("COPY --from=build") && $0.hasSuffix(" /usr/local/bin/strata") },
                "strata on PATH, as the sweep and metrics jobs call it")
        // Every script a job runs by its image path is in tools/backup.
        for job in try DeployManifestTests.cronJobs() {
            let container = DeployManifestTests.container(job)
            let text = ((container["command"] as? [String] ?? []) + (container["args"] as? [String] ?? [])).joined(separator: " ")
            for path in DocMentionChecker.matches(#"/opt/strata/tools/backup/[\w.-]+"#, in: text) {
                let local = OpsHarness.backupDir.appendingPathComponent(String(path.dropFirst("/opt/strata/tools/backup/".count))).path
                #expect(FileManager.default.isExecutableFile(atPath: local), "\(path)")
            }
        }
    }

    /// The image's user is the numeric non-root user every pod runs as.
    @Test func theImageRunsAsThePodsUser() throws {
        let user = try #require(try Self.instructions().last { $0.hasPrefix("USER ") })
        for job in try DeployManifestTests.cronJobs() {
            let pod = DeployManifestTests.value(job, "spec", "jobTemplate", "spec", "template", "spec", "securityContext") as? [String: Any]
            #expect(user == "USER \(pod?["runAsUser"] as? Int ?? -1):\(pod?["runAsGroup"] as? Int ?? -1)")
        }
    }

    /// Every command tools/backup's scripts require (`need_cmd`), and pgbackrest, comes from a
    /// package the image installs. A new requirement fails here until it is mapped and installed.
    @Test func theImageInstallsWhatTheScriptsNeed() throws {
        let packageOf = ["redis-cli": "redis-tools", "redis-check-rdb": "redis-tools", "python3": "python3", "tar": "tar",
                         "curl": "curl", "sha256sum": "coreutils", "pgbackrest": "pgbackrest", "gzip": "gzip"]
        let install = try #require(try Self.instructions().first { $0.contains("apt-get install") })
        let installed = Set(install.split(separator: " ").map(String.init))
        var needed: Set<String> = ["pgbackrest", "gzip"]  // pgbackrest is run directly; gzip by tar -z
        for name in try FileManager.default.contentsOfDirectory(atPath: OpsHarness.backupDir.path) {
            guard let text = try? String(contentsOf: OpsHarness.backupDir.appendingPathComponent(name), encoding: .utf8) else { continue }
            for call in DocMentionChecker.matches(#"(?m)^\s*need_cmd [^\n]*"#, in: text) {
                needed.formUnion(call.split(separator: " ").dropFirst().map(String.init))
            }
        }
        #expect(needed.isSuperset(of: ["redis-check-rdb", "python3", "curl"]), "\(needed)")
        for command in needed.sorted() {
            let package = try #require(packageOf[command], "map \(command) to its Debian package here and install it")
            #expect(installed.contains(package), "the image lacks \(package) (for \(command))")
        }
    }
}
