import CStrataSystem
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local directory that downloads are written below, opened once, and reached below that
/// only from its descriptor, one path part at a time, without following symbolic links.
///
/// Why: the paths below it come from object keys, which whoever can write to the bucket
/// chooses, and the directory may already hold links (planted, or left by an earlier restore).
/// Following one would write outside the directory. So every directory on the way to a file
/// is created with `mkdirat` and opened with `openat(O_NOFOLLOW | O_DIRECTORY)` from its
/// parent's descriptor; a link (or a file) anywhere on the way, or a link, directory or device
/// where the file goes, is an error naming the key and the path, and nothing is written
/// through it. The directory itself may be a link: whoever named it chose it.
///
/// Files are written unnamed where the system allows (`O_TMPFILE`: a run killed mid-download
/// leaves nothing behind), else under a random dot name, and appear under their own name only
/// once ``PendingFile/commit()`` renames them into place, replacing a regular file of that name.
public final class DownloadDirectory: Sendable {
    /// The directory as named, without trailing `/`.
    public let path: String
    /// The open directory; closed with the object.
    private let descriptor: CInt

    /// Opens the directory at `path` (following it if it is a link), creating it and its
    /// parents first when `create` and it is not there.
    ///
    /// - Throws: ``LocalPathError/emptyDestination`` for `""`, ``LocalPathError/system(key:path:operation:errno:)``.
    public init(path: String, create: Bool = true) throws(LocalPathError) {
        guard !path.isEmpty else { throw .emptyDestination }
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
        var opened = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if opened < 0, errno == ENOENT, create {
            try Self.makeDirectories(path)
            opened = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        let code = errno
        guard opened >= 0 else { throw .system(key: nil, path: trimmed, operation: .open, errno: Errno(rawValue: code)) }
        descriptor = opened
    }

    deinit { close(descriptor) }

    /// The path of `components` below the directory, for messages and reports.
    public func path(of components: some Sequence<String>) -> String {
        let below = components.joined(separator: "/")
        return below.isEmpty ? path : (path == "/" ? "" : path) + "/" + below
    }

    /// Creates the directories above every file of `map` and checks the way to each: no part
    /// of it is a link or a file, and what is at the file's name already, if anything, is a
    /// regular file. Run before the first byte is fetched, so a bad directory costs no download.
    public func prepare(_ map: KeyPathMap) throws(LocalPathError) {
        for entry in map.entries {
            let parent = try openParent(of: entry.components, key: entry.key)
            defer { close(parent) }
            try Self.checkName(entry.components[entry.components.count - 1], in: parent, key: entry.key,
                               path: path(of: entry.components))
        }
    }

    /// A new empty file in the directory of `components` (created on the way), to be named
    /// after its last part by ``PendingFile/commit()``.
    func newFile(at components: [String], key: String) throws(LocalPathError) -> PendingFile {
        let parent = try openParent(of: components, key: key)
        let name = components[components.count - 1]
        let display = path(of: components)
        let folder = path(of: components.dropLast())
        do throws(LocalPathError) {
            try Self.checkName(name, in: parent, key: key, path: display)
            let unnamed = cstrata_o_tmpfile()
            if unnamed != 0 {
                let file = openat(parent, ".", unnamed | O_RDWR | O_CLOEXEC, 0o644)
                let code = errno
                if file >= 0 {
                    return PendingFile(descriptor: file, directory: parent, name: name, temporaryName: nil,
                                       path: display, key: key)
                }
                // EOPNOTSUPP (the file system has no unnamed files), EISDIR or EINVAL (an old
                // kernel) mean a named temporary file instead; anything else is a real failure.
                guard [EOPNOTSUPP, EISDIR, EINVAL].contains(code) else {
                    throw .system(key: key, path: folder, operation: .createFile, errno: Errno(rawValue: code))
                }
            }
            while true {
                let temporaryName = PendingFile.randomName()
                let file = openat(parent, temporaryName, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                let code = errno
                if file >= 0 {
                    return PendingFile(descriptor: file, directory: parent, name: name, temporaryName: temporaryName,
                                       path: display, key: key)
                }
                guard code == EEXIST else {
                    throw .system(key: key, path: folder, operation: .createFile, errno: Errno(rawValue: code))
                }
            }
        } catch {
            close(parent)
            throw error
        }
    }

    /// Opens the directory that holds the file of `components`, creating each directory on the
    /// way and opening it without following links. The caller closes the descriptor returned.
    func openParent(of components: [String], key: String) throws(LocalPathError) -> CInt {
        var current = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard current >= 0 else { throw .system(key: key, path: path, operation: .open, errno: Errno(rawValue: errno)) }
        for (depth, part) in components.dropLast().enumerated() {
            var failure: LocalPathError?
            var next: CInt = -1
            if mkdirat(current, part, 0o777) != 0, case let code = errno, code != EEXIST {
                failure = .system(key: key, path: path(of: components[...depth]), operation: .createDirectory,
                                  errno: Errno(rawValue: code))
            } else {
                next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                let code = errno
                if next < 0 {
                    failure = Self.whyNotADirectory(part, in: current, errno: code, key: key,
                                                    path: path(of: components[...depth]))
                }
            }
            close(current)
            if let failure { throw failure }
            current = next
        }
        return current
    }

    /// What is at `name` in `directory` that `openat(O_DIRECTORY | O_NOFOLLOW)` refused with `error`.
    private static func whyNotADirectory(_ name: String, in directory: CInt, errno error: CInt, key: String,
                                         path: String) -> LocalPathError {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            return .system(key: key, path: path, operation: .open, errno: Errno(rawValue: error))
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK: return .symbolicLink(key: key, path: path)
        case S_IFDIR: return .system(key: key, path: path, operation: .open, errno: Errno(rawValue: error))
        default: return .notADirectory(key: key, path: path)
        }
    }

    /// Checks that `name` in `directory` is free or a regular file (which the download replaces).
    static func checkName(_ name: String, in directory: CInt, key: String, path: String) throws(LocalPathError) {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            let code = errno
            guard code == ENOENT else { throw .system(key: key, path: path, operation: .inspect, errno: Errno(rawValue: code)) }
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFLNK: throw .symbolicLink(key: key, path: path)
        default: throw .notARegularFile(key: key, path: path)
        }
    }

    /// `mkdir -p path`, following links: this is the path the operator named.
    private static func makeDirectories(_ path: String) throws(LocalPathError) {
        let whole = FilePath(path)
        var prefix = FilePath(root: whole.root)
        for component in whole.components {
            prefix.append(component)
            if mkdir(prefix.string, 0o777) != 0, case let code = errno, code != EEXIST {
                throw .system(key: nil, path: prefix.string, operation: .createDirectory, errno: Errno(rawValue: code))
            }
        }
    }
}
