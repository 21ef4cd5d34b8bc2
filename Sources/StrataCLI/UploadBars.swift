import Foundation
import Synchronization

/// One progress bar per uploaded file, each finished before the next file starts, so a
/// multi-file `strata upload` leaves one completed line per file on the terminal.
final class UploadBars: Sendable {
    private let enabled: Bool
    private let current: Mutex<(file: String, bar: ProgressBar)?>

    /// Bars drawn only when `enabled` (standard error is a terminal).
    init(enabled: Bool) {
        self.enabled = enabled
        self.current = Mutex(nil)
    }

    /// Progress of `file`: `done` of `total` bytes.
    @Sendable func update(file: String, done: Int64, total: Int64) {
        guard enabled else { return }
        let bar: ProgressBar = current.withLock { current in
            if let current, current.file == file { return current.bar }
            current?.bar.finish()
            let bar = ProgressBar(label: (file as NSString).lastPathComponent, total: total, unit: .bytes, enabled: true)
            current = (file, bar)
            return bar
        }
        bar.update(done: done, total: total)
    }

    /// Ends the last bar's line.
    func finish() {
        current.withLock { $0?.bar.finish() }
    }
}
