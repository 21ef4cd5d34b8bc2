import SystemPackage

/// Why a download cannot be written where it was asked to go: the directory was not named, a
/// key cannot be a file below it, two keys would be one file (``KeyPathMap``), or something
/// below the directory is not what a download may write through (``DownloadDirectory``).
public enum LocalPathError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why a key cannot be a local file.
    public enum Problem: Sendable, Hashable {
        /// Nothing is left of the key below the prefix (or only `/`).
        case nothingBelowPrefix
        /// A part of its path is `.` or `..`.
        case dotPart
        /// It holds a NUL byte, which ends a path for the system.
        case nul
        /// A part of its path is longer than ``KeyPathMap/maximumPartBytes``.
        case longPart
    }

    /// The system call that failed, for ``system(key:path:operation:errno:)``.
    public enum Operation: String, Sendable, Hashable {
        /// Opening a directory.
        case open = "open the directory"
        /// Creating a directory.
        case createDirectory = "create the directory"
        /// Creating the download's file in a directory.
        case createFile = "create a file in"
        /// Looking at what is at a path (`fstatat`).
        case inspect = "inspect"
        /// Giving the downloaded file a name.
        case link = "link the downloaded file as"
        /// Moving the downloaded file into place.
        case rename = "rename the downloaded file to"
        /// Reading the downloaded file back to check it.
        case read = "read back the downloaded file"
    }

    /// The directory to download into is the empty path (which would be taken as `/`).
    case emptyDestination
    /// `key` cannot be a file below the directory.
    case unusableKey(key: String, problem: Problem)
    /// `key` and `otherKey` would be the same local file, `path` (below the directory).
    case sameLocalPath(key: String, otherKey: String, path: String)
    /// `path` (below the directory) would be the file of `fileKey` and a directory holding the
    /// file of `directoryKey`.
    case fileAndDirectory(fileKey: String, directoryKey: String, path: String)
    /// `path`, on the way to the file of `key`, is a symbolic link, which downloads never follow
    /// (nor replace) below the directory.
    case symbolicLink(key: String, path: String)
    /// `path`, on the way to the file of `key`, is there but is not a directory.
    case notADirectory(key: String, path: String)
    /// `path`, where the file of `key` goes, is there but is not a regular file (a directory,
    /// a device, a socket...).
    case notARegularFile(key: String, path: String)
    /// A system call failed at `path` (for `key`, when there is one).
    case system(key: String?, path: String, operation: Operation, errno: Errno)

    /// One line naming the keys and paths involved.
    public var description: String {
        switch self {
        case .emptyDestination:
            return "the directory to download into is the empty path: name a directory (. for the current one)"
        case .unusableKey(let key, let problem):
            let why = switch problem {
            case .nothingBelowPrefix: "it names nothing below the prefix"
            case .dotPart: "its path has a '.' or '..' part"
            case .nul: "it holds a NUL byte"
            case .longPart: "a part of its path is longer than \(KeyPathMap.maximumPartBytes) bytes"
            }
            return "\(Self.quoted(key)) cannot be a local file: \(why)"
        case .sameLocalPath(let key, let otherKey, let path):
            return "\(Self.quoted(key)) and \(Self.quoted(otherKey)) would be the same file \(Self.quoted(path)) below the directory "
                + "(keys that differ only in empty path parts, letter case or Unicode form): refusing to download either"
        case .fileAndDirectory(let fileKey, let directoryKey, let path):
            return "\(Self.quoted(fileKey)) and \(Self.quoted(directoryKey)) need \(Self.quoted(path)) below the directory "
                + "as both a file and a directory: refusing to download either"
        case .symbolicLink(let key, let path):
            return "\(Self.quoted(path)) is a symbolic link (on the way to \(Self.quoted(key))): downloads do not follow or replace "
                + "links below the directory they write to; remove it or download elsewhere"
        case .notADirectory(let key, let path):
            return "\(Self.quoted(path)) is not a directory (on the way to \(Self.quoted(key)))"
        case .notARegularFile(let key, let path):
            return "\(Self.quoted(path)) is there and is not a regular file (where \(Self.quoted(key)) goes)"
        case .system(let key, let path, let operation, let errno):
            return "\(Self.quoted(path)): cannot \(operation.rawValue): \(errno)" + (key.map { " (for \(Self.quoted($0)))" } ?? "")
        }
    }

    /// `text` in double quotes with control characters escaped: keys, and paths made of them,
    /// come from the bucket and may hold newlines or terminal escapes.
    static func quoted(_ text: String) -> String { text.debugDescription }
}
