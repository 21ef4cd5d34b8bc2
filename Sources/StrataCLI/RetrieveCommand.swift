import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit
import Synchronization

/// `strata retrieve`: restore one backup set from the archive classes and download it.
struct RetrieveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve",
        abstract: "Restore a backup set from GLACIER/DEEP_ARCHIVE and download it.",
        discussion: """
            Picks the newest kept set at or before --at (or the set named by --set), asks S3 to \
            restore its archived objects (a restore already running is not requested again) and \
            prints each object's state. With --wait it polls until every object is readable and \
            downloads them all, verified, below --to (keys keep their path below the component's \
            prefix; no file is ever left half-written). Symbolic links below --to are never \
            followed, and a set whose keys are not one file each (x//y and x/y, a and a/b) is \
            refused before anything is written. For pgBackRest the referenced sets, info files and \
            the set's WAL range are included. Exit codes: 0 ok, 1 failure (no such set, S3 error, \
            checksum mismatch, --timeout reached, a key that cannot be a file, a link below \
            --to), 2 usage/config (unknown component, an empty --to).
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Component to retrieve from (as named in its policy).")
    var component: String

    @Option(help: "The newest kept set at or before this time (ISO 8601 or a date).")
    var at: String?

    @Option(name: .customLong("set"), help: "The set with this id (as `strata sweep --all` lists it).")
    var setID: String?

    @Option(help: "Only sets of this series.")
    var series: String?

    @Option(help: "Directory to download into (needed with --wait).")
    var to: String?

    @Option(help: "Restore speed: Bulk, Standard or Expedited.")
    var tier: RestoreTier = .standard

    @Option(help: "Days the restored copies stay readable.")
    var days: Int = 3

    @Flag(help: "Wait until every object is restored, then download the set into --to.")
    var wait = false

    @Option(name: .customLong("poll-interval"), help: "Seconds before the first poll while waiting (doubles up to --max-poll-interval).")
    var pollInterval: Int = 60

    @Option(name: .customLong("max-poll-interval"), help: "Longest wait between polls, in seconds.")
    var maxPollInterval: Int = 900

    @Option(help: "Give up waiting after this many seconds (exit 1; rerun later, nothing is requested twice).")
    var timeout: Int?

    func validate() throws {
        guard (at == nil) != (setID == nil) else { throw ValidationError("pass exactly one of --at TIME or --set ID") }
        if wait, to == nil { throw ValidationError("--wait downloads the set: pass --to DIR") }
        // "" would be taken as the root: "" + "/" + the key's path.
        if to?.isEmpty == true { throw ValidationError("--to is empty: name the directory to download into (. for the current one)") }
        guard pollInterval >= 1, maxPollInterval >= pollInterval else {
            throw ValidationError("--poll-interval must be at least 1 and at most --max-poll-interval")
        }
    }

    func run() async throws {
        try await runReportingErrors {
            let settings = try connection.settings()
            let selector = try at.map { Retriever.Selector.at(try parseInstant($0, option: "--at")) } ?? .id(setID ?? "")
            let environment = ProcessInfo.processInfo.environment
            try await StrataContext.with(settings: settings, environment: environment, logger: output.logger()) { context in
                var retriever = Retriever(context: context)
                retriever.tier = tier
                retriever.days = days
                retriever.backoff = .init(initial: .seconds(pollInterval), maximum: .seconds(maxPollInterval),
                                          timeout: timeout.map { .seconds($0) })
                let quiet = output.json
                let terminal = output.terminal
                let waiting = ProgressBar(label: "restoring", total: 0, unit: .objects, enabled: terminal.progress)
                let downloading = Mutex<ProgressBar?>(nil)
                defer {
                    waiting.finish()
                    downloading.withLock { $0?.finish() }
                }
                retriever.progress = { event in
                    guard !quiet else { return }
                    switch event {
                    case .waiting(let ready, let total, let next):
                        if terminal.progress {
                            waiting.update(done: Int64(ready), total: Int64(total), note: "next check in \(next)")
                        } else {
                            try? FileHandle.standardError.write(contentsOf: Data("waiting: \(ready)/\(total) objects readable, next check in \(next)\n".utf8))
                        }
                    case .downloading(let objects, let bytes):
                        waiting.finish()
                        let bar = ProgressBar(label: "download \(objects) objects", total: bytes, unit: .bytes, enabled: terminal.progress)
                        bar.update(done: 0)
                        downloading.withLock { $0 = bar }
                    case .wrote(let key, let size):
                        if terminal.progress {
                            downloading.withLock { $0?.advance(by: size) }
                        } else {
                            try? FileHandle.standardError.write(contentsOf: Data("wrote \(shown: key) (\(size) bytes)\n".utf8))
                        }
                    }
                }
                let report = try await retriever.retrieve(component: component, selector: selector, series: series,
                                                          destination: wait ? to : nil)
                waiting.finish()
                downloading.withLock { $0?.finish() }
                if output.json {
                    emit(String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self))
                    return
                }
                emit("set \(shown: report.setID) of \(shown: report.component) (\(JSONCoding.timestamp(report.time))): \(report.members.count) objects")
                for member in report.members {
                    emit("  \(member.state.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(TerminalText.escaped(member.storageClass).padding(toLength: 12, withPad: " ", startingAt: 0)) \(member.size)\t\(shown: member.key)")
                }
                for note in report.notes { emit("note: \(shown: note)") }
                if wait {
                    for file in report.written { emit("wrote \(shown: file.path) \(file.size) bytes, verified: \(file.verification)") }
                } else if report.allReadable {
                    emit("all objects readable: rerun with --wait --to DIR to download")
                } else {
                    emit("restores pending: rerun later (or with --wait --to DIR) to download; nothing is requested twice")
                }
            }
        }
    }
}

extension RestoreTier: ExpressibleByArgument {
    /// Accepts `Bulk`, `standard`, `EXPEDITED`, ...
    public init?(argument: String) {
        guard let tier = RestoreTier.allCases.first(where: { $0.rawValue.lowercased() == argument.lowercased() }) else {
            return nil
        }
        self = tier
    }

    /// The names to show in help.
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }

    /// The default as given on the command line.
    public var defaultValueDescription: String { rawValue }
}
