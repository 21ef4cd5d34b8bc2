import Foundation
import StrataFuzzTargets
import StrataTestSupport
import Testing

/// Every committed seed and regression input of the Retention fuzz targets
/// (`Tests/Fixtures/fuzz/<target>/`) runs through its `FuzzTargets` function under `swift test`:
/// a trap there fails (crashes) the run, as it would under `tools/fuzz`.
@Suite struct FuzzCorpusTests {
    static let corpusRoot = RepositoryPaths.fixtures.appendingPathComponent("fuzz")

    /// The files of one target's corpus, sorted by name.
    static func corpus(_ target: String) throws -> [URL] {
        let folder = corpusRoot.appendingPathComponent(target)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("every Retention corpus file runs through its target",
          arguments: FuzzTargets.all.filter { $0.module == "Retention" }.map(\.name))
    func corpusRuns(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let files = try Self.corpus(name)
        #expect(!files.isEmpty, "Tests/Fixtures/fuzz/\(name)/ has no seeds")
        for file in files {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    @Test func everyCorpusFolderIsATarget() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpusRoot.path)
            .filter { !$0.hasPrefix(".") }
        #expect(Set(folders) == Set(FuzzTargets.all.map(\.name)), "one folder per fuzz target, named as tools/fuzz names it")
    }

    @Test func targetNamesAreUnique() {
        #expect(Set(FuzzTargets.all.map(\.name)).count == FuzzTargets.all.count)
        #expect(Set(FuzzTargets.all.map(\.module)) == ["Retention", "S3"])
    }
}
