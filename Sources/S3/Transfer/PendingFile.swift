import CStrataSystem
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A download's file while it is written and checked: unnamed (`O_TMPFILE`) or under a random
/// dot name in its directory, until ``commit()`` gives it its own name. Made by
/// ``DownloadDirectory``; its descriptors close with the object.
final class PendingFile: Sendable {
    /// The file, open for reading and writing.
    let descriptor: CInt
    /// The directory it goes in, opened without following links.
    let directory: CInt
    /// Its name in `directory`, once committed.
    let name: String
    /// The dot name it has while pending, or `nil` while it has none (`O_TMPFILE`).
    let temporaryName: String?
    /// Where it goes, for messages.
    let path: String
    /// The object key it holds.
    let key: String

    init(descriptor: CInt, directory: CInt, name: String, temporaryName: String?, path: String, key: String) {
        self.descriptor = descriptor
        self.directory = directory
        self.name = name
        self.temporaryName = temporaryName
        self.path = path
        self.key = key
    }

    deinit {
        close(descriptor)
        close(directory)
    }

    /// A dot name no download picked before (`O_EXCL` retries on the rare clash).
    static func randomName() -> String {
        ".strata-partial-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// Moves the file under its own name, replacing a regular file of that name (never a link,
    /// directory or anything else: checked again, as it may have appeared while downloading).
    func commit() throws(LocalPathError) {
        try DownloadDirectory.checkName(name, in: directory, key: key, path: path)
        let named: String
        if let temporaryName { named = temporaryName } else { named = try link() }
        guard renameat(directory, named, directory, name) == 0 else {
            let code = errno
            unlinkat(directory, named, 0)
            throw .system(key: key, path: path, operation: .rename, errno: Errno(rawValue: code))
        }
    }

    /// Removes the dot name, if the file has one (an unnamed file goes when it is closed).
    func discard() {
        if let temporaryName { unlinkat(directory, temporaryName, 0) }
    }

    /// Gives the unnamed file a dot name in its directory: `linkat` of the descriptor itself
    /// (`AT_EMPTY_PATH`, which needs `CAP_DAC_READ_SEARCH`), else of its `/proc/self/fd` entry.
    private func link() throws(LocalPathError) -> String {
        while true {
            let candidate = Self.randomName()
            if linkat(descriptor, "", directory, candidate, cstrata_at_empty_path()) == 0 { return candidate }
            if errno == EEXIST { continue }
            if linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", directory, candidate, AT_SYMLINK_FOLLOW) == 0 {
                return candidate
            }
            let code = errno
            if code == EEXIST { continue }
            throw .system(key: key, path: path, operation: .link, errno: Errno(rawValue: code))
        }
    }
}
