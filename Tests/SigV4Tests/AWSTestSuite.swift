import Foundation
import SigV4
import StrataTestSupport
import Testing

/// One case of AWS's SigV4 test suite (the aws-c-auth `v4` layout): `context.json`,
/// `request.txt` and the expected header- and query-variant outputs.
struct AWSTestSuiteCase: Sendable, CustomTestStringConvertible {
    struct Context: Decodable, Sendable {
        struct Credentials: Decodable, Sendable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var expiration_in_seconds: Int
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    struct Request: Sendable {
        var method: String
        var path: String
        var query: String
        var headers: [HTTPHeader]
        var body: [UInt8]
    }

    var name: String
    var directory: URL
    var testDescription: String { name }

    /// Where the suite lives: `$STRATA_SIGV4_TEST_SUITE`, else `../shared/sigv4-test-suite` next to the repository.
    static var suiteDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["STRATA_SIGV4_TEST_SUITE"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return RepositoryPaths.shared.appendingPathComponent("sigv4-test-suite")
    }

    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: suiteDirectory.appendingPathComponent("get-vanilla/request.txt").path)
    }

    static var all: [AWSTestSuiteCase] {
        let root = suiteDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().compactMap { name in
            let directory = root.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("request.txt").path) else { return nil }
            return AWSTestSuiteCase(name: name, directory: directory)
        }
    }

    func text(_ file: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
    }

    func context() throws -> Context {
        try JSONDecoder().decode(Context.self, from: Data(contentsOf: directory.appendingPathComponent("context.json")))
    }

    /// Parses `request.txt`: request line, headers (a line starting with whitespace continues the
    /// previous value), a blank line, the body. The path is raw, exactly as in the file.
    func request() throws -> Request {
        let raw = try text("request.txt").replacingOccurrences(of: "\r\n", with: "\n")
        var lines = raw.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        guard let firstSpace = requestLine.firstIndex(of: " "),
              let versionRange = requestLine.range(of: " HTTP/", options: .backwards) else {
            throw ParseError(file: "request.txt", line: requestLine)
        }
        let method = String(requestLine[..<firstSpace])
        let target = String(requestLine[requestLine.index(after: firstSpace)..<versionRange.lowerBound])
        let path: String
        let query: String
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = target
            query = ""
        }
        var headers: [HTTPHeader] = []
        while !lines.isEmpty {
            let line = lines.removeFirst()
            if line.isEmpty { break }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw ParseError(file: "request.txt", line: line) }
            headers.append(HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let body = Array(lines.joined(separator: "\n").utf8)
        return Request(method: method, path: path, query: query, headers: headers, body: body)
    }

    struct ParseError: Error, CustomStringConvertible {
        var file: String
        var line: String
        var description: String { "cannot parse \(file) line '\(line)'" }
    }
}
