import Foundation

/// Runs an external program (curl, python3, the aws cli, the `strata` binary) from a test and
/// captures what it printed.
public struct ProcessRunner: Sendable {
    /// What a finished program left behind.
    public struct Output: Sendable {
        /// Exit status (or the terminating signal's number, negated).
        public var status: Int32
        /// Everything written to standard output.
        public var stdout: Data
        /// Everything written to standard error, decoded as UTF-8.
        public var stderr: String
        /// Standard output decoded as UTF-8.
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

        /// An output as given (for programs that could not be started at all).
        public init(status: Int32, stdout: Data, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Extra environment variables, added to (and overriding) this process's environment.
    public var environment: [String: String]

    /// A runner that adds `environment` to the inherited environment.
    public init(environment: [String: String] = [:]) {
        self.environment = environment
    }

    /// Runs `arguments[0]` (looked up on `PATH`) with the rest as its arguments, feeding `stdin`.
    public func run(_ arguments: [String], stdin: Data? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        // Drain both pipes concurrently so a chatty program cannot block on a full pipe.
        let errData = DataBox()
        let errThread = Thread { errData.value = errPipe.fileHandleForReading.readDataToEndOfFile() }
        errThread.start()
        if let stdin { inPipe.fileHandleForWriting.write(stdin) }
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { Thread.sleep(forTimeInterval: 0.001) }
        let status = process.terminationReason == .uncaughtSignal
            ? -process.terminationStatus : process.terminationStatus
        return Output(status: status, stdout: out, stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

/// A one-shot box the stderr reader fills; read only after `isSet`.
private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    var value: Data {
        get { lock.withLock { stored ?? Data() } }
        set { lock.withLock { stored = newValue } }
    }
    var isSet: Bool { lock.withLock { stored != nil } }
}
