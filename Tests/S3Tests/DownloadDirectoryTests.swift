import Foundation
import S3
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ``DownloadDirectory``: below the directory a download writes to, nothing is followed if it
/// is a symbolic link, and what is in the way is named (issue 16 row 10). No server needed:
/// ``DownloadDirectory/prepare(_:)`` walks the way to every file before the first GET.
@Suite struct DownloadDirectoryTests {
    /// A fresh directory and one beside it that stands for "outside".
    struct Scene {
        let target: String
        let outside: String

        init() throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("strata-dd-\(UUID().uuidString)").path
            target = base + "/target"
            outside = base + "/outside"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(atPath: (target as NSString).deletingLastPathComponent) }

        /// Everything below `path`, links not followed.
        func entries(_ path: String) -> [String] {
            (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).sorted()
        }
    }

    /// What is planted below the target before `p/a/b/file` is prepared.
    enum Planted: String, Sendable, CaseIterable {
        case linkAsFirstDirectory, linkAsDeeperDirectory, linkAsFile, danglingLinkAsFile, fileAsDirectory,
             directoryAsFile, fifoAsFile

        func plant(in scene: Scene) throws {
            let manager = FileManager.default
            switch self {
            case .linkAsFirstDirectory:
                try manager.createSymbolicLink(atPath: scene.target + "/a", withDestinationPath: scene.outside)
            case .linkAsDeeperDirectory:
                try manager.createDirectory(atPath: scene.target + "/a", withIntermediateDirectories: true)
                try manager.createSymbolicLink(atPath: scene.target + "/a/b", withDestinationPath: scene.outside)
            case .linkAsFile:
                try Data("theirs".utf8).write(to: URL(fileURLWithPath: scene.outside + "/file"))
                try manager.createDirectory(atPath: scene.target + "/a/b", withIntermediateDirectories: true)
                try manager.createSymbolicLink(atPath: scene.target + "/a/b/file", withDestinationPath: scene.outside + "/file")
            case .danglingLinkAsFile:
                try manager.createDirectory(atPath: scene.target + "/a/b", withIntermediateDirectories: true)
                try manager.createSymbolicLink(atPath: scene.target + "/a/b/file", withDestinationPath: scene.outside + "/new")
            case .fileAsDirectory:
                try manager.createDirectory(atPath: scene.target + "/a", withIntermediateDirectories: true)
                try Data("x".utf8).write(to: URL(fileURLWithPath: scene.target + "/a/b"))
            case .directoryAsFile:
                try manager.createDirectory(atPath: scene.target + "/a/b/file", withIntermediateDirectories: true)
            case .fifoAsFile:
                try manager.createDirectory(atPath: scene.target + "/a/b", withIntermediateDirectories: true)
                #expect(mkfifo(scene.target + "/a/b/file", 0o600) == 0)
            }
        }

        func expected(in scene: Scene) -> LocalPathError {
            let key = "p/a/b/file"
            switch self {
            case .linkAsFirstDirectory: return .symbolicLink(key: key, path: scene.target + "/a")
            case .linkAsDeeperDirectory: return .symbolicLink(key: key, path: scene.target + "/a/b")
            case .linkAsFile, .danglingLinkAsFile: return .symbolicLink(key: key, path: scene.target + "/a/b/file")
            case .fileAsDirectory: return .notADirectory(key: key, path: scene.target + "/a/b")
            case .directoryAsFile, .fifoAsFile: return .notARegularFile(key: key, path: scene.target + "/a/b/file")
            }
        }
    }

    @Test("what stands in the way below the target is named, and nothing outside is touched",
          arguments: Planted.allCases)
    func plantedThingsAreRefused(planted: Planted) throws {
        let scene = try Scene()
        defer { scene.remove() }
        try planted.plant(in: scene)
        let before = scene.entries(scene.outside)
        let map = try KeyPathMap(keys: ["p/a/b/file"], prefix: "p/")
        let directory = try DownloadDirectory(path: scene.target)
        #expect(throws: planted.expected(in: scene)) { try directory.prepare(map) }
        #expect(scene.entries(scene.outside) == before)
        if planted == .linkAsFile {
            #expect(FileManager.default.contents(atPath: scene.outside + "/file") == Data("theirs".utf8))
        }
    }

    @Test func theTargetItselfMayBeALinkAndIsCreatedWhenMissing() throws {
        let scene = try Scene()
        defer { scene.remove() }
        let link = scene.target + ".link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: scene.outside)
        let map = try KeyPathMap(keys: ["p/a/b/file", "p/c"], prefix: "p/")
        try DownloadDirectory(path: link + "/").prepare(map)
        #expect(scene.entries(scene.outside) == ["a", "a/b"])

        let fresh = scene.target + "/new/deeper"
        let directory = try DownloadDirectory(path: fresh)
        try directory.prepare(map)
        #expect(scene.entries(fresh) == ["a", "a/b"])
        #expect(directory.path(of: ["a", "b", "file"]) == fresh + "/a/b/file")
    }

    @Test func anEmptyPathIsNoDirectory() {
        #expect(throws: LocalPathError.emptyDestination) { try DownloadDirectory(path: "") }
    }

    @Test func aMissingDirectoryIsNotCreatedWhenNotAsked() throws {
        let scene = try Scene()
        defer { scene.remove() }
        #expect(throws: LocalPathError.system(key: nil, path: scene.target + "/none", operation: .open,
                                              errno: .noSuchFileOrDirectory)) {
            try DownloadDirectory(path: scene.target + "/none", create: false)
        }
    }
}
