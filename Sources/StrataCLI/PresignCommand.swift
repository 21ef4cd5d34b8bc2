import ArgumentParser
import Foundation
import StrataKit

/// `strata presign s3://bucket/key`: a time-limited URL for GET or PUT.
struct PresignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presign", abstract: "Print a presigned URL for an object (1 s to 7 days).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Validity: seconds, or a number with s, m, h or d (default 1h; at most 7d).")
    var expires: String = "1h"

    @Option(help: "GET or PUT.")
    var method: String = "GET"

    @Argument(help: "s3://bucket/key")
    var url: String

    func run() async throws {
        try await runReportingErrors {
            let target = try S3URL.require(url, argument: "URL")
            guard ["GET", "PUT"].contains(method.uppercased()) else {
                throw StrataError(.configuration, "--method '\(method)': expected GET or PUT")
            }
            let seconds = try Self.seconds(expires)
            var settings = try connection.settings()
            settings.bucket = target.bucket
            try await StrataContext.with(settings: settings, environment: ProcessInfo.processInfo.environment,
                                         logger: output.logger(), loadPolicies: false) { context in
                let issued = Date()
                let url = try await context.client.presignedURL(method: method.uppercased(), bucket: target.bucket,
                                                                key: target.key, expires: .seconds(seconds))
                if output.json {
                    let result = Presigned(url: url, method: method.uppercased(), bucket: target.bucket, key: target.key,
                                           expiresInSeconds: seconds, expiresAt: issued.addingTimeInterval(TimeInterval(seconds)))
                    emit(String(decoding: try JSONCoding.encoder.encode(result), as: UTF8.self))
                } else {
                    emit(url)
                }
            }
        }
    }

    /// What `presign --json` prints.
    struct Presigned: Encodable {
        var url: String
        var method: String
        var bucket: String
        var key: String
        var expiresInSeconds: Int
        /// When the URL stops working, by this machine's clock (the signature's date plus its validity).
        var expiresAt: Date
    }

    static func seconds(_ text: String) throws -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let multiplier = units[last] {
            unit = multiplier
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0 else {
            throw StrataError(.configuration, "--expires '\(text)': expected seconds or a number with s, m, h or d, e.g. 15m")
        }
        let total = value.multipliedReportingOverflow(by: unit)
        guard !total.overflow, total.partialValue <= 7 * 86_400 else {
            throw StrataError(.configuration, "--expires '\(text)': at most 7d (604800 s), as SigV4 allows")
        }
        return total.partialValue
    }
}
