/// Where each object of a download of many keys lands below the directory it goes to: the key's
/// path below a prefix, split at `/`, one file per key and one key per file.
///
/// The map is made, and checked, before anything is written. A key that cannot be a file below
/// the directory (a `.` or `..` part, a NUL, a part longer than a file name can be, nothing left
/// below the prefix) is refused, and so are two keys that would be the same file: empty parts
/// are dropped (`x//y` is `x/y`), so `x//y` and `x/y` collide; so do keys differing only in
/// letter case or Unicode normalization form, which are one file on a case-insensitive file
/// system (macOS) and whose bytes a planted object could otherwise pass off as the real one;
/// and a key whose file would be the directory of another's (`a` and `a/b`). Keys are told
/// apart by their bytes, as S3 tells them apart; the same key given twice is one entry.
///
/// Pure: no I/O. ``DownloadDirectory`` creates the files it maps to.
public struct KeyPathMap: Sendable, Hashable {
    /// One key and where it lands.
    public struct Entry: Sendable, Hashable {
        /// The object key.
        public let key: String
        /// The path below the directory, one element per path part: never empty, and no part
        /// is empty, `.` or `..`, holds a `/` or NUL, or is longer than ``maximumPartBytes``.
        public let components: [String]

        /// The path below the directory, parts joined with `/`.
        public var path: String { components.joined(separator: "/") }
    }

    /// The longest path part a file system takes as a name, in UTF-8 bytes (`NAME_MAX`).
    public static let maximumPartBytes = 255

    /// Every key once, in the order given.
    public let entries: [Entry]

    /// Maps `keys`, each below `prefix` (a key outside it keeps its whole path).
    ///
    /// - Throws: ``LocalPathError/unusableKey(key:problem:)`` for the first key that cannot be a
    ///   file, ``LocalPathError/sameLocalPath(key:otherKey:path:)`` or
    ///   ``LocalPathError/fileAndDirectory(fileKey:directoryKey:path:)`` for the first two that
    ///   cannot both be.
    public init(keys: some Sequence<String>, prefix: String) throws(LocalPathError) {
        var seen = Set<[UInt8]>()
        var tree = PathTree()
        var entries: [Entry] = []
        for key in keys where seen.insert(Array(key.utf8)).inserted {
            let components = try Self.components(of: key, below: prefix)
            try tree.insert(components, key: key)
            entries.append(Entry(key: key, components: components))
        }
        self.entries = entries
    }

    /// The path parts of `key` below `prefix`: its bytes after the prefix split at `/`, empty
    /// parts dropped.
    ///
    /// - Throws: ``LocalPathError/unusableKey(key:problem:)``.
    public static func components(of key: String, below prefix: String) throws(LocalPathError) -> [String] {
        // Bytes, not characters: a prefix that matches as Unicode but not byte for byte is no prefix.
        let bytes = key.utf8.starts(with: prefix.utf8) ? key.utf8.dropFirst(prefix.utf8.count) : key.utf8.dropFirst(0)
        var components: [String] = []
        for part in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual(".".utf8) || part.elementsEqual("..".utf8) {
                throw .unusableKey(key: key, problem: .dotPart)
            }
            if part.contains(0) { throw .unusableKey(key: key, problem: .nul) }
            if part.count > maximumPartBytes { throw .unusableKey(key: key, problem: .longPart) }
            components.append(String(decoding: part, as: UTF8.self))
        }
        guard !components.isEmpty else { throw .unusableKey(key: key, problem: .nothingBelowPrefix) }
        return components
    }

    /// The form two parts share when a file system may take them for one name: lower case (and
    /// Swift's `String` equality, which is Unicode canonical equivalence).
    static func folded(_ part: String) -> String { part.lowercased() }
}

/// The paths mapped so far, as a tree of folded parts, so that each new key is checked against
/// all before it in time proportional to its own length.
private struct PathTree {
    struct Node {
        var children: [String: Int] = [:]
        /// The key whose file this is.
        var file: String?
        /// The first key whose file lies below this node.
        var firstBelow: String?
    }

    var nodes = [Node()]

    /// Adds the file of `key` at `components`; throws if it is another key's file, lies below
    /// another key's file, or is the directory of files mapped before.
    mutating func insert(_ components: [String], key: String) throws(LocalPathError) {
        var node = 0
        for (depth, part) in components.enumerated() {
            let folded = KeyPathMap.folded(part)
            let child: Int
            if let existing = nodes[node].children[folded] {
                child = existing
            } else {
                child = nodes.count
                nodes.append(Node())
                nodes[node].children[folded] = child
            }
            let isLast = depth == components.count - 1
            if let file = nodes[child].file {
                let path = components[...depth].joined(separator: "/")
                if isLast { throw .sameLocalPath(key: file, otherKey: key, path: path) }
                throw .fileAndDirectory(fileKey: file, directoryKey: key, path: path)
            }
            if isLast, let below = nodes[child].firstBelow {
                throw .fileAndDirectory(fileKey: key, directoryKey: below, path: components.joined(separator: "/"))
            }
            if isLast {
                nodes[child].file = key
            } else if nodes[child].firstBelow == nil {
                nodes[child].firstBelow = key
            }
            node = child
        }
    }
}
