import Foundation
import StrataTestSupport
import Testing

/// The nightly sweep CronJob's script (docs/deploy/cronjob-sweep.yaml), run the way the pod runs
/// it (`/bin/bash -c SCRIPT`) with stand-ins for strata, curl and pgbackrest and the image's paths
/// pointed into the checkout. After every outcome of the sweep its metrics go to the Pushgateway
/// and `tools/backup/postgresql sync-info` runs (pgBackRest's expire with retention too high to
/// remove anything else); the job fails with the sweep's own status, or with 1 when only
/// sync-info failed.
@Suite(.blocking) struct SweepJobTests {
    /// What one run of the job's script did.
    struct Run {
        var status: Int32
        /// `name arguments` of every stand-in called, in order.
        var calls: [String]
        /// What sync-info reported (its strata_task_success line), if anything.
        var syncInfoMetrics: String
        var stderr: String
    }

    static func script() throws -> String {
        let job = try #require(try DeployManifestTests.cronJobs().first {
            DeployManifestTests.value($0, "metadata", "name") as? String == "strata-sweep"
        })
        return try #require((DeployManifestTests.container(job)["args"] as? [String])?.first)
    }

    /// Runs the script with strata exiting `sweepStatus` and pgbackrest exiting `pgbackrestStatus`.
    static func run(sweepStatus: Int, pgbackrestStatus: Int = 0) throws -> Run {
        let dir = try TempDir("sweep-job")
        defer { dir.remove() }
        let calls = dir.file("calls")
        let record = "printf '%s\\n' \"$(basename \"$0\") $*\" >> '\(calls)'"
        try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
        // strata writes the metrics file it was asked for (a sweep does, whatever its outcome).
        _ = try dir.write("bin/strata", """
            #!/bin/bash
            \(record)
            while [ $# -gt 0 ]; do [ "$1" = --metrics-textfile ] && echo 'strata_sweep_success 1' > "$2"; shift; done
            exit \(sweepStatus)

            """, mode: 0o755)
        _ = try dir.write("bin/curl", "#!/bin/bash\n\(record)\n", mode: 0o755)
        _ = try dir.write("bin/pgbackrest", "#!/bin/bash\n\(record)\nexit \(pgbackrestStatus)\n", mode: 0o755)
        let config = try dir.write("pgbackrest.conf", "[mind]\npg1-path=/nonexistent\n")
        try FileManager.default.createDirectory(atPath: dir.file("metrics"), withIntermediateDirectories: true)
        // The image's paths, pointed into the checkout and the scratch directory.
        let script = try Self.script()
            .replacingOccurrences(of: "/opt/strata/tools/backup/", with: OpsHarness.backupDir.path + "/")
            .replacingOccurrences(of: "/etc/pgbackrest/pgbackrest.conf", with: config)
            .replacingOccurrences(of: "/tmp/metrics.prom", with: dir.file("metrics.prom"))
        let output = try ProcessRunner(environment: [
            "PATH": dir.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "STRATA_PUSHGATEWAY_URL": "http://pushgateway.invalid:9091",
            "STRATA_METRICS_DIR": dir.file("metrics"),
            "TMPDIR": dir.path,
        ]).run(["/bin/bash", "-c", script])
        let recorded = (try? String(contentsOfFile: calls, encoding: .utf8)) ?? ""
        let metrics = (try? String(contentsOfFile: dir.file("metrics/strata-task-sync-info-postgresql.prom"), encoding: .utf8)) ?? ""
        return Run(status: output.status, calls: recorded.split(separator: "\n").map(String.init),
                   syncInfoMetrics: metrics.split(separator: "\n").first { $0.hasPrefix("strata_task_success") }.map(String.init) ?? "",
                   stderr: output.stderr)
    }

    /// 0 done, 1 failed, 3 blocked by a guard, 4 lock held: sync-info runs after each.
    @Test(arguments: [0, 1, 3, 4])
    func syncInfoRunsAfterEverySweep(_ sweepStatus: Int) throws {
        let run = try Self.run(sweepStatus: sweepStatus)
        #expect(run.status == Int32(sweepStatus), "\(run.stderr)")
        #expect(run.calls.count >= 3, "\(run.calls)")
        #expect(run.calls.first?.hasPrefix("strata sweep --apply") == true, "\(run.calls)")
        #expect(run.calls.dropFirst().first?.contains("/metrics/job/strata") == true, "the sweep's metrics are pushed first: \(run.calls)")
        let expire = try #require(run.calls.first { $0.hasPrefix("pgbackrest ") }, "\(run.calls)\n\(run.stderr)")
        #expect(expire.hasSuffix(" expire") && expire.contains("--stanza=mind") && expire.contains("--repo1-retention-full=9999999"))
        #expect(run.syncInfoMetrics == #"strata_task_success{task="sync-info",component="postgresql"} 1"#)
    }

    @Test func aFailedSyncInfoFailsTheJobAndIsReported() throws {
        let run = try Self.run(sweepStatus: 0, pgbackrestStatus: 1)
        #expect(run.status == 1)
        #expect(run.stderr.contains("postgresql: error: pgbackrest expire failed"), "\(run.stderr)")
        #expect(run.syncInfoMetrics == #"strata_task_success{task="sync-info",component="postgresql"} 0"#)
    }

    /// The sweep's own status (a guard's 3) is what the job reports, not sync-info's.
    @Test func theSweepsStatusWinsOverSyncInfos() throws {
        #expect(try Self.run(sweepStatus: 3, pgbackrestStatus: 1).status == 3)
    }
}
