import Foundation

/// Paths inside this repository and beside it, found from this source file's location so tests
/// work from any working directory.
public enum RepositoryPaths {
    /// The repository root (the folder holding Package.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // StrataTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Fixtures`: data files shared by the test targets.
    public static let fixtures: URL = root.appendingPathComponent("Tests/Fixtures")

    /// `../shared`: material shared by the project (AWS's SigV4 test suite, notes, the runbook).
    public static let shared: URL = root.deletingLastPathComponent().appendingPathComponent("shared")
}
