import Foundation
import StrataFuzzTargets
import StrataTestSupport
import Testing

/// Every committed seed and regression input of the S3 fuzz targets
/// (`Tests/Fixtures/fuzz/<target>/`) runs through its `FuzzTargets` function under `swift test`:
/// a trap there fails (crashes) the run, as it would under `tools/fuzz`.
@Suite struct FuzzCorpusTests {
    @Test("every S3 corpus file runs through its target",
          arguments: FuzzTargets.all.filter { $0.module == "S3" }.map(\.name))
    func corpusRuns(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let folder = RepositoryPaths.fixtures.appendingPathComponent("fuzz").appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        #expect(!files.isEmpty, "Tests/Fixtures/fuzz/\(name)/ has no seeds")
        for file in files {
            target.run(Array(try Data(contentsOf: file)))
        }
    }
}
