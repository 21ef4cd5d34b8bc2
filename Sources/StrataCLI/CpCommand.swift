import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit

/// `strata cp SRC DST`: upload a file to S3 or download an object, with parallel parts and checksums.
struct CpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp", abstract: "Copy a local file to s3://bucket/key or an object to a local file.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("storage-class"), help: "Storage class for uploads.")
    var storageClass: String?

    @Option(name: .customLong("part-size-mib"), help: "Part size in MiB for multipart transfers.")
    var partSizeMiB: Int = 16

    @Option(help: "Parts in flight at once.")
    var concurrency: Int = 8

    @Option(name: .customLong("checkpoint-dir"),
            help: ArgumentHelp("Record multipart uploads here so an upload cut short resumes from the parts S3 holds.",
                               valueName: "dir"))
    var checkpointDirectory: String?

    @Argument(help: "Source: a file or s3://bucket/key.")
    var source: String

    @Argument(help: "Destination: s3://bucket/key or a file.")
    var destination: String

    func run() async throws {
        try await runReportingErrors {
            let from = S3URL(source)
            let to = S3URL(destination)
            guard !source.isEmpty, !destination.isEmpty else {
                throw StrataError(.configuration, "cp copies between a local file and s3://bucket/key: an empty path names no file")
            }
            guard (from == nil) != (to == nil) else {
                throw StrataError(.configuration, "cp copies between a local file and s3://bucket/key: exactly one side must be s3://")
            }
            guard partSizeMiB >= 5, concurrency >= 1 else {
                throw StrataError(.configuration, "--part-size-mib must be at least 5 and --concurrency at least 1")
            }
            var settings = try connection.settings()
            settings.bucket = (from ?? to)?.bucket
            let partSize = Int64(partSizeMiB) * 1024 * 1024
            let transfer = TransferConfiguration(multipartThreshold: partSize, partSize: partSize, concurrency: concurrency)
            try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger(), loadPolicies: false, transfer: transfer) { context in
                if let to {
                    guard FileManager.default.isReadableFile(atPath: source) else {
                        throw StrataError(.configuration, "\(source): no such readable file")
                    }
                    let key = to.key.isEmpty || to.key.hasSuffix("/") ? to.key + (source as NSString).lastPathComponent : to.key
                    let bar = ProgressBar(label: "upload", total: 0, unit: .bytes, enabled: output.terminal.progress)
                    defer { bar.finish() }
                    let result = try await context.client.uploadFile(bucket: to.bucket, key: key, path: source,
                                                                     options: PutOptions(storageClass: storageClass),
                                                                     checkpoints: checkpointDirectory.map(UploadCheckpoints.init),
                                                                     progress: { done, total in bar.update(done: done, total: total) })
                    bar.finish()
                    if output.json {
                        try emitJSON(Copied(direction: .upload, source: source, destination: "s3://\(to.bucket)/\(key)",
                                            bytes: result.size, parts: result.parts, resumedParts: result.resumedParts))
                        return
                    }
                    let resumed = result.resumedParts > 0 ? ", \(result.resumedParts) already in S3" : ""
                    emit("upload: \(shown: source) to s3://\(shown: to.bucket)/\(shown: key) (\(result.size) bytes, \(result.parts) parts\(resumed))")
                } else if let from {
                    var path = destination
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                        path = (path as NSString).appendingPathComponent(try Self.fileName(of: from.key))
                    }
                    let bar = ProgressBar(label: "download", total: 0, unit: .bytes, enabled: output.terminal.progress)
                    defer { bar.finish() }
                    let result = try await context.client.downloadFile(bucket: from.bucket, key: from.key, to: path,
                                                                       progress: { done, total in bar.update(done: done, total: total) })
                    bar.finish()
                    if output.json {
                        try emitJSON(Copied(direction: .download, source: "s3://\(from.bucket)/\(from.key)", destination: path,
                                            bytes: result.size, verification: result.verification.rawValue))
                        return
                    }
                    emit("download: s3://\(shown: from.bucket)/\(shown: from.key) to \(shown: path) (\(result.size) bytes, verified: \(result.verification.rawValue))")
                }
            }
        }
    }

    /// What `cp --json` prints.
    struct Copied: Encodable {
        enum Direction: String, Encodable { case upload, download }
        var direction: Direction
        var source: String
        var destination: String
        var bytes: Int64
        /// Uploads: parts sent (1 for a single PUT), and parts a resumed upload found in S3.
        var parts: Int?
        var resumedParts: Int?
        /// Downloads: the checksum the content was checked against.
        var verification: String?
    }

    private func emitJSON(_ copied: Copied) throws {
        emit(String(decoding: try JSONCoding.encoder.encode(copied), as: UTF8.self))
    }

    /// The name a download into a directory takes: the key's last part, which must be a usable
    /// file name (a key ending in `/`, `.` or `..` names none).
    static func fileName(of key: String) throws -> String {
        let last = String(key[(key.lastIndex(of: "/").map(key.index(after:)) ?? key.startIndex)...])
        guard !last.isEmpty, let name = try? KeyPathMap.components(of: last, below: ""), name == [last] else {
            throw StrataError(.configuration, "the key \(key.debugDescription) names no file to create in the directory (it ends in '/', '.' or '..'): give the file's path as the destination")
        }
        return last
    }
}
