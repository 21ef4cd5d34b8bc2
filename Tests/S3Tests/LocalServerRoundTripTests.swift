import Foundation
import StrataTestSupport
import Testing

/// The local servers started by `tools/s3-server` are real S3 servers: an independent client
/// (boto3) can create a bucket and put, head, list, get and delete an object on each.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct LocalServerRoundTripTests {
    struct RoundTrip: Decodable {
        var head_length: Int
        var listed_keys: [String]
        var get_matches: Bool
        var after_delete: [String]
        var key: String
    }

    @Test(arguments: TestServer.allCases)
    func boto3RoundTrip(server: TestServer) throws {
        let servers = try TestServers.require()
        let endpoint = servers.endpoint(server)
        let script = RepositoryPaths.fixtures.appendingPathComponent("boto3_roundtrip.py").path
        let output = try ProcessRunner().run(["python3", script, endpoint])
        try #require(output.status == 0, "boto3 round trip against \(server) failed: \(output.stderr)")
        let result = try JSONDecoder().decode(RoundTrip.self, from: output.stdout)
        #expect(result.head_length == 4096)
        #expect(result.listed_keys == [result.key])
        #expect(result.get_matches)
        #expect(result.after_delete.isEmpty)
    }
}
