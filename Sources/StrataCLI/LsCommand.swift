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

    func run() async throws {
        try await runReportingErrors {
            let target = try S3URL.require(url, argument: "URL")
            var settings = try connection.settings()
            settings.bucket = target.bucket
            try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger(), loadPolicies: false) { context in
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
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
