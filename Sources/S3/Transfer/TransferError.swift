/// A local-side transfer failure: the file to send or the place to write is not usable.
public enum TransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file to upload does not exist.
    case fileNotFound(String)
    /// The file to upload ended early: it shrank while being read, so it no longer matches
    /// the size and checksum taken at the start.
    case fileChanged(String)
    /// The object's content does not match its recorded checksum after every retry.
    case checksumMismatch(key: String, detail: String)
    /// The upload's checkpoint record (see ``UploadCheckpoints``) could not be written.
    case checkpoint(path: String, reason: String)
    /// The file to upload could not be opened again to send a part (it was readable when the
    /// upload started).
    case unreadable(path: String, reason: String)
    /// An object whose HEAD cannot describe a real S3 object (a size over 5 TiB or below 0), or
    /// a range size outside S3's part limits: nothing is downloaded.
    case implausibleObject(key: String, detail: String)
    /// A storage-class copy that had to replace the metadata could not be shown to hold the
    /// same bytes as the object it replaced (size, ETag and stored checksums differ or are
    /// missing). The copy is in place; `verify --deep` checks its content.
    case copyNotIdentical(key: String, detail: String)

    /// One line naming the file or key.
    public var description: String {
        switch self {
        case .fileNotFound(let path): return "\(path): no such file"
        case .fileChanged(let path): return "\(path): the file changed while it was being uploaded"
        case .checksumMismatch(let key, let detail): return "\(key): downloaded content does not match: \(detail)"
        case .checkpoint(let path, let reason): return "\(path): cannot write the upload checkpoint: \(reason)"
        case .unreadable(let path, let reason): return "\(path): cannot open to send: \(reason)"
        case .implausibleObject(let key, let detail): return "\(key): not downloaded: \(detail)"
        case .copyNotIdentical(let key, let detail):
            return "\(key): the storage-class copy could not be shown byte-identical: \(detail); "
                + "check its content with strata verify --deep"
        }
    }
}
