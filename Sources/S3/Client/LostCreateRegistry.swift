import Foundation
import Synchronization

/// Uploads whose `CreateMultipartUpload` needed a retry after an ambiguous failure (timeout,
/// reset, cut-off answer). The failed attempt may still reach the server after the retry and
/// create an upload nobody holds, so when such an upload is completed or aborted, the client
/// looks for uploads of the same key started since the first attempt and aborts them.
final class LostCreateRegistry: Sendable {
    private let entries = Mutex<[String: Date]>([:])

    /// Remembers that `uploadID` was created after an ambiguous attempt sent at `since`.
    func record(uploadID: String, since: Date) {
        entries.withLock { $0[uploadID] = since }
    }

    /// When `uploadID`'s first create attempt was sent, if it was recorded; forgets it.
    func take(uploadID: String) -> Date? {
        entries.withLock { $0.removeValue(forKey: uploadID) }
    }
}
