import Foundation
import StrataTestSupport
import Testing

/// upload, audit, metrics, cp, ls, presign and lint as an operator runs them.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct CommandEndToEndTests {
    static func withBucket(_ body: (CLIHarness) throws -> Void) throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName("cmd"))
        defer { harness.destroy() }
        try harness.seed(now: "2026-11-25T12:00:00Z", years: 0.02)
        try body(harness)
    }

    static func temporaryFile(_ contents: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString)").path
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func uploadNamesKeysFromThePolicyAndNeverOverwrites() throws {
        try Self.withBucket { harness in
            let file = try Self.temporaryFile(Array("RDB snapshot".utf8))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let first = try harness.strata(["upload", "--component", "falkordb", "--time", "2026-11-25T13:14:15Z", file])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(try harness.keys().contains("falkordb/20261125_131415/dump.rdb"))
            let again = try harness.strata(["upload", "--component", "falkordb", "--time", "2026-11-25T13:14:15Z", file])
            #expect(again.status == 1)
            #expect(again.stderr.contains("already exists; refusing to overwrite"))

            let noSeries = try harness.strata(["upload", "--component", "qdrant", file])
            #expect(noSeries.status == 2)
            #expect(noSeries.stderr.contains("--series"))
            let missing = try harness.strata(["upload", "--component", "vault", "/nonexistent/snap"])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("/nonexistent/snap"))
        }
    }

    @Test func cpRoundTripsAFileAndLsShowsIt() throws {
        try Self.withBucket { harness in
            let data = (0..<(7 * 1024 * 1024)).map { UInt8($0 % 239) }
            let file = try Self.temporaryFile(data)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let up = try harness.strata(["cp", "--part-size-mib", "5", file, "s3://\(harness.bucket)/misc/blob.bin"])
            #expect(up.status == 0, "\(up.stderr)")
            let listing = try harness.strata(["ls", "s3://\(harness.bucket)/misc/"])
            #expect(listing.stdoutText.contains("misc/blob.bin"))
            let target = file + ".back"
            defer { try? FileManager.default.removeItem(atPath: target) }
            let down = try harness.strata(["cp", "s3://\(harness.bucket)/misc/blob.bin", target])
            #expect(down.status == 0, "\(down.stderr)")
            #expect(down.stdoutText.contains("verified: crc32c-parts"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(data))
        }
    }

    /// Issue 18: `ls`, `presign`, `cp` and `lifecycle apply` took `--json` and ignored it, and
    /// `lifecycle render` refused it. Each now prints the JSON docs/cli.md documents.
    @Test func everyCommandThatPrintsResultsHasJSON() throws {
        func json(_ output: ProcessRunner.Output) throws -> Any {
            try #require(output.status == 0, "\(output.stderr)")
            return try JSONSerialization.jsonObject(with: output.stdout)
        }
        try Self.withBucket { harness in
            let file = try Self.temporaryFile(Array(repeating: 7, count: 1000))
            defer { try? FileManager.default.removeItem(atPath: file) }
            let up = try #require(try json(harness.strata(["cp", "--json", file, "s3://\(harness.bucket)/misc/a b.bin"])) as? [String: Any])
            #expect(up["direction"] as? String == "upload")
            #expect(up["destination"] as? String == "s3://\(harness.bucket)/misc/a b.bin")
            #expect(up["bytes"] as? Int == 1000 && up["parts"] as? Int == 1)
            let back = file + ".back"
            defer { try? FileManager.default.removeItem(atPath: back) }
            let down = try #require(try json(harness.strata(["cp", "--json", "s3://\(harness.bucket)/misc/a b.bin", back])) as? [String: Any])
            #expect(down["direction"] as? String == "download" && down["verification"] as? String == "crc32c-parts")

            let listed = try #require(try json(harness.strata(["ls", "--json", "s3://\(harness.bucket)/"])) as? [[String: Any]])
            #expect(listed.contains { $0["type"] as? String == "prefix" && $0["prefix"] as? String == "misc/" })
            let objects = try #require(try json(harness.strata(["ls", "--json", "--recursive", "s3://\(harness.bucket)/misc/"])) as? [[String: Any]])
            #expect(objects.count == 1)
            #expect(objects.first?["key"] as? String == "misc/a b.bin" && objects.first?["size"] as? Int == 1000)
            #expect(objects.first?["storageClass"] as? String == "STANDARD" && objects.first?["lastModified"] is String)
            let empty = try #require(try json(harness.strata(["ls", "--json", "s3://\(harness.bucket)/nothing-here/"])) as? [Any])
            #expect(empty.isEmpty)

            let presigned = try #require(try json(harness.strata(["presign", "--json", "--expires", "2m",
                                                                 "s3://\(harness.bucket)/misc/a b.bin"])) as? [String: Any])
            #expect(presigned["method"] as? String == "GET" && presigned["expiresInSeconds"] as? Int == 120)
            #expect((presigned["url"] as? String)?.contains("X-Amz-Signature=") == true)

            let rendered = try #require(try json(harness.strata(["lifecycle", "render", "--json"])) as? [String: Any])
            #expect((rendered["xml"] as? String)?.hasPrefix("<?xml") == true)
            #expect((rendered["rules"] as? [String])?.contains("strata-vault") == true)
            #expect((rendered["notes"] as? [[String: String]])?.allSatisfy { $0["rule"] != nil && $0["text"] != nil } == true)
            let applied = try #require(try json(harness.strata(["lifecycle", "apply", "--json"])) as? [String: Any])
            #expect(applied["bucket"] as? String == harness.bucket)
            #expect(applied["replacedRules"] as? [String] == [])
            #expect(applied["appliedRules"] as? [String] == rendered["rules"] as? [String])

            let metrics = try harness.strata(["metrics", "--json"])
            #expect(metrics.status == 2 && metrics.stderr.contains("--json does not apply"))
        }
    }

    @Test func presignedURLWorksWithPlainCurl() throws {
        try Self.withBucket { harness in
            let url = try harness.strata(["presign", "s3://\(harness.bucket)/vault/20261124_020000.snap", "--expires", "2m"])
            #expect(url.status == 0, "\(url.stderr)")
            let fetched = try ProcessRunner().run(["curl", "-sf", "-o", "/dev/null", "-w", "%{http_code}",
                                                    url.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)])
            #expect(fetched.stdoutText == "200")
            let tooLong = try harness.strata(["presign", "s3://\(harness.bucket)/x", "--expires", "8d"])
            #expect(tooLong.status == 2)
        }
    }

    @Test func auditAndMetricsDescribeTheRetainedBackups() throws {
        try Self.withBucket { harness in
            let audit = try harness.strata(["audit", "--format", "csv", "--component", "vault", "--now", "2026-11-25T12:00:00Z"])
            #expect(audit.status == 0, "\(audit.stderr)")
            let lines = audit.stdoutText.split(separator: "\n")
            #expect(lines.first?.hasPrefix("component,set,series,key") == true)
            #expect(lines.contains { $0.contains("vault/20261124_020000.snap") && $0.contains("newest set of the series") })

            let textfile = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(UUID().uuidString).prom").path
            defer { try? FileManager.default.removeItem(atPath: textfile) }
            let metrics = try harness.strata(["metrics", "--textfile", textfile])
            #expect(metrics.status == 0, "\(metrics.stderr)")
            let text = try String(contentsOfFile: textfile, encoding: .utf8)
            #expect(text.contains("backup_last_success_timestamp_seconds{component=\"vault\"} 1795485600"))
            #expect(text.contains("backup_size_bytes{component=\"vault\"}"))
        }
    }

    /// `./strata.yaml` is read from the working directory and beats the environment; with
    /// `--config`, a relative `policies:` is found next to the file, whatever the working directory.
    @Test func strataYamlConfiguresTheCommand() throws {
        try Self.withBucket { harness in
            let directory = URL(fileURLWithPath: try makeScratchDirectory("yaml"))
            defer { try? FileManager.default.removeItem(at: directory) }
            try FileManager.default.copyItem(at: RepositoryPaths.root.appendingPathComponent("policies"),
                                             to: directory.appendingPathComponent("policies"))
            try Data("bucket: \(harness.bucket)\npolicies: policies\n".utf8)
                .write(to: directory.appendingPathComponent("strata.yaml"))
            let elsewhere = ["STRATA_BUCKET": "strata-not-this-bucket", "STRATA_POLICIES": "/nonexistent"]
            let sweep = ["sweep", "--json", "--force", "--now", "2026-11-25T12:00:00Z"]
            let inPlace = try ProcessRunner(environment: harness.environment.merging(elsewhere) { $1 })
                .run(["sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory.path, CLIHarness.binary] + sweep)
            #expect(inPlace.status == 0, "\(inPlace.stderr)")
            #expect(inPlace.stdoutText.contains("\"component\":\"vault\""), "no vault component in the plan")

            let fromRoot = try ProcessRunner(environment: harness.environment.merging(elsewhere) { $1 })
                .run(["sh", "-c", "cd / && exec \"$@\"", "sh", CLIHarness.binary] + sweep
                     + ["--config", directory.appendingPathComponent("strata.yaml").path])
            #expect(fromRoot.status == 0, "\(fromRoot.stderr)")
            // The same plan; only the policy files are named by their full path.
            let sameRelative = fromRoot.stdoutText.replacingOccurrences(of: directory.path + "/", with: "")
            #expect(sameRelative == inPlace.stdoutText, "plans differ")

            try Data("bucket: \(harness.bucket)\nallow_insecure_http: maybe\n".utf8)
                .write(to: directory.appendingPathComponent("strata.yaml"))
            let bad = try harness.strata(sweep + ["--config", directory.appendingPathComponent("strata.yaml").path])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("strata.yaml:2:1: 'allow_insecure_http' must be true or false"))
        }
    }

    /// TLS verification is switched off only by the operator (`--insecure-skip-tls-verify`, or
    /// a settings file named with `--config`), and every such run says so on standard error. The
    /// same setting in a `./strata.yaml` found in the working directory is refused (issue 16, row 12).
    @Test func skippingTLSVerificationIsExplicitAndAnnounced() throws {
        try Self.withBucket { harness in
            let tls = try #require(ProcessInfo.processInfo.environment["STRATA_TEST_RGW_TLS_ENDPOINT"],
                                   "tools/s3-server env sets STRATA_TEST_RGW_TLS_ENDPOINT (the RGW's self-signed port)")
            let ls = ["ls", "s3://\(harness.bucket)/vault/", "--endpoint-url", tls]
            let verified = try harness.strata(ls)
            #expect(verified.status == 1, "a self-signed certificate must fail verification: \(verified.stderr)")
            #expect(!verified.stderr.contains("verification is off"))

            let flagged = try harness.strata(ls + ["--insecure-skip-tls-verify"])
            #expect(flagged.status == 0, "\(flagged.stderr)")
            #expect(flagged.stdoutText.contains("vault/"))
            #expect(flagged.stderr.contains("strata: warning: TLS certificate verification is off (--insecure-skip-tls-verify)"))

            let directory = try makeScratchDirectory("planted-yaml")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let planted = directory + "/strata.yaml"
            try Data("region: \(harness.servers.region)\ninsecure_skip_tls_verify: true\n".utf8)
                .write(to: URL(fileURLWithPath: planted))
            let implicit = try ProcessRunner(environment: harness.environment)
                .run(["sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory, CLIHarness.binary] + ls)
            #expect(implicit.status == 2)
            #expect(implicit.stderr.contains("strata.yaml:2:1: 'insecure_skip_tls_verify: true' is honoured only from a settings file named with --config"),
                    "\(implicit.stderr)")

            let named = try harness.strata(ls + ["--config", planted])
            #expect(named.status == 0, "\(named.stderr)")
            #expect(named.stderr.contains("TLS certificate verification is off (insecure_skip_tls_verify in \(planted))"))
        }
    }

    /// `strata ... | head` is how people look at long output: when the reader goes away the
    /// command finishes quietly (it used to trap in FileHandle.write with a backtrace).
    @Test func aClosedPipeIsNotACrash() throws {
        try Self.withBucket { harness in
            let output = try ProcessRunner(environment: harness.environment).run(
                ["bash", "-c", "set -o pipefail; \"$0\" sweep --json --all --force --now 2026-11-25T12:00:00Z | head -c 100 >/dev/null",
                 CLIHarness.binary])
            #expect(output.status == 0, "\(output.stderr.prefix(300))")
            #expect(!output.stderr.contains("Fatal error"))
        }
    }

    /// Usage errors exit 2 as docs/cli.md says (ArgumentParser's own default is 64), naming the flag.
    @Test(arguments: [
        (["sweep", "--no-such-flag"], "--no-such-flag"),
        (["sweep", "--now"], "--now"),
        (["audit", "--log-level", "loud"], "loud"),
        (["retrieve", "--component", "vault", "--days", "many"], "many"),
        (["frobnicate"], "frobnicate"),
    ])
    func badUsageExitsTwoNamingTheProblem(arguments: [String], named: String) throws {
        let harness = CLIHarness(servers: try TestServers.require(), bucket: "unused")
        let output = try harness.strata(arguments)
        #expect(output.status == 2)
        #expect(output.stderr.contains(named), "\(output.stderr)")
        #expect(output.stdoutText.isEmpty)
    }

    @Test func secretsNeverAppearInOutputOrLogs() throws {
        try Self.withBucket { harness in
            let token = "SESSIONTOKEN-DO-NOT-PRINT-1234567890"
            let runs: [([String], [String: String])] = [
                (["sweep", "--log-level", "trace", "--now", "2026-11-25T12:00:00Z"], [:]),
                (["sweep", "--log-level", "trace", "--log-format", "json", "--json"], [:]),
                (["audit", "--log-level", "trace"], [:]),
                (["sweep", "--log-level", "trace"], ["AWS_SECRET_ACCESS_KEY": "WRONG-SECRET-DO-NOT-PRINT-000000000000"]),
                (["ls", "--log-level", "trace", "s3://\(harness.bucket)/"], ["AWS_SESSION_TOKEN": token]),
            ]
            for (arguments, extra) in runs {
                let output = try harness.strata(arguments, extra: extra)
                let everything = output.stdoutText + output.stderr
                #expect(!everything.contains(harness.servers.secretKey), "secret printed by \(arguments)")
                #expect(!everything.contains("WRONG-SECRET-DO-NOT-PRINT"), "wrong secret printed by \(arguments)")
                #expect(!everything.contains(token), "session token printed by \(arguments)")
            }
        }
    }
}
