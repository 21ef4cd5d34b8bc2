import Foundation

/// The aws cli's shared files, `~/.aws/credentials` and `~/.aws/config`, parsed as INI.
///
/// See <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html>: in
/// `credentials` sections are `[name]`; in `config` they are `[profile name]` (and `[default]`).
public struct SharedConfigFiles: Sendable {
    /// Settings per profile from the credentials file.
    public var credentials: [String: [String: String]]
    /// Settings per profile from the config file.
    public var config: [String: [String: String]]

    /// Reads both files from the paths the aws cli uses (honouring `AWS_SHARED_CREDENTIALS_FILE`
    /// and `AWS_CONFIG_FILE`); a missing file is an empty one.
    public static func load(environment: [String: String]) throws -> SharedConfigFiles {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        return SharedConfigFiles(
            credentials: try parseFile(credentialsPath, profilePrefix: false),
            config: try parseFile(configPath, profilePrefix: true))
    }

    /// The merged settings of `profile`: config first, credentials file wins.
    public func settings(profile: String) -> [String: String]? {
        let fromConfig = config[profile]
        let fromCredentials = credentials[profile]
        if fromConfig == nil, fromCredentials == nil { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { $1 }
    }

    static func parseFile(_ path: String, profilePrefix: Bool) throws -> [String: [String: String]] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(source: "shared files", reason: "cannot read \(path)")
        }
        return parse(String(decoding: data, as: UTF8.self), profilePrefix: profilePrefix)
    }

    /// Parses INI text into sections. In the config file `[profile x]` names profile `x`.
    static func parse(_ text: String, profilePrefix: Bool) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                var name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if profilePrefix, name.hasPrefix("profile ") {
                    name = String(name.dropFirst("profile ".count)).trimmingCharacters(in: .whitespaces)
                }
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            // Indented lines continue a nested block (e.g. `s3 =`); their keys are not ours.
            if rawLine.first == " " || rawLine.first == "\t" { continue }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }
}
