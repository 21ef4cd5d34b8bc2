/// Whether an object copied onto its own key holds the same bytes as before, from what HEAD
/// reports on each side (with checksum mode), without reading the content.
///
/// Same size, and one of: the same ETag (an MD5 or a multipart ETag, which the copy keeps on
/// the servers that keep it); the same checksum stored by the server; or a stored checksum on
/// the copy that matches the ``ContentChecksum`` Strata recorded at upload.
enum CopyIdentity {
    /// Throws ``TransferError/copyNotIdentical(key:detail:)`` unless `after` is shown to be the
    /// same content as `before`.
    static func check(before: ObjectHead, after: ObjectHead, key: String) throws {
        guard before.contentLength == after.contentLength else {
            throw TransferError.copyNotIdentical(
                key: key, detail: "\(before.contentLength) bytes before, \(after.contentLength) after")
        }
        if !before.eTag.isEmpty, before.eTag == after.eTag { return }
        if let was = before.serverChecksum, let now = after.serverChecksum {
            guard was == now else {
                throw TransferError.copyNotIdentical(key: key, detail: "stored checksum \(was) before, \(now) after")
            }
            return
        }
        if let now = after.serverChecksum, let recorded = ContentChecksum(metadata: before.metadata),
           let same = now.matches(recorded, size: after.contentLength, eTag: after.eTag) {
            guard same else {
                throw TransferError.copyNotIdentical(
                    key: key, detail: "stored checksum \(now) does not match the one recorded at upload")
            }
            return
        }
        throw TransferError.copyNotIdentical(
            key: key, detail: "ETag \(before.eTag) before, \(after.eTag) after, and no stored checksum to compare")
    }
}
