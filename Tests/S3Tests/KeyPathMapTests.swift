import S3
import Testing

/// ``KeyPathMap``: where `retrieve` puts each key of a set below `--to`, and which sets it
/// refuses before writing anything (issue 16 row 10).
@Suite struct KeyPathMapTests {
    /// What one key maps to: its path below the directory, or why it cannot be a file.
    enum Mapped: Sendable, Equatable {
        case path(String)
        case refused(LocalPathError.Problem)
    }

    @Test("one key: its path below the prefix, or why it cannot be a file", arguments: [
        ("pg/backup/db/F/pg_data/base/1", "pg/", Mapped.path("backup/db/F/pg_data/base/1")),
        ("pg/a//b", "pg/", .path("a/b")),
        ("pg//etc/passwd", "pg/", .path("etc/passwd")),  // a leading / stays below the directory
        ("pg/a/", "pg/", .path("a")),
        ("pg/...", "pg/", .path("...")),
        ("pg/.hidden/..x", "pg/", .path(".hidden/..x")),
        ("other/x", "pg/", .path("other/x")),  // not below the prefix: its whole path
        ("pgx/y", "pg/", .path("pgx/y")),
        ("pg/" + String(repeating: "a", count: 255), "pg/", .path(String(repeating: "a", count: 255))),
        ("pg/", "pg/", .refused(.nothingBelowPrefix)),
        ("pg///", "pg/", .refused(.nothingBelowPrefix)),
        ("pg/../../etc/passwd", "pg/", .refused(.dotPart)),
        ("pg/a/./b", "pg/", .refused(.dotPart)),
        ("pg/a/..", "pg/", .refused(.dotPart)),
        ("pg/.", "pg/", .refused(.dotPart)),
        ("pg/a\u{0}b", "pg/", .refused(.nul)),
        ("pg/" + String(repeating: "a", count: 256), "pg/", .refused(.longPart)),
        ("pg/" + String(repeating: "é", count: 128), "pg/", .refused(.longPart)),  // 256 bytes in UTF-8
    ])
    func oneKey(key: String, prefix: String, expected: Mapped) {
        let mapped: Mapped
        do {
            mapped = .path(try KeyPathMap.components(of: key, below: prefix).joined(separator: "/"))
        } catch {
            guard case .unusableKey(let named, let problem) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(named == key)
            mapped = .refused(problem)
        }
        #expect(mapped == expected)
    }

    @Test("a set: keys that would be one file, or a file and a directory, are refused naming both", arguments: [
        (["p/x//y", "p/x/y"], LocalPathError.sameLocalPath(key: "p/x//y", otherKey: "p/x/y", path: "x/y")),
        (["p/x/y", "p//x/y/"], .sameLocalPath(key: "p/x/y", otherKey: "p//x/y/", path: "x/y")),
        (["p/X/y", "p/x/y"], .sameLocalPath(key: "p/X/y", otherKey: "p/x/y", path: "x/y")),
        (["p/caf\u{E9}", "p/cafe\u{301}"], .sameLocalPath(key: "p/caf\u{E9}", otherKey: "p/cafe\u{301}", path: "cafe\u{301}")),
        (["p/a", "p/a/b"], .fileAndDirectory(fileKey: "p/a", directoryKey: "p/a/b", path: "a")),
        (["p/a/b", "p/a"], .fileAndDirectory(fileKey: "p/a", directoryKey: "p/a/b", path: "a")),
        (["p/a/b/c", "p/a/b"], .fileAndDirectory(fileKey: "p/a/b", directoryKey: "p/a/b/c", path: "a/b")),
        (["p/A", "p/a/b"], .fileAndDirectory(fileKey: "p/A", directoryKey: "p/a/b", path: "a")),
        (["p/ok", "p/a/../b"], .unusableKey(key: "p/a/../b", problem: .dotPart)),
    ])
    func setRefused(keys: [String], expected: LocalPathError) {
        #expect(throws: expected) { try KeyPathMap(keys: keys, prefix: "p/") }
    }

    @Test("a set of distinct files maps each key once, in order", arguments: [
        (["p/a/b", "p/a/c", "p/d"], ["a/b", "a/c", "d"]),
        (["p/a", "p/a"], ["a"]),  // the same key twice is one object
        (["p/a.b", "p/a/b", "p/ab"], ["a.b", "a/b", "ab"]),
        (["p/x/y", "p/xy"], ["x/y", "xy"]),
    ])
    func setMapped(keys: [String], paths: [String]) throws {
        let map = try KeyPathMap(keys: keys, prefix: "p/")
        #expect(map.entries.map(\.path) == paths)
        #expect(map.entries.map(\.key) == Array(keys.prefix(paths.count)))
    }

    /// Keys are objects by their bytes: two Unicode forms are two keys (and then one file),
    /// not one key listed twice.
    @Test func keysAreToldApartByTheirBytes() {
        #expect(throws: LocalPathError.sameLocalPath(key: "p/\u{C5}", otherKey: "p/A\u{30A}", path: "A\u{30A}")) {
            try KeyPathMap(keys: ["p/\u{C5}", "p/A\u{30A}", "p/\u{C5}"], prefix: "p/")
        }
    }

    @Test func messagesNameBothKeysQuotedWithControlCharactersEscaped() {
        let error = LocalPathError.sameLocalPath(key: "p/x//y", otherKey: "p/x/y\n", path: "x/y")
        #expect(error.description.contains("\"p/x//y\" and \"p/x/y\\n\""), "\(error)")
        #expect(!error.description.contains("\n"))
    }
}
