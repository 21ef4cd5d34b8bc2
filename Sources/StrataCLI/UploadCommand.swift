import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit

/// `strata upload`: store backup files under the component's policy.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload backup files under the keys and storage class of a component's policy.",
        discussion: "Keys come from the policy's upload.key template; an existing key is never overwritten. Large files go up in parallel parts; a checksum is stored with each object.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Component whose policy names the keys.")
    var component: String

    @Option(help: "Backup time for the key (ISO 8601). Default: now.")
    var time: String?

    @Option(help: "Series for templates with {series} (collection, stream, namespace).")
    var series: String?

    @Option(name: .customLong("checkpoint-dir"),
            help: ArgumentHelp("Record multipart uploads here so a run cut short resumes (same --time) instead of starting over.",
                               valueName: "dir"))
    var checkpointDirectory: String?

    @Argument(help: "Files to upload.")
    var files: [String]

    func run() async throws {
        try await runReportingErrors {
            let instant = try time.map { try parseInstant($0, option: "--time") } ?? Date()
            try await StrataContext.with(settings: try connection.settings(), environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger()) { context in
                let bars = UploadBars(enabled: output.terminal.progress)
                defer { bars.finish() }
                let results = try await Uploader(context: context).upload(component: component, files: files,
                                                                          time: instant, series: series,
                                                                          checkpoints: checkpointDirectory.map(UploadCheckpoints.init),
                                                                          progress: bars.update)
                bars.finish()
                if output.json {
                    let rows = results.map { ["key": $0.key, "size": String($0.size), "checksum": $0.checksum.description] }
                    emit(String(decoding: try JSONCoding.encoder.encode(rows), as: UTF8.self))
                } else {
                    for result in results {
                        emit("uploaded s3://\(shown: context.bucket)/\(shown: result.key) (\(result.size) bytes, \(result.parts) part\(result.parts == 1 ? "" : "s"), \(result.checksum))")
                    }
                }
            }
        }
    }
}
