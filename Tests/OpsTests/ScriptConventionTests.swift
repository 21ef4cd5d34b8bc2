import Foundation
import Testing
import StrataTestSupport

/// Every shell script under `tools/` follows the conventions operators rely on: it stops at the
/// first failure, and it is executable.
@Suite struct ScriptConventionTests {
    /// Shell scripts under `tools/` (recursively), by their `#!` line.
    static func shellScripts() throws -> [URL] {
        let tools = RepositoryPaths.root.appendingPathComponent("tools")
        guard let walker = FileManager.default.enumerator(at: tools, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var scripts: [URL] = []
        for case let url as URL in walker {
            guard let text = try? String(contentsOf: url, encoding: .utf8),
                  let first = text.split(separator: "\n", maxSplits: 1).first,
                  first.hasPrefix("#!"), first.contains("bash") || first.hasSuffix("/sh")
            else { continue }
            scripts.append(url)
        }
        return scripts.sorted { $0.path < $1.path }
    }

    @Test func thereAreScriptsToCheck() throws {
        #expect(try Self.shellScripts().count >= 5)
    }

    @Test(arguments: try ScriptConventionTests.shellScripts())
    func scriptStopsOnFirstFailureAndIsExecutable(_ script: URL) throws {
        let text = try String(contentsOf: script, encoding: .utf8)
        #expect(text.contains("set -euo pipefail"), "\(script.lastPathComponent) must 'set -euo pipefail'")
        #expect(FileManager.default.isExecutableFile(atPath: script.path), "\(script.lastPathComponent) must be executable")
    }
}
