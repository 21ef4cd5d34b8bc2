import Foundation
import StrataTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// What the PostgreSQL round trip needs installed (tools/setup installs it on Debian).
struct PostgresTools: Sendable {
    /// PostgreSQL 15's `bin` directory (initdb, pg_ctl, psql).
    var bin: URL
    /// libfaketime, preloaded into the server so backup labels span years.
    var fakeTimeLibrary: String
    /// pgBackRest on PATH.
    var pgbackrest: String

    /// The tools, or what is missing.
    static func find() -> Result<PostgresTools, ClusterError> {
        let fm = FileManager.default
        let bin = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin")
        guard fm.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) else {
            return .failure(ClusterError("PostgreSQL 15 is not installed (no /usr/lib/postgresql/15/bin/initdb): run tools/setup"))
        }
        let libraries = ["x86_64-linux-gnu", "aarch64-linux-gnu"].map { "/usr/lib/\($0)/faketime/libfaketime.so.1" }
        guard let fakeTime = libraries.first(where: { fm.fileExists(atPath: $0) }) else {
            return .failure(ClusterError("libfaketime is not installed (Debian package faketime): run tools/setup"))
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let pgbackrest = path.split(separator: ":").map({ "\($0)/pgbackrest" }).first(where: { fm.isExecutableFile(atPath: $0) }) else {
            return .failure(ClusterError("pgbackrest is not installed: run tools/setup"))
        }
        guard fm.isExecutableFile(atPath: "/usr/bin/python3") else {
            return .failure(ClusterError("/usr/bin/python3 is missing (starts servers without the test's descriptors)"))
        }
        return .success(PostgresTools(bin: bin, fakeTimeLibrary: fakeTime, pgbackrest: pgbackrest))
    }

    /// Run the round trip when the servers are configured and the tools are installed, or under CI
    /// (where missing tools must fail the test, not skip it).
    static var shouldRun: Bool {
        guard TestServers.shouldRun else { return false }
        if TestServers.isCI { return true }
        if case .success = find() { return true }
        return false
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A throwaway PostgreSQL 15 cluster whose pgBackRest stanza `mind` keeps its repository in a
/// bucket of the local RGW (repo1-type=s3 over the RGW's TLS port, path-style, certificate not
/// verified), driven through `tools/backup/postgresql` as operators do.
///
/// Everything lives in one private temporary directory owned by `postgres` (initdb refuses root;
/// as root every PostgreSQL and pgBackRest command runs through `runuser -u postgres`). The
/// server listens on no TCP port (`listen_addresses = ''`): its port only names its Unix socket
/// in that private directory, so clusters of parallel runs cannot collide. `destroy()` stops every
/// server this cluster started, removes the directory and the bucket.
///
/// With a cipher passphrase the repository is encrypted (`repo1-cipher-type=aes-256-cbc`): the
/// passphrase reaches pgBackRest only through `PGBACKREST_REPO1_CIPHER_PASS` in the environment of
/// pgBackRest's commands and of the PostgreSQL server (whose `archive_command` runs
/// `archive-push`), never through a configuration file or an argument, as in the deploy manifests.
/// `strata` never gets the variable: it reads the passphrase from its policy's `cipher_pass`.
final class PgBackRestCluster: @unchecked Sendable {
    let tools: PostgresTools
    let servers: TestServers
    let bucket: String
    let root: URL
    let config: URL
    let primaryData: URL
    let socketDirectory: URL
    let primaryPort = 5432
    /// Restored clusters use this port and the ones after it (one per concurrent restore).
    let restorePort = 5433
    private var running: Set<String> = []
    private let lock = NSLock()
    private let asRoot = geteuid() == 0

    /// The `tools/backup/postgresql` script under test.
    static let script = RepositoryPaths.root.appendingPathComponent("tools/backup/postgresql").path
    static let s3Helper = RepositoryPaths.fixtures.appendingPathComponent("pgbackrest/s3.py").path

    /// `python3 -c` this `PROGRAM ARGS...`: closes every descriptor above 2, then execs PROGRAM.
    static let closeDescriptorsAndExec = "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"

    /// Environment of every command: the repository keys for pgBackRest (from the environment,
    /// never arguments), the aws cli's variables for the boto3 helper and strata, and UTC.
    let environment: [String: String]
    /// The repository's cipher passphrase (nil: a plain repository).
    let cipherPass: String?
    /// Environment of PostgreSQL and pgBackRest (`asPostgres`): `environment` and, for an
    /// encrypted repository, `PGBACKREST_REPO1_CIPHER_PASS`.
    private let postgresEnvironment: [String: String]

    /// A cluster whose repository is encrypted with `cipherPass` when one is given.
    init(tools: PostgresTools, servers: TestServers, bucket: String, cipherPass: String? = nil) throws {
        self.tools = tools
        self.servers = servers
        self.bucket = bucket
        self.cipherPass = cipherPass
        let env = ProcessInfo.processInfo.environment
        guard let tls = env["STRATA_TEST_RGW_TLS_ENDPOINT"], let tlsURL = URL(string: tls),
              let tlsHost = tlsURL.host, let tlsPort = tlsURL.port else {
            throw ClusterError("STRATA_TEST_RGW_TLS_ENDPOINT is not set (pgBackRest talks to S3 over TLS only): eval \"$(tools/s3-server env)\" after tools/s3-server up")
        }
        environment = [
            "PGBACKREST_REPO1_S3_KEY": servers.accessKey, "PGBACKREST_REPO1_S3_KEY_SECRET": servers.secretKey,
            "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey,
            "AWS_REGION": servers.region, "AWS_DEFAULT_REGION": servers.region, "AWS_EC2_METADATA_DISABLED": "true",
            "TZ": "UTC", "LC_ALL": "C.UTF-8",
        ]
        postgresEnvironment = environment.merging(cipherPass.map { ["PGBACKREST_REPO1_CIPHER_PASS": $0] } ?? [:]) { $1 }
        // initdb, pg_ctl and pgBackRest write to /dev/null as postgres. A root process that moves
        // a file onto /dev/null (mv, rename(2)) leaves a root-owned regular file there instead.
        var devNull = stat()
        guard stat("/dev/null", &devNull) == 0, devNull.st_mode & S_IFMT == S_IFCHR else {
            throw ClusterError("/dev/null is not the null device (something moved a file onto it); as root: rm /dev/null && mknod -m 666 /dev/null c 1 3")
        }
        let short = UUID().uuidString.lowercased().prefix(8)
        root = URL(fileURLWithPath: "/tmp/strata-pgbr-\(short)")
        config = root.appendingPathComponent("pgbackrest.conf")
        primaryData = root.appendingPathComponent("data")
        socketDirectory = root.appendingPathComponent("sock")
        // Whatever was made before a failure (directory, bucket) goes again.
        do {
            let fm = FileManager.default
            for sub in ["log", "lock", "spool", "sock", "tmp"] {
                try fm.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            try """
            [global]
            repo1-type=s3
            repo1-path=/postgresql
            repo1-s3-bucket=\(bucket)
            repo1-s3-endpoint=\(tlsHost)
            repo1-storage-port=\(tlsPort)
            repo1-storage-verify-tls=n
            repo1-s3-uri-style=path
            repo1-s3-region=\(servers.region)
            \(cipherPass == nil ? "" : "repo1-cipher-type=aes-256-cbc\n")log-path=\(root.path)/log
            lock-path=\(root.path)/lock
            spool-path=\(root.path)/spool
            log-level-console=warn
            start-fast=y
            compress-level=1
            process-max=8

            [mind]
            pg1-path=\(primaryData.path)
            pg1-port=\(primaryPort)
            pg1-socket-path=\(socketDirectory.path)

            """.write(to: config, atomically: true, encoding: .utf8)
            try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root.path)
            if asRoot { try check(run(["chown", "-R", "postgres:postgres", root.path]), "chown") }
            try check(s3(["create", bucket]), "creating bucket \(bucket)")
            try check(asPostgres([tools.bin.appendingPathComponent("initdb").path, "-D", primaryData.path,
                                  "-A", "trust", "-U", "postgres", "--no-sync"]), "initdb")
            // The primary: WAL archived with pgBackRest, which must run on the real clock (a faked
            // x-amz-date makes RGW refuse the request), so the fake clock is stripped from it.
            let conf = primaryData.appendingPathComponent("postgresql.conf")
            let text = try String(contentsOf: conf, encoding: .utf8) + """

            port = \(primaryPort)
            unix_socket_directories = '\(socketDirectory.path)'
            listen_addresses = ''
            wal_level = replica
            archive_mode = on
            archive_command = 'env -u LD_PRELOAD -u FAKETIME \(tools.pgbackrest) --config=\(config.path) --stanza=mind archive-push %p'
            max_wal_senders = 0
            fsync = off

            """
            try text.write(to: conf, atomically: false, encoding: .utf8)
        } catch {
            destroy()
            throw error
        }
    }

    // MARK: running things

    func run(_ arguments: [String]) throws -> CommandOutput {
        try Command.run(arguments, environment: environment)
    }

    /// Runs as `postgres` (through runuser when root; the environment, keys and cipher passphrase
    /// included, is kept). `extra` (never secrets: they would be arguments) is set with env(1)
    /// after runuser, so only the command sees it (runuser itself must not run on a fake clock).
    func asPostgres(_ arguments: [String], extra: [String: String] = [:]) throws -> CommandOutput {
        let assignments = extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let command = (assignments.isEmpty ? [] : ["env"] + assignments) + arguments
        return try Command.run(asRoot ? ["runuser", "-u", "postgres", "--"] + command : command, environment: postgresEnvironment)
    }

    /// `tools/backup/postgresql --config <ours> ARGS`, as `postgres`.
    func backupScript(_ arguments: [String]) throws -> CommandOutput {
        try asPostgres([Self.script, "--config", config.path] + arguments, extra: ["TMPDIR": root.appendingPathComponent("tmp").path])
    }

    /// pgBackRest itself with our configuration, as `postgres`.
    func pgbackrest(_ arguments: [String]) throws -> CommandOutput {
        try asPostgres([tools.pgbackrest, "--config=\(config.path)", "--stanza=mind"] + arguments)
    }

    /// The boto3 helper (Tests/Fixtures/pgbackrest/s3.py) against the RGW's plain-HTTP endpoint.
    func s3(_ arguments: [String]) throws -> CommandOutput {
        try run(["python3", Self.s3Helper, servers.rgwEndpoint] + arguments)
    }

    /// Every key under `prefix` in the bucket.
    func keys(under prefix: String) throws -> [String] {
        let output = try s3(["keys", bucket, prefix])
        try check(output, "listing \(prefix)")
        return output.stdoutText.split(separator: "\n").map(String.init)
    }

    /// An object in the bucket and its size in bytes.
    struct Object: Equatable, Sendable {
        var key: String
        var size: Int64
    }

    /// Every object under `prefix`, with its size (boto3, independent of Strata's client).
    func objects(under prefix: String) throws -> [Object] {
        let output = try check(bucketScript("sizes", prefix), "listing \(prefix) with sizes")
        return try output.stdoutText.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let size = Int64(fields[1]) else { throw ClusterError("not a key and a size: \(line)") }
            return Object(key: String(fields[0]), size: size)
        }
    }

    /// The first `count` bytes of the object `key`.
    func head(_ key: String, _ count: Int) throws -> Data {
        try check(bucketScript("head", key, String(count)), "reading \(key)").stdout
    }

    /// The bodies of every object under `prefix`, one after another.
    func bodies(under prefix: String) throws -> Data {
        try check(bucketScript("bodies", prefix), "reading \(prefix)").stdout
    }

    /// What the boto3 helper (Tests/Fixtures/pgbackrest/s3.py) does not do: sizes, a ranged read,
    /// whole bodies.
    private func bucketScript(_ command: String, _ arguments: String...) throws -> CommandOutput {
        let code = """
            import boto3, sys
            endpoint, bucket, command, arg = sys.argv[1:5]
            s3 = boto3.client("s3", endpoint_url=endpoint)
            out = sys.stdout.buffer
            if command == "sizes":
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=arg):
                    for item in page.get("Contents", []):
                        out.write(f"{item['Key']}\\t{item['Size']}\\n".encode())
            elif command == "head":
                out.write(s3.get_object(Bucket=bucket, Key=arg, Range=f"bytes=0-{int(sys.argv[5]) - 1}")["Body"].read())
            elif command == "bodies":
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=arg):
                    for item in page.get("Contents", []):
                        out.write(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            """
        return try run(["python3", "-c", code, servers.rgwEndpoint, bucket, command] + arguments)
    }

    // MARK: strata's policies and the passphrase

    /// A random cipher passphrase (48 random bytes in base64, as `openssl rand -base64 48` makes
    /// them), new for every run.
    static func randomCipherPass() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
    }

    /// Writes `text` to `name` in the cluster's directory, readable by its owner only (0600; the
    /// descriptor close-on-exec), and returns the path.
    func writePrivateFile(_ name: String, _ text: String) throws -> String {
        let path = root.appendingPathComponent(name).path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ClusterError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw ClusterError("cannot write \(path): \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(written)
        }
        guard fchmod(fd, 0o600) == 0 else { throw ClusterError("cannot chmod \(path): \(String(cString: strerror(errno)))") }
        return path
    }

    /// A copy of the repository's policies in the cluster's directory (`name`), whose
    /// postgresql.yaml reads the cipher passphrase from `cipherPassFile`
    /// (`cipher_pass: {file: ...}` in place of the shipped one); returns the directory.
    func policies(_ name: String, cipherPassFile: String) throws -> URL {
        let fm = FileManager.default
        let source = RepositoryPaths.root.appendingPathComponent("policies")
        let target = root.appendingPathComponent(name)
        try fm.createDirectory(at: target, withIntermediateDirectories: false)
        for file in try fm.contentsOfDirectory(atPath: source.path) where file.hasSuffix(".yaml") {
            var text = try String(contentsOf: source.appendingPathComponent(file), encoding: .utf8)
            if file == "postgresql.yaml" { text = Self.replacingCipherPass(in: text, file: cipherPassFile) }
            try text.write(to: target.appendingPathComponent(file), atomically: false, encoding: .utf8)
        }
        return target
    }

    /// `policy` without its top-level `cipher_pass` entry (flow or block style), then
    /// `cipher_pass: {file: "<file>"}`.
    static func replacingCipherPass(in policy: String, file: String) -> String {
        var lines: [Substring] = []
        var skipping = false
        for line in policy.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("cipher_pass:") { skipping = true; continue }
            // A block mapping's entries are indented under it.
            if skipping, line.first == " " || line.first == "\t" { continue }
            skipping = false
            lines.append(line)
        }
        var text = lines.joined(separator: "\n")
        if !text.hasSuffix("\n") { text += "\n" }
        let quoted = file.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return text + "cipher_pass: {file: \"\(quoted)\"}\n"
    }

    @discardableResult
    func check(_ output: CommandOutput, _ what: String) throws -> CommandOutput {
        guard output.status == 0 else {
            throw ClusterError("\(what) failed (exit \(output.status)): \(output.stderr.suffix(2_000))")
        }
        return output
    }

    // MARK: servers

    /// Starts the primary with its clock at `fakeTime` (`2024-01-15 02:00:00`, UTC).
    func startPrimary(at fakeTime: String) throws {
        try startServer(data: primaryData, log: "primary.log",
                        extra: ["FAKETIME": "@\(fakeTime)", "LD_PRELOAD": tools.fakeTimeLibrary])
    }

    func stopPrimary() throws { try stopServer(data: primaryData, mode: "fast") }

    private func startServer(data: URL, log: String, options: String? = nil, extra: [String: String] = [:]) throws {
        var arguments = [tools.bin.appendingPathComponent("pg_ctl").path, "-D", data.path,
                         "-l", root.appendingPathComponent("log/\(log)").path, "-w", "-t", "120"]
        if let options { arguments += ["-o", options] }
        lock.withLock { _ = running.insert(data.path) }
        // The server outlives this command: it must hold no descriptor this test process (or a
        // test running beside it) has open, or their readers would wait for it to stop.
        let output = try asPostgres(["/usr/bin/python3", "-c", Self.closeDescriptorsAndExec] + arguments + ["start"], extra: extra)
        guard output.status == 0 else {
            throw ClusterError("pg_ctl start of \(data.lastPathComponent) failed: \(output.stderr)\n\(logTail(log))")
        }
    }

    private func stopServer(data: URL, mode: String) throws {
        try check(asPostgres([tools.bin.appendingPathComponent("pg_ctl").path, "-D", data.path, "-m", mode, "-w", "stop"]),
                  "pg_ctl stop of \(data.lastPathComponent)")
        lock.withLock { _ = running.remove(data.path) }
    }

    func logTail(_ name: String) -> String {
        let text = (try? String(contentsOf: root.appendingPathComponent("log/\(name)"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    /// One SQL statement through psql; its unaligned, tuples-only output.
    func sql(_ statement: String, port: Int? = nil) throws -> String {
        let output = try check(asPostgres([tools.bin.appendingPathComponent("psql").path, "-h", socketDirectory.path,
                                           "-p", String(port ?? primaryPort), "-U", "postgres", "-d", "postgres",
                                           "-At", "-v", "ON_ERROR_STOP=1", "-c", statement]), "psql \(statement)")
        return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: restore

    enum RecoveryTarget {
        /// Stop as soon as the set is consistent.
        case immediate
        /// Point-in-time recovery to a timestamp (`2025-05-20 02:00:04.97+00`).
        case time(String)
    }

    /// Restores `label` with pgBackRest into a fresh directory, starts it (no archiving, on
    /// `restorePort + slot`), waits until it has promoted and returns the rows of `marks`, in
    /// order. Throws with pgBackRest's or PostgreSQL's own message when any step fails; the
    /// restored cluster is stopped and removed either way. Restores in different slots may run
    /// at the same time.
    func restoreAndReadMarks(label: String, target: RecoveryTarget, slot: Int = 0) throws -> [String] {
        let port = restorePort + slot
        let data = root.appendingPathComponent("restore-\(label)")
        let log = "restore-\(label).log"
        try? FileManager.default.removeItem(at: data)
        try check(asPostgres(["mkdir", "-m", "700", data.path]), "mkdir \(data.lastPathComponent)")
        defer {
            if lock.withLock({ running.contains(data.path) }) { try? stopServer(data: data, mode: "immediate") }
            try? FileManager.default.removeItem(at: data)
        }
        var arguments = ["--set=\(label)", "--pg1-path=\(data.path)", "--target-action=promote",
                         "--process-max=12", "--job-retry=0", "--log-level-console=error"]
        switch target {
        case .immediate: arguments.append("--type=immediate")
        case .time(let time): arguments += ["--type=time", "--target=\(time)"]
        }
        let started = Date()
        let restore = try pgbackrest(arguments + ["restore"])
        let restored = Date()
        guard restore.status == 0 else {
            throw ClusterError("pgbackrest restore --set=\(label) failed (exit \(restore.status)): \(restore.stderr.prefix(1_000))")
        }
        // The restored postgresql.conf is the primary's: another port, and no archiving into
        // the repository from a cluster that is only being checked.
        try startServer(data: data, log: log,
                        options: "-c port=\(port) -c archive_mode=off -c unix_socket_directories=\(socketDirectory.path)")
        let deadline = Date().addingTimeInterval(60)
        while try sql("select pg_is_in_recovery()", port: port) != "f" {
            guard Date() < deadline else { throw ClusterError("\(label) never left recovery:\n\(logTail(log))") }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let rows = try sql("select coalesce(string_agg(name, ',' order by id), '') from marks", port: port)
        print(String(format: "PgBackRestRoundTrip: restored %@: pgbackrest restore %.1f s, recovery and promotion %.1f s",
                     label, restored.timeIntervalSince(started), Date().timeIntervalSince(restored)))
        return rows.isEmpty ? [] : rows.split(separator: ",").map(String.init)
    }

    /// Stops every server this cluster started, removes its directory and the bucket.
    func destroy() {
        for data in lock.withLock({ running }) {
            _ = try? asPostgres([tools.bin.appendingPathComponent("pg_ctl").path, "-D", data, "-m", "immediate", "-w", "stop"])
        }
        running.removeAll()
        try? FileManager.default.removeItem(at: root)
        _ = try? s3(["destroy", bucket])
    }
}

/// What a finished command left behind.
struct CommandOutput: Sendable {
    /// Exit status, or the terminating signal's number negated.
    var status: Int32
    var stdout: Data
    var stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program with posix_spawn and waits for it with waitpid(2).
///
/// Not Foundation's Process: with `pg_ctl start` (a command that leaves a daemon behind, run
/// through runuser) its waitUntilExit() was seen to hang forever on an exited, unreaped child.
/// Here the child gets an empty standard input, captured output and a time limit.
enum Command {
    static func run(_ arguments: [String], environment: [String: String], timeout: TimeInterval = 300) throws -> CommandOutput {
        precondition(!arguments.isEmpty)
        var stdinPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw ClusterError("pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by programs other threads start (the child gets them as 0, 1, 2).
        for fd in stdinPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv = arguments.map { strdup($0) } + [nil]
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        for fd in [stdinPipe[0], stdinPipe[1], outPipe[1], errPipe[1]] { close(fd) }
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw ClusterError("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        // Read both pipes until both reach EOF (or time runs out), then reap the child.
        var out = Data(), err = Data()
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0), pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        let deadline = Date().addingTimeInterval(timeout)
        var open = 2, timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open > 0 {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { timedOut = true; kill(pid, SIGKILL); break }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buffer, buffer.count)
                if n > 0 {
                    if i == 0 { out.append(contentsOf: buffer[0..<n]) } else { err.append(contentsOf: buffer[0..<n]) }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(fds[i].fd); fds[i].fd = -1; open -= 1
                }
            }
        }
        for entry in fds where entry.fd >= 0 { close(entry.fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut {
            throw ClusterError("\(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; killed. stderr: \(String(decoding: err.suffix(1_000), as: UTF8.self))")
        }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        return CommandOutput(status: code, stdout: out, stderr: String(decoding: err, as: UTF8.self))
    }
}
