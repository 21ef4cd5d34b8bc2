import Foundation

/// The local S3 servers started by `tools/s3-server up`, as seen from a test.
///
/// `tools/test` exports their endpoints and keys (see `tools/s3-server env`). Outside CI a test
/// that needs a server it cannot find is skipped with a one-line reason; under `CI=true` it fails,
/// so a CI run can never pass by skipping everything that touches a real server.
public struct TestServers: Sendable {
    /// Plain-HTTP endpoint of the Ceph RADOS Gateway, e.g. `http://127.0.0.1:7480`.
    public var rgwEndpoint: String
    /// Endpoint of the moto server, which gives AWS's Glacier semantics.
    public var motoEndpoint: String
    /// Endpoint of the SeaweedFS S3 gateway.
    public var seaweedfsEndpoint: String
    /// Access key of the fixed test user.
    public var accessKey: String
    /// Secret key of the fixed test user.
    public var secretKey: String
    /// Region the servers answer for.
    public var region: String

    /// Whether this process runs under CI (`CI=true`), where missing servers are a failure.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? ""
        return value == "true" || value == "1"
    }

    /// The servers from the environment, or `nil` with the name of the first missing variable.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Result<TestServers, MissingServer> {
        func value(_ name: String) -> Result<String, MissingServer> {
            guard let v = environment[name], !v.isEmpty else { return .failure(MissingServer(variable: name)) }
            return .success(v)
        }
        do {
            return .success(TestServers(
                rgwEndpoint: try value("STRATA_TEST_RGW_ENDPOINT").get(),
                motoEndpoint: try value("STRATA_TEST_MOTO_ENDPOINT").get(),
                seaweedfsEndpoint: try value("STRATA_TEST_SEAWEEDFS_ENDPOINT").get(),
                accessKey: try value("STRATA_TEST_ACCESS_KEY").get(),
                secretKey: try value("STRATA_TEST_SECRET_KEY").get(),
                region: try value("STRATA_TEST_REGION").get()))
        } catch {
            return .failure(error)
        }
    }

    /// True when integration tests should run: the servers are configured, or we are under CI
    /// (where a missing server must fail the test rather than skip it).
    public static var shouldRun: Bool {
        if isCI { return true }
        if case .success = fromEnvironment() { return true }
        return false
    }

    /// The servers, or a thrown `MissingServer` (which fails the test that asked).
    public static func require() throws -> TestServers {
        try fromEnvironment().get()
    }

    /// The endpoint of `server`.
    public func endpoint(_ server: TestServer) -> String {
        switch server {
        case .rgw: rgwEndpoint
        case .moto: motoEndpoint
        case .seaweedfs: seaweedfsEndpoint
        }
    }

    /// A bucket name unique to one test run, valid for S3 and RGW (3..63 lowercase characters).
    public static func uniqueBucketName(_ purpose: String) -> String {
        let clean = purpose.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
        let suffix = UUID().uuidString.lowercased().prefix(8)
        return String("strata-\(clean.prefix(40))-\(suffix)")
    }
}

/// A local S3 server that a test needs is not configured: run the tests through `tools/test`.
public struct MissingServer: Error, CustomStringConvertible {
    /// The environment variable that was not set.
    public var variable: String
    /// One line saying what is missing and how to fix it.
    public var description: String {
        "\(variable) is not set: run the tests through tools/test, or eval \"$(tools/s3-server env)\" after tools/s3-server up"
    }
}
