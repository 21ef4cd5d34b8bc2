import Foundation
import Glibc
import StrataTestSupport

/// Runs tools/backup's scripts and the `strata` binary the way an operator (or a CronJob) does,
/// against one fresh bucket on the local RGW, and inspects the bucket with boto3.
struct OpsHarness {
    let servers: TestServers
    let bucket: String

    /// The built `strata` binary: `STRATA_BIN` (set by tools/test), else the default debug build.
    static var strataBinary: String {
        ProcessInfo.processInfo.environment["STRATA_BIN"]
            ?? RepositoryPaths.root.appendingPathComponent(".build/debug/strata").path
    }

    static let backupDir = RepositoryPaths.root.appendingPathComponent("tools/backup")
    static let opsFixtures = RepositoryPaths.fixtures.appendingPathComponent("ops")

    /// A harness on a new, empty bucket; `body` runs, then the bucket is removed.
    static func withBucket(_ purpose: String, _ body: (OpsHarness) throws -> Void) throws {
        let harness = OpsHarness(servers: try TestServers.require(), bucket: TestServers.uniqueBucketName(purpose))
        try harness.createBucket()
        defer { harness.destroy() }
        try body(harness)
    }

    /// What strata and the scripts need: the bucket, endpoint, keys, policies and the binary.
    var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey,
         "AWS_REGION": servers.region, "AWS_ENDPOINT_URL": servers.rgwEndpoint, "STRATA_BUCKET": bucket,
         "AWS_EC2_METADATA_DISABLED": "true", "STRATA_BIN": Self.strataBinary,
         "STRATA_POLICIES": RepositoryPaths.root.appendingPathComponent("policies").path]
    }

    /// Runs `strata` with `arguments`.
    func strata(_ arguments: [String], extra: [String: String] = [:]) throws -> ProcessRunner.Output {
        try ProcessRunner(environment: environment.merging(extra) { $1 }).run([Self.strataBinary] + arguments)
    }

    /// Runs `tools/backup/<name>` with `arguments`; `extra` adds to the environment.
    func script(_ name: String, _ arguments: [String] = [], extra: [String: String] = [:]) throws -> ProcessRunner.Output {
        try ProcessRunner(environment: environment.merging(extra) { $1 })
            .run([Self.backupDir.appendingPathComponent(name).path] + arguments)
    }

    /// Runs Python code with the bucket's endpoint and name as argv[1], argv[2].
    func python(_ code: String, _ arguments: [String] = []) throws -> ProcessRunner.Output {
        let output = try ProcessRunner(environment: environment)
            .run(["python3", "-c", code, servers.rgwEndpoint, bucket] + arguments)
        guard output.status == 0 else { throw OpsError("python failed: \(output.stderr)") }
        return output
    }

    func createBucket() throws {
        _ = try python("import boto3, sys\nboto3.client('s3', endpoint_url=sys.argv[1]).create_bucket(Bucket=sys.argv[2])")
    }

    /// Every key in the bucket outside `.strata/`, via boto3 (independent of Strata's client).
    func keys() throws -> [String] {
        let output = try python("""
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2]):
                for o in page.get("Contents", []):
                    if not o["Key"].startswith(".strata/"):
                        print(o["Key"])
            """)
        return output.stdoutText.split(separator: "\n").map(String.init).sorted()
    }

    /// Replaces an object's body, keeping its metadata (so Strata's recorded checksum no longer
    /// matches) or dropping it.
    func corrupt(_ key: String, keepMetadata: Bool) throws {
        _ = try python("""
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1])
            head = s3.head_object(Bucket=sys.argv[2], Key=sys.argv[3])
            body = s3.get_object(Bucket=sys.argv[2], Key=sys.argv[3])["Body"].read()
            bad = bytearray(body); bad[len(bad) // 2] ^= 0xFF
            meta = head.get("Metadata", {}) if sys.argv[4] == "1" else {}
            s3.put_object(Bucket=sys.argv[2], Key=sys.argv[3], Body=bytes(bad), Metadata=meta)
            """, [key, keepMetadata ? "1" : "0"])
    }

    /// Empties and removes the bucket (all versions), via boto3.
    func destroy() {
        _ = try? python("""
            import boto3, sys
            b = boto3.resource("s3", endpoint_url=sys.argv[1]).Bucket(sys.argv[2])
            b.object_versions.delete()
            for u in b.multipart_uploads.all(): u.abort()
            b.delete()
            """)
    }
}

struct OpsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// External programs the operations tests need. Outside CI a test whose tool is missing is
/// skipped (its trait says why); under `CI=true` it runs and fails, so CI never passes by skipping.
enum OpsTools {
    static func has(_ tool: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        return dirs.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    /// True when every tool is installed, or under CI (where the test then fails loudly).
    static func available(_ tools: String...) -> Bool {
        TestServers.isCI || tools.allSatisfy(has)
    }

    /// True when the S3 servers and every tool are there (or under CI).
    static func withServers(_ tools: String...) -> Bool {
        TestServers.shouldRun && (TestServers.isCI || tools.allSatisfy(has))
    }

    /// The full path of `tool`, or a thrown error naming it.
    static func require(_ tool: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        throw OpsError("\(tool) is not installed (tools/setup installs it)")
    }
}

/// A temporary directory, removed by `remove()`.
struct TempDir {
    let url: URL
    var path: String { url.path }

    init(_ purpose: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-ops-\(purpose)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` with permissions `mode`.
    ///
    /// The descriptor is opened close-on-exec. Tests run in parallel and start programs all the
    /// time, and a child that inherited a write descriptor to a stand-in script made running that
    /// script fail with ETXTBSY ("Text file busy"; seen once tests ran off the cooperative pool).
    func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
        let path = file(name)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw OpsError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw OpsError("cannot write \(path): \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(written)
        }
        // The umask may have narrowed the mode given to open(2).
        guard fchmod(fd, mode_t(mode)) == 0 else { throw OpsError("cannot chmod \(path): \(String(cString: strerror(errno)))") }
        return path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A server process a test starts (redis-server, nats-server, the HTTP stand-in) and must stop.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let log: String

    init(_ arguments: [String], log: String, environment: [String: String] = [:]) throws {
        self.log = log
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    deinit { stop() }
}

/// A free TCP port on 127.0.0.1 (bound to port 0, read back, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw OpsError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw OpsError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
func waitUntil(_ timeout: TimeInterval, _ what: String, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw OpsError("timed out after \(Int(timeout))s waiting for \(what)")
}

/// Every regular file below `directory`, as paths relative to it, sorted.
func filesBelow(_ directory: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    var files: [String] = []
    for case let relative as String in walker {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(directory)/\(relative)", isDirectory: &isDirectory), !isDirectory.boolValue {
            files.append(relative)
        }
    }
    return files.sorted()
}

/// The SHA-256 of a file, in hex (sha256sum; OpsTests has no crypto dependency).
func sha256(_ path: String) throws -> String {
    let output = try ProcessRunner().run(["sha256sum", path])
    guard output.status == 0, let hash = output.stdoutText.split(separator: " ").first else {
        throw OpsError("sha256sum \(path): \(output.stderr)")
    }
    return String(hash)
}

/// Runs tools/backup's scripts with a stub in place of `strata` that records every call and
/// exits with `status` (default: fails): for tests of failures, which must stop before anything is
/// uploaded, and of what the scripts report (no S3 needed).
struct StubStrata {
    let dir: TempDir
    let stub: String

    static func with(status: Int = 1, _ body: (StubStrata) throws -> Void) throws {
        let dir = try TempDir("stub")
        defer { dir.remove() }
        let stub = try dir.write("strata", "#!/bin/bash\nprintf '%s\\n' \"strata $*\" >> '\(dir.file("calls"))'\nexit \(status)\n", mode: 0o755)
        try body(StubStrata(dir: dir, stub: stub))
    }

    /// Runs `tools/backup/<name>` with `arguments`; `extra` adds to the environment.
    func script(_ name: String, _ arguments: [String] = [], extra: [String: String] = [:]) throws -> ProcessRunner.Output {
        try ProcessRunner(environment: ["STRATA_BIN": stub, "STRATA_BUCKET": "never-used"].merging(extra) { $1 })
            .run([OpsHarness.backupDir.appendingPathComponent(name).path] + arguments)
    }

    /// Every `strata` command the scripts ran.
    var calls: [String] {
        ((try? String(contentsOfFile: dir.file("calls"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
