import Foundation
import S3
import StrataKit
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `strata retrieve --wait --to DIR` and `strata cp` against the real RGW when the bucket or
/// the local directory is hostile (issue 16 row 10): an empty `--to` is a usage error, a
/// symbolic link below the target is never followed, and keys that would land on one file (or
/// on a file and a directory) are refused before the first byte is written.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .blocking)
struct RetrievePathTests {
    /// `{file}` makes every key below a set's time one member, whatever its path.
    static let policy = """
        component: files
        prefix: files/
        layout: "files/{time:%Y%m%d_%H%M%S}/{file}"
        retention:
          keep_last: 3
        """
    static let stamp = "20250102_030405"
    static let setID = "2025-01-02T03:04:05Z"

    static func key(_ file: String) -> String { "files/\(stamp)/\(file)" }

    /// The `strata` command on one scratch bucket with ``policy`` as its only policy.
    struct Runner {
        let harness: CLIHarness
        let policies: String
        var bucket: String { harness.bucket }

        func strata(_ arguments: [String]) throws -> ProcessRunner.Output {
            try harness.strata(arguments, extra: ["STRATA_POLICIES": policies])
        }
    }

    /// Puts `files` (names below the set's time) with their own names as content, then runs
    /// `body` on that bucket.
    static func withSet(_ files: [String], _ body: (Runner) throws -> Void) async throws {
        try await ScratchBucket.with(.rgw, purpose: "retrieve-path") { bucket in
            for file in files {
                try await bucket.client.putObject(bucket: bucket.name, key: key(file), body: Array(file.utf8))
            }
            let policies = try makeScratchDirectory("retrieve-path-policies")
            defer { try? FileManager.default.removeItem(atPath: policies) }
            try Data(policy.utf8).write(to: URL(fileURLWithPath: policies + "/files.yaml"))
            let harness = CLIHarness(servers: try TestServers.require(), bucket: bucket.name)
            try body(Runner(harness: harness, policies: policies))
        }
    }

    /// Runs `strata retrieve` of the set into `target`.
    static func retrieve(_ harness: Runner, to target: String) throws -> ProcessRunner.Output {
        try harness.strata(["retrieve", "--component", "files", "--set", setID, "--wait", "--to", target])
    }

    /// Every entry below `directory` (relative paths, links not followed), sorted.
    static func entries(_ directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        return walker.compactMap { $0 as? String }.sorted()
    }

    /// Whether `path` is a symbolic link (not following it).
    static func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }

    @Test func anEmptyToIsAUsageErrorAndWritesNothing() async throws {
        // Before the fix, "" + "/" + the key's path wrote below the file system's root.
        let name = "strata-regression-\(UUID().uuidString.prefix(8)).bin"
        let underRoot = "/\(Self.stamp)/\(name)"
        defer {
            try? FileManager.default.removeItem(atPath: underRoot)
            rmdir("/\(Self.stamp)")
        }
        try await Self.withSet([name]) { harness in
            let output = try Self.retrieve(harness, to: "")
            #expect(output.status == 2, "\(output.stderr)")
            #expect(output.stderr.contains("--to"), "\(output.stderr)")
            #expect(!FileManager.default.fileExists(atPath: underRoot))
        }
    }

    /// The library refuses before it asks for anything: an empty destination, and a set whose
    /// keys are not one file each, throw before a restore is requested (moto, which has
    /// Glacier's semantics) or a directory is created.
    @Test func theLibraryRefusesBeforeRequestingARestore() async throws {
        try await ScratchBucket.with(.moto, purpose: "retrieve-path-lib") { bucket in
            for file in ["x//y", "x/y"] {
                try await bucket.client.putObject(bucket: bucket.name, key: Self.key(file), body: Array(file.utf8),
                                                  options: PutOptions(storageClass: "GLACIER"))
            }
            let context = try bucket.context(policies: ["files.yaml": Self.policy], now: Date())
            let target = try makeScratchDirectory("retrieve-path-lib")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let retriever = Retriever(context: context)
            await #expect(throws: LocalPathError.emptyDestination) {
                _ = try await retriever.retrieve(component: "files", selector: .id(Self.setID), destination: "")
            }
            await #expect(throws: LocalPathError.sameLocalPath(key: Self.key("x//y"), otherKey: Self.key("x/y"),
                                                               path: "\(Self.stamp)/x/y")) {
                _ = try await retriever.retrieve(component: "files", selector: .id(Self.setID), destination: target)
            }
            for file in ["x//y", "x/y"] {
                #expect(try await bucket.client.headObject(bucket: bucket.name, key: Self.key(file)).restore == nil)
            }
            #expect(Self.entries(target).isEmpty)
            // Without a destination nothing is mapped: the restores are requested as before.
            let report = try await retriever.retrieve(component: "files", selector: .id(Self.setID), destination: nil)
            #expect(report.members.map(\.state) == [.requested, .requested])
        }
    }

    /// Where a link is planted below the target, and what it points to outside it.
    struct PlantedLink: Sendable, CustomStringConvertible {
        /// Path of the link below the target.
        var link: String
        /// The key the error names.
        var file: String
        var description: String { link }
    }

    @Test("a symbolic link below the target is refused, naming the key and the link; nothing is written through it",
          arguments: [
              PlantedLink(link: stamp, file: "a.bin"),
              PlantedLink(link: "\(stamp)/sub", file: "sub/b.bin"),
              PlantedLink(link: "\(stamp)/a.bin", file: "a.bin"),
          ])
    func aLinkBelowTheTargetIsRefused(planted: PlantedLink) async throws {
        try await Self.withSet(["a.bin", "sub/b.bin"]) { harness in
            let target = try makeScratchDirectory("retrieve-link-target")
            let outside = try makeScratchDirectory("retrieve-link-outside")
            defer {
                try? FileManager.default.removeItem(atPath: target)
                try? FileManager.default.removeItem(atPath: outside)
            }
            let link = target + "/" + planted.link
            try FileManager.default.createDirectory(atPath: (link as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            // A link to a file that does not exist yet, or to a directory: either way outside.
            let destination = planted.link.hasSuffix(".bin") ? outside + "/a.bin" : outside
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: destination)

            let output = try Self.retrieve(harness, to: target)
            #expect(output.status == 1, "\(output.stderr)")
            #expect(output.stderr.contains("symbolic link"), "\(output.stderr)")
            #expect(output.stderr.contains(Self.key(planted.file)), "\(output.stderr)")
            #expect(output.stderr.contains(link), "\(output.stderr)")
            #expect(Self.entries(outside).isEmpty, "written through the link: \(Self.entries(outside))")
            #expect(Self.isLink(link), "the planted link was replaced")
            // No object was downloaded: the links are found before the first GET.
            let files = Self.entries(target).filter { !Self.isDirectoryOrLink(target + "/" + $0) }
            #expect(files.isEmpty, "\(files)")
        }
    }

    static func isDirectoryOrLink(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFDIR || (info.st_mode & S_IFMT) == S_IFLNK
    }

    @Test func aTargetThatIsItselfALinkIsTheOperatorsChoiceAndIsFollowed() async throws {
        try await Self.withSet(["a.bin", "sub/b.bin"]) { harness in
            let real = try makeScratchDirectory("retrieve-real")
            defer { try? FileManager.default.removeItem(atPath: real) }
            let link = real + ".link"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
            defer { try? FileManager.default.removeItem(atPath: link) }
            for _ in 0..<2 {  // a second run replaces the files it wrote
                let output = try Self.retrieve(harness, to: link)
                #expect(output.status == 0, "\(output.stderr)")
            }
            #expect(Self.entries(real) == [Self.stamp, "\(Self.stamp)/a.bin", "\(Self.stamp)/sub", "\(Self.stamp)/sub/b.bin"])
            #expect(FileManager.default.contents(atPath: "\(real)/\(Self.stamp)/sub/b.bin") == Data("sub/b.bin".utf8))
        }
    }

    @Test("keys that would be one local file, or a file and a directory, are refused naming both; nothing is written",
          arguments: [["x//y", "x/y"], ["a", "a/b"], ["X/y", "x/y"]])
    func keysThatShareALocalPathAreRefused(files: [String]) async throws {
        try await Self.withSet(files) { harness in
            let target = try makeScratchDirectory("retrieve-collide")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let output = try Self.retrieve(harness, to: target)
            #expect(output.status == 1, "\(output.stderr)")
            for file in files {
                #expect(output.stderr.contains(Self.key(file)), "\(output.stderr)")
            }
            #expect(Self.entries(target).isEmpty, "\(Self.entries(target))")
        }
    }

    @Test func cpRefusesAnEmptyDestinationAKeyWithoutAFileNameAndALinkAtTheFile() async throws {
        try await Self.withSet(["a.bin"]) { harness in
            let source = "s3://\(harness.bucket)/\(Self.key("a.bin"))"
            let empty = try harness.strata(["cp", source, ""])
            #expect(empty.status == 2, "\(empty.stderr)")

            let directory = try makeScratchDirectory("cp-into")
            let outside = try makeScratchDirectory("cp-outside")
            defer {
                try? FileManager.default.removeItem(atPath: directory)
                try? FileManager.default.removeItem(atPath: outside)
            }
            let noName = try harness.strata(["cp", "s3://\(harness.bucket)/files/\(Self.stamp)/", directory])
            #expect(noName.status == 2, "\(noName.stderr)")
            #expect(Self.entries(directory).isEmpty)

            try FileManager.default.createSymbolicLink(atPath: directory + "/a.bin", withDestinationPath: outside + "/a.bin")
            let linked = try harness.strata(["cp", source, directory])
            #expect(linked.status == 1, "\(linked.stderr)")
            #expect(linked.stderr.contains("symbolic link"), "\(linked.stderr)")
            #expect(Self.entries(outside).isEmpty)

            try FileManager.default.removeItem(atPath: directory + "/a.bin")
            let plain = try harness.strata(["cp", source, directory])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(FileManager.default.contents(atPath: directory + "/a.bin") == Data("a.bin".utf8))
        }
    }
}
