import ArgumentParser
import Foundation
import Logging
import Retention
import StrataKit

/// Where to connect: shared by every command that talks to S3. Each flag falls back to
/// `strata.yaml` and then to the aws cli's environment variables.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Bucket holding the backups (strata.yaml: bucket, env: STRATA_BUCKET).")
    var bucket: String?

    @Option(name: .customLong("endpoint-url"), help: "S3 endpoint for RGW/MinIO/Ceph (env: AWS_ENDPOINT_URL). Path-style is used.")
    var endpointURL: String?

    @Option(help: "Region to sign for (env: AWS_REGION, AWS_DEFAULT_REGION; default us-east-1).")
    var region: String?

    @Option(help: "Credentials profile from ~/.aws (env: AWS_PROFILE).")
    var profile: String?

    @Option(help: "Directory of policy files (default ./policies).")
    var policies: String?

    @Option(name: .customLong("config"), help: "Settings file (default ./strata.yaml when present).")
    var configFile: String?

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow plain http to an endpoint that is not loopback.")
    var allowInsecureHTTP = false

    @Flag(name: .customLong("insecure-skip-tls-verify"),
          help: "Do not verify the endpoint's TLS certificate (test servers with self-signed certificates only).")
    var insecureSkipTLSVerify = false

    /// The settings; says on standard error when they switch off TLS verification, on every run,
    /// whatever the log level, so an unverified connection is never silent.
    func settings() throws -> StrataSettings {
        let settings = try StrataSettings.resolve(
            flags: .init(bucket: bucket, endpointURL: endpointURL, region: region, profile: profile, policies: policies,
                         configFile: configFile, allowInsecureHTTP: allowInsecureHTTP,
                         insecureSkipTLSVerify: insecureSkipTLSVerify),
            environment: ProcessInfo.processInfo.environment)
        if settings.insecureSkipTLSVerify {
            let source = insecureSkipTLSVerify ? "--insecure-skip-tls-verify" : "insecure_skip_tls_verify in \(configFile ?? "")"
            printWarning("TLS certificate verification is off (\(source)): the endpoint is not authenticated")
        }
        return settings
    }
}

/// How to print and log: shared by every command.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON instead of tables.")
    var json = false

    @Option(name: .customLong("log-format"), help: "Log format on standard error: text or json.")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    @Option(name: .customLong("color"), help: "Colours: auto (only on a terminal, not with NO_COLOR), always or never.")
    var color: Terminal.ColorChoice = .auto

    /// Where output goes this run: colours and progress bars only on a terminal.
    var terminal: Terminal {
        Terminal.detect(choice: color, json: json, environment: ProcessInfo.processInfo.environment)
    }

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func logger() -> Logger {
        var logger: Logger
        switch logFormat {
        case .text: logger = Logger(label: "strata", factory: { StreamLogHandler(label: $0, stream: TerminalLogStream()) })
        case .json: logger = Logger(label: "strata", factory: { JSONLogHandler(label: $0) })
        }
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Runs a command body, turning failures into one line on standard error and the documented
/// exit code (docs/cli.md): 1 failure, 2 usage or configuration, 3 blocked by a guard, 4 lock held.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as StrataError {
        try? FileHandle.standardError.write(contentsOf: Data("strata: \(errorLabel()) \(TerminalText.escapedLines(error.message))\n".utf8))
        throw ExitCode(error.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        // S3's errors name keys and carry the server's message: shown escaped.
        try? FileHandle.standardError.write(contentsOf: Data("strata: \(errorLabel()) \(TerminalText.escapedLines(String(describing: error)))\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints `strata: warning: <message>` on standard error, whatever the log level.
func printWarning(_ message: String) {
    try? FileHandle.standardError.write(contentsOf: Data("strata: warning: \(message)\n".utf8))
}

/// `error:`, in red when standard error is a terminal and `NO_COLOR` is unset.
private func errorLabel() -> String {
    let terminal = Terminal.detect(choice: .auto, json: false, environment: ProcessInfo.processInfo.environment)
    return terminal.colouredErrors ? Terminal.paint("error:", .boldRed) : "error:"
}

/// Parses `--now`/`--time` values: ISO 8601 (`2026-11-25T02:00:00Z`) or a date (`2026-11-25`, UTC midnight).
func parseInstant(_ text: String, option: String) throws -> Date {
    if let date = ISO8601DateFormatter().date(from: text) { return date }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"] {
        formatter.dateFormat = format
        if let date = formatter.date(from: text) { return date }
    }
    throw StrataError(.configuration, "\(option) '\(text)': expected ISO 8601 time such as 2026-11-25T02:00:00Z or a date such as 2026-11-25")
}

/// Writes `text` to standard output.
func emit(_ text: String) {
    emitRaw(text.hasSuffix("\n") ? text : text + "\n")
}

/// Writes `text` to standard output as is. A reader that went away (`strata ... | head`, EPIPE)
/// is not an error: the rest of the output is dropped and the command finishes its work, since
/// stopping a sweep halfway because nobody reads its report would be worse.
func emitRaw(_ text: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
}
