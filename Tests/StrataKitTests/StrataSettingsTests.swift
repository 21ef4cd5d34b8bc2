import Foundation
import StrataKit
import Testing

/// `strata.yaml` and how flags, the file and the environment combine (docs/cli.md, "Connection").
struct StrataSettingsTests {
    /// Writes `text` as a `strata.yaml` in a new directory and returns its path.
    static func file(_ text: String) throws -> String {
        let path = try makeScratchDirectory("settings") + "/strata.yaml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let fullFile = """
        bucket: from-file
        endpoint_url: http://127.0.0.1:9000
        region: eu-west-1
        profile: backups
        policies: /etc/strata/policies
        allow_insecure_http: false
        """

    static let environment = ["STRATA_BUCKET": "from-env", "AWS_ENDPOINT_URL": "http://127.0.0.1:7000",
                              "AWS_REGION": "us-west-2", "STRATA_POLICIES": "/env/policies"]

    @Test func flagsBeatTheFileWhichBeatsTheEnvironment() throws {
        let path = try Self.file(Self.fullFile)
        let fromFile = try StrataSettings.resolve(flags: .init(configFile: path), environment: Self.environment)
        #expect(fromFile.bucket == "from-file")
        #expect(fromFile.endpointURL == "http://127.0.0.1:9000")
        #expect(fromFile.region == "eu-west-1")
        #expect(fromFile.profile == "backups")
        #expect(fromFile.policiesDirectory == "/etc/strata/policies")

        let fromFlags = try StrataSettings.resolve(
            flags: .init(bucket: "from-flag", endpointURL: "http://127.0.0.1:8000", region: "ap-south-1",
                         profile: "ops", policies: "/flag/policies", configFile: path),
            environment: Self.environment)
        #expect(fromFlags.bucket == "from-flag")
        #expect(fromFlags.endpointURL == "http://127.0.0.1:8000")
        #expect(fromFlags.region == "ap-south-1")
        #expect(fromFlags.profile == "ops")
        #expect(fromFlags.policiesDirectory == "/flag/policies")

        let fromEnvironment = try StrataSettings.resolve(flags: .init(configFile: try Self.file("region: eu-west-1\n")),
                                                         environment: Self.environment)
        #expect(fromEnvironment.bucket == "from-env")
        #expect(fromEnvironment.endpointURL == "http://127.0.0.1:7000")
        #expect(fromEnvironment.region == "eu-west-1")
        #expect(fromEnvironment.policiesDirectory == "/env/policies")
    }

    @Test func defaultsWithNothingGiven() throws {
        let settings = try StrataSettings.resolve(flags: .init(configFile: try Self.file("")), environment: [:])
        #expect(settings.bucket == nil)
        #expect(settings.endpointURL == nil)
        #expect(settings.region == "us-east-1")
        #expect(settings.policiesDirectory == "policies")
        #expect(!settings.allowInsecureHTTP)
        #expect(throws: StrataError.self) { try settings.requireBucket() }
    }

    /// A relative `policies:` is read next to the file that names it, so `--config /etc/strata/strata.yaml`
    /// works from any working directory (a CronJob's is `/`).
    @Test func relativePoliciesAreResolvedAgainstTheFilesDirectory() throws {
        let path = try Self.file("policies: policies\n")
        let settings = try StrataSettings.resolve(flags: .init(configFile: path), environment: [:])
        let directory = (path as NSString).deletingLastPathComponent
        #expect(settings.policiesDirectory == (directory as NSString).appendingPathComponent("policies"))
        let flag = try StrataSettings.resolve(flags: .init(policies: "mine", configFile: path), environment: [:])
        #expect(flag.policiesDirectory == "mine")
    }

    @Test(arguments: [("allow_insecure_http: true", true), ("allow_insecure_http: false", false),
                      ("allow_insecure_http: True", true), ("insecure_skip_tls_verify: true", false)])
    func booleans(line: String, insecureHTTP: Bool) throws {
        let settings = try StrataSettings.resolve(flags: .init(configFile: try Self.file(line + "\n")), environment: [:])
        #expect(settings.allowInsecureHTTP == insecureHTTP)
    }

    /// A settings file found in the working directory may not lower transport security: anyone
    /// who can write there would switch off TLS for every run. Named with `--config`, or given as
    /// a flag, the same setting is honoured (issue 16, row 12).
    @Test(arguments: ["insecure_skip_tls_verify", "allow_insecure_http"])
    func transportSecurityIsLoweredOnlyWhenAskedExplicitly(key: String) throws {
        let path = try Self.file("bucket: b\n\(key): true\n")
        let error = #expect(throws: StrataError.self) {
            _ = try StrataSettings.resolve(flags: .init(), environment: [:], implicitConfigPath: path)
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.hasPrefix(path + ":2:1:") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("only from a settings file named with --config") == true)

        let off = try StrataSettings.resolve(flags: .init(), environment: [:],
                                             implicitConfigPath: try Self.file("bucket: b\n\(key): false\n"))
        #expect(off.bucket == "b" && !off.insecureSkipTLSVerify && !off.allowInsecureHTTP)

        let named = try StrataSettings.resolve(flags: .init(configFile: path), environment: [:])
        #expect(key == "insecure_skip_tls_verify" ? named.insecureSkipTLSVerify : named.allowInsecureHTTP)
        let flag = try StrataSettings.resolve(
            flags: .init(allowInsecureHTTP: key == "allow_insecure_http", insecureSkipTLSVerify: key == "insecure_skip_tls_verify"),
            environment: [:], implicitConfigPath: "/nonexistent/strata.yaml")
        #expect(key == "insecure_skip_tls_verify" ? flag.insecureSkipTLSVerify : flag.allowInsecureHTTP)
    }

    /// Each mistake is refused with `file:line:column`, the key, and what is expected.
    @Test(arguments: [
        ("bucket: b\nbuckt: c\n", ":2:1:", "unknown setting 'buckt'"),
        ("bucket: [a, b]\n", ":1:1:", "'bucket' must be a single value"),
        ("bucket:\n", ":1:1:", "'bucket' has no value"),
        ("bucket: null\n", ":1:1:", "'bucket' has no value"),
        ("region: eu-west-1\nallow_insecure_http: yes please\n", ":2:1:", "'allow_insecure_http' must be true or false"),
        ("insecure_skip_tls_verify: 1\n", ":1:1:", "'insecure_skip_tls_verify' must be true or false"),
        ("bucket: a\nbucket: b\n", "", "duplicated key(s): 'bucket'"),
        ("- bucket\n", ":1:1:", "expected a mapping of settings"),
        ("bucket: [unclosed\n", "", "not valid YAML"),
    ])
    func mistakesAreNamedWithTheirLine(text: String, location: String, message: String) throws {
        let path = try Self.file(text)
        let error = #expect(throws: StrataError.self) {
            _ = try StrataSettings.resolve(flags: .init(configFile: path), environment: [:])
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.hasPrefix(path + location) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func aMissingConfigFileIsNamed() throws {
        let error = #expect(throws: StrataError.self) {
            _ = try StrataSettings.resolve(flags: .init(configFile: "/nonexistent/strata.yaml"), environment: [:])
        }
        #expect(error?.kind == .configuration)
        #expect(error?.message.contains("/nonexistent/strata.yaml") == true)
    }
}
