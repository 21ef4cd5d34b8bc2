import S3

extension FuzzTargets {
    /// `retrieve-path`: the mapping of a backup set's keys to files below `retrieve --to`.
    ///
    /// Input: lines (LF); the first is the component's prefix, the others are the set's keys,
    /// mapped with ``KeyPathMap/init(keys:prefix:)``. When the map is made, every path must be
    /// relative, with parts that are not empty, `.` or `..`, hold no `/` or NUL and fit a file
    /// name; no two keys may share a file (folded as the map folds), and no file may be the
    /// directory of another; the same keys in reverse order must map each key to the same path.
    /// When it is refused, the error must name keys of the input, and what it claims of them
    /// must hold.
    @Sendable public static func retrievePath(_ data: [UInt8]) {
        let lines = lines(data, limit: 4096)
        let prefix = lines.first ?? ""
        let keys = Array(lines.dropFirst())
        do throws(LocalPathError) {
            let map = try KeyPathMap(keys: keys, prefix: prefix)
            checkMapped(map, keys: keys)
            let reversed = try? KeyPathMap(keys: keys.reversed(), prefix: prefix)
            precondition(reversed != nil, "the same keys in another order were refused")
            let paths = Dictionary(map.entries.map { (Array($0.key.utf8), $0.components) }) { first, _ in first }
            for entry in reversed?.entries ?? [] {
                precondition(paths[Array(entry.key.utf8)] == entry.components, "a key mapped differently in another order")
            }
        } catch {
            checkRefusal(error, keys: keys, prefix: prefix)
        }
    }

    /// The invariants of a map that was made.
    private static func checkMapped(_ map: KeyPathMap, keys: [String]) {
        let distinct = Set(keys.map { Array($0.utf8) })
        precondition(map.entries.count == distinct.count, "a key was lost or mapped twice")
        var files = Set<[String]>()
        for entry in map.entries {
            precondition(!entry.components.isEmpty, "an empty path")
            precondition(!entry.path.hasPrefix("/"), "an absolute path")
            for part in entry.components {
                let bytes = Array(part.utf8)
                precondition(!bytes.isEmpty && bytes != [0x2E] && bytes != [0x2E, 0x2E], "an empty, '.' or '..' part")
                precondition(!bytes.contains(0) && !bytes.contains(0x2F), "a part with NUL or '/'")
                precondition(bytes.count <= KeyPathMap.maximumPartBytes, "a part longer than a file name")
            }
            let folded = entry.components.map { $0.lowercased() }
            precondition(files.insert(folded).inserted, "two keys share a file")
        }
        for file in files where file.count > 1 {
            for depth in 1..<file.count {
                precondition(!files.contains(Array(file[..<depth])), "a file is the directory of another")
            }
        }
    }

    /// The invariants of a refusal: it names keys of the input, and they are what it says.
    private static func checkRefusal(_ error: LocalPathError, keys: [String], prefix: String) {
        func mapped(_ key: String) -> [String] {
            precondition(keys.contains { $0.utf8.elementsEqual(key.utf8) }, "the error names a key not in the input")
            guard let components = try? KeyPathMap.components(of: key, below: prefix) else {
                preconditionFailure("the error names an unusable key as usable")
            }
            return components.map { $0.lowercased() }
        }
        switch error {
        case .unusableKey(let key, _):
            precondition(keys.contains { $0.utf8.elementsEqual(key.utf8) }, "the error names a key not in the input")
            precondition((try? KeyPathMap.components(of: key, below: prefix)) == nil, "a usable key was refused")
        case .sameLocalPath(let key, let otherKey, _):
            precondition(!key.utf8.elementsEqual(otherKey.utf8), "a key collides with itself")
            precondition(mapped(key) == mapped(otherKey), "keys with different files reported as one")
        case .fileAndDirectory(let fileKey, let directoryKey, _):
            let file = mapped(fileKey)
            let below = mapped(directoryKey)
            precondition(below.count > file.count && Array(below.prefix(file.count)) == file,
                         "a file reported as another's directory is not")
        default:
            preconditionFailure("the pure mapping threw \(error)")
        }
    }
}
