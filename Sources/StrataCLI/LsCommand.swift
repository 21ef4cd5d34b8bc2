import ArgumentParser
import Foundation
import Retention
import S3
import StrataKit

/// `strata ls s3://bucket/prefix`: list objects with size, class and date.
struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List objects under s3://bucket/prefix.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "List every key below the prefix instead of one level.")
    var recursive = false

    @Argument(help: "s3://bucket/prefix")
    var url: String

    /// One line of `ls --json`: an object, or a common prefix (one level below the prefix).
    struct Entry: Encodable {
        enum Kind: String, Encodable { case object, prefix }
        var type: Kind
        var key: String?
        var prefix: String?
        var size: Int64?
        var storageClass: String?
        var lastModified: Date?
        var eTag: String?
    }

    func run() async throws {
        try await runReportingErrors {
            let target = try S3URL.require(url, argument: "URL")
            var settings = try connection.settings()
            settings.bucket = target.bucket
            try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger(), loadPolicies: false) { context in
                if output.json {
                    try await listJSON(context.client, target: target)
                    return
                }
                var count = 0
                // One formatter and one write per page: listing output can be millions of lines.
                let formatter = ISO8601DateFormatter()
                for try await page in context.client.listObjects(bucket: target.bucket, prefix: target.key,
                                                                 delimiter: recursive ? nil : "/") {
                    var lines = ""
                    for prefix in page.commonPrefixes { lines += "                           PRE \(shown: prefix)\n" }
                    for object in page.objects {
                        count += 1
                        lines += "\(formatter.string(from: object.lastModified))  \(String(object.size).leftPad(12))  \(TerminalText.escaped(object.storageClass).padding(toLength: 12, withPad: " ", startingAt: 0))  \(shown: object.key)\n"
                    }
                    if !lines.isEmpty { emitRaw(lines) }
                }
                context.logger.info("listed", metadata: ["objects": "\(count)"])
            }
        }
    }

    /// `--json`: one JSON array, written page by page with an entry per line, so a listing of
    /// millions of keys streams in bounded memory like the table does.
    private func listJSON(_ client: S3Client, target: S3URL) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var first = true
        emitRaw("[")
        for try await page in client.listObjects(bucket: target.bucket, prefix: target.key,
                                                 delimiter: recursive ? nil : "/") {
            var lines = ""
            let entries = page.commonPrefixes.map { Entry(type: .prefix, prefix: $0) }
                + page.objects.map { Entry(type: .object, key: $0.key, size: $0.size, storageClass: $0.storageClass,
                                           lastModified: $0.lastModified, eTag: $0.eTag) }
            for entry in entries {
                lines += (first ? "\n" : ",\n") + String(decoding: try encoder.encode(entry), as: UTF8.self)
                first = false
            }
            if !lines.isEmpty { emitRaw(lines) }
        }
        emitRaw("\n]\n")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
