import Foundation
import Yams

/// Where Strata works: bucket, endpoint, region, profile and policy directory, resolved from
/// (highest first) command-line flags, `strata.yaml`, and the aws cli's environment variables.
public struct StrataSettings: Sendable, Hashable {
    /// The bucket holding the backups.
    public var bucket: String?
    /// Custom S3 endpoint (RGW, MinIO); AWS when `nil`.
    public var endpointURL: String?
    /// Region to sign for.
    public var region: String
    /// Shared-config profile for credentials.
    public var profile: String?
    /// Directory of policy files.
    public var policiesDirectory: String
    /// Allow plain http to a non-loopback endpoint.
    public var allowInsecureHTTP: Bool
    /// Skip TLS verification (test servers with self-signed certificates only).
    public var insecureSkipTLSVerify: Bool

    /// The keys `strata.yaml` may hold.
    public static let fileKeys: Set<String> = ["bucket", "endpoint_url", "region", "profile", "policies",
                                               "allow_insecure_http", "insecure_skip_tls_verify"]

    /// The keys of `strata.yaml` that take `true` or `false`.
    static let booleanKeys: Set<String> = ["allow_insecure_http", "insecure_skip_tls_verify"]

    /// The settings that lower transport security. A file picked up implicitly from the working
    /// directory may not turn them on: anyone who can write there (a shared scratch directory, a
    /// CronJob's `/`, a checked-out repository) would otherwise switch off TLS for every run.
    public static let explicitOnlyKeys: Set<String> = ["allow_insecure_http", "insecure_skip_tls_verify"]

    /// Flags as given on the command line (`nil` = not given).
    public struct Flags: Sendable, Hashable {
        /// `--bucket`.
        public var bucket: String?
        /// `--endpoint-url`.
        public var endpointURL: String?
        /// `--region`.
        public var region: String?
        /// `--profile`.
        public var profile: String?
        /// `--policies`.
        public var policies: String?
        /// `--config`.
        public var configFile: String?
        /// `--allow-insecure-http`.
        public var allowInsecureHTTP: Bool
        /// `--insecure-skip-tls-verify`.
        public var insecureSkipTLSVerify: Bool
        /// Creates flags.
        public init(bucket: String? = nil, endpointURL: String? = nil, region: String? = nil, profile: String? = nil,
                    policies: String? = nil, configFile: String? = nil, allowInsecureHTTP: Bool = false,
                    insecureSkipTLSVerify: Bool = false) {
            self.bucket = bucket
            self.endpointURL = endpointURL
            self.region = region
            self.profile = profile
            self.policies = policies
            self.configFile = configFile
            self.allowInsecureHTTP = allowInsecureHTTP
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
        }
    }

    /// Resolves settings. `strata.yaml` is read from `flags.configFile`, else from
    /// `implicitConfigPath` (`./strata.yaml`) when it exists; an unknown key or wrong type there is
    /// a configuration error naming the line, and so is an implicitly found file that turns on one
    /// of ``explicitOnlyKeys``.
    public static func resolve(flags: Flags, environment: [String: String],
                               implicitConfigPath: String = "strata.yaml") throws -> StrataSettings {
        var file: [String: String] = [:]
        let configPath = flags.configFile
            ?? (FileManager.default.fileExists(atPath: implicitConfigPath) ? implicitConfigPath : nil)
        if let configPath { file = try readFile(configPath, named: flags.configFile != nil) }
        // A relative `policies:` means "next to this file": a CronJob's working directory is `/`.
        if let relative = file["policies"], !relative.hasPrefix("/"), let configPath {
            let directory = (configPath as NSString).deletingLastPathComponent
            file["policies"] = directory.isEmpty ? relative : (directory as NSString).appendingPathComponent(relative)
        }
        func pick(_ flag: String?, _ key: String, _ env: [String]) -> String? {
            if let flag, !flag.isEmpty { return flag }
            if let value = file[key], !value.isEmpty { return value }
            for name in env { if let value = environment[name], !value.isEmpty { return value } }
            return nil
        }
        return StrataSettings(
            bucket: pick(flags.bucket, "bucket", ["STRATA_BUCKET"]),
            endpointURL: pick(flags.endpointURL, "endpoint_url", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]),
            region: pick(flags.region, "region", ["AWS_REGION", "AWS_DEFAULT_REGION"]) ?? "us-east-1",
            profile: pick(flags.profile, "profile", []),
            policiesDirectory: pick(flags.policies, "policies", ["STRATA_POLICIES"]) ?? "policies",
            allowInsecureHTTP: flags.allowInsecureHTTP || file["allow_insecure_http"] == "true",
            insecureSkipTLSVerify: flags.insecureSkipTLSVerify || file["insecure_skip_tls_verify"] == "true")
    }

    /// The bucket, or a configuration error saying how to name one.
    public func requireBucket() throws -> String {
        guard let bucket else {
            throw StrataError(.configuration, "no bucket: pass --bucket NAME, set bucket: in strata.yaml, or export STRATA_BUCKET")
        }
        return bucket
    }

    /// Reads the settings file at `path`; `named` says whether the operator named it (`--config`),
    /// which ``explicitOnlyKeys`` require.
    static func readFile(_ path: String, named: Bool) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StrataError(.configuration, "\(path): cannot read the configuration file")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw StrataError(.configuration, "\(path): not valid YAML: \(error)")
        }
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            throw StrataError(.configuration, "\(path):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1): expected a mapping of settings (\(fileKeys.sorted().joined(separator: ", ")))")
        }
        var values: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? ""
            let where_ = "\(path):\(keyNode.mark?.line ?? 0):\(keyNode.mark?.column ?? 0)"
            guard fileKeys.contains(key) else {
                throw StrataError(.configuration, "\(where_): unknown setting '\(key)', expected one of \(fileKeys.sorted().joined(separator: ", "))")
            }
            guard let scalar = valueNode.scalar else {
                throw StrataError(.configuration, "\(where_): '\(key)' must be a single value")
            }
            guard valueNode.null == nil else {
                throw StrataError(.configuration, "\(where_): '\(key)' has no value: give one, or remove the line")
            }
            if booleanKeys.contains(key) {
                guard let flag = valueNode.bool else {
                    throw StrataError(.configuration, "\(where_): '\(key)' must be true or false, not '\(scalar.string)'")
                }
                if flag, !named, explicitOnlyKeys.contains(key) {
                    throw StrataError(.configuration, "\(where_): '\(key): true' is honoured only from a settings file named with --config (or the flag --\(key.replacingOccurrences(of: "_", with: "-"))), not from one found in the working directory")
                }
                values[key] = flag ? "true" : "false"
            } else {
                values[key] = scalar.string
            }
        }
        return values
    }
}
