import Synchronization

/// Progress of one transfer: bytes done of bytes total, reported as parts finish. The CLI draws
/// its progress bar from it.
public typealias TransferProgressHandler = @Sendable (_ done: Int64, _ total: Int64) -> Void

/// Adds up bytes finished by concurrent part tasks and reports the running total.
final class ProgressCounter: Sendable {
    private let done = Mutex<Int64>(0)
    let total: Int64
    let handler: TransferProgressHandler?

    init(total: Int64, handler: TransferProgressHandler?) {
        self.total = total
        self.handler = handler
    }

    func add(_ bytes: Int64) {
        let now = done.withLock { value -> Int64 in
            value += bytes
            return value
        }
        handler?(now, total)
    }
}
