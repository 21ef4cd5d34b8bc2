import Foundation
import StrataTestSupport

/// Runs the `strata` executable the way an operator does, against a local server (RGW by default), and seeds
/// buckets with `tools/seed-backups`.
struct CLIHarness {
    let servers: TestServers
    let bucket: String
    /// The server the bucket lives on.
    var server: TestServer = .rgw

    /// The endpoint of ``server``.
    var endpoint: String { servers.endpoint(server) }

    /// The built `strata` binary: `STRATA_BIN` (set by tools/test), else the default debug build.
    static var binary: String {
        ProcessInfo.processInfo.environment["STRATA_BIN"]
            ?? RepositoryPaths.root.appendingPathComponent(".build/debug/strata").path
    }

    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey,
         "AWS_REGION": servers.region, "AWS_ENDPOINT_URL": endpoint, "STRATA_BUCKET": bucket,
         "AWS_EC2_METADATA_DISABLED": "true", "STRATA_POLICIES": RepositoryPaths.root.appendingPathComponent("policies").path]
    }

    /// Runs `strata` with `arguments`; `extra` overrides the environment.
    func strata(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessRunner.Output {
        try ProcessRunner(environment: environment.merging(extra) { $1 }).run([Self.binary] + arguments)
    }

    /// Starts `strata` without waiting (for kill tests); `extra` overrides the environment.
    func start(_ arguments: [String], extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Creates the bucket and seeds `years` of backups as of `now` (tools/seed-backups).
    func seed(now: String, years: Double) throws {
        let script = RepositoryPaths.root.appendingPathComponent("tools/seed-backups").path
        let output = try ProcessRunner(environment: environment).run(
            ["python3", script, bucket, "--create-bucket", "--now", now, "--years", String(years),
             "--endpoint", endpoint])
        guard output.status == 0 else { throw HarnessError(message: "seeding failed: \(output.stderr)") }
    }

    /// Every key in the bucket outside `.strata/`, via boto3 (independent of Strata's client).
    func keys() throws -> Set<String> { try keys(prefix: "").filter { !$0.hasPrefix(".strata/") } }

    /// Every key under `prefix`, via boto3.
    func keys(prefix: String) throws -> Set<String> {
        let code = """
        import boto3, os, sys
        s3 = boto3.client("s3", endpoint_url=sys.argv[1])
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2], Prefix=sys.argv[3]):
            keys += [o["Key"] for o in page.get("Contents", [])]
        print("\\n".join(keys))
        """
        let output = try ProcessRunner(environment: environment).run(["python3", "-c", code, endpoint, bucket, prefix])
        guard output.status == 0 else { throw HarnessError(message: "listing failed: \(output.stderr)") }
        return Set(output.stdoutText.split(separator: "\n").map(String.init))
    }

    /// Empties and removes the bucket (all versions), via boto3.
    func destroy() {
        let code = """
        import boto3, sys
        s3 = boto3.resource("s3", endpoint_url=sys.argv[1])
        b = s3.Bucket(sys.argv[2])
        try:
            b.object_versions.delete()
        except Exception:
            # A key XML 1.0 cannot carry (a control character) fails the whole batch: one by one.
            for v in b.object_versions.all():
                s3.meta.client.delete_object(Bucket=b.name, Key=v.object_key, VersionId=v.id)
        for u in b.multipart_uploads.all(): u.abort()
        b.delete()
        """
        _ = try? ProcessRunner(environment: environment).run(["python3", "-c", code, endpoint, bucket])
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
