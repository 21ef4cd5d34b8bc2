import Foundation
import Retention
import Synchronization

/// A one-line progress bar on standard error, redrawn in place (`\r`, erase line) at most ten
/// times a second, for long transfers and restore waits. Only drawn on a terminal: when
/// `enabled` is false every call does nothing, so callers need no branches.
final class ProgressBar: Sendable {
    /// What the counted units are.
    enum Unit: Sendable {
        case bytes, objects
    }

    private struct State {
        var done: Int64 = 0
        var total: Int64
        var note = ""
        var lastDraw: ContinuousClock.Instant?
        var drawnDone: Int64 = -1
        var finished = false
    }

    private let label: String
    private let unit: Unit
    private let enabled: Bool
    private let width: Int
    private let clock: ContinuousClock
    private let started: ContinuousClock.Instant
    private let write: @Sendable (String) -> Void
    private let state: Mutex<State>

    /// A bar for `total` units; `write` receives each redraw (standard error by default).
    init(label: String, total: Int64, unit: Unit, enabled: Bool, width: Int = 30, clock: ContinuousClock = ContinuousClock(),
         write: @escaping @Sendable (String) -> Void = { try? FileHandle.standardError.write(contentsOf: Data($0.utf8)) }) {
        // A label may name a local file, whose name may hold anything.
        self.label = TerminalText.escaped(label)
        self.unit = unit
        self.enabled = enabled
        self.width = width
        self.clock = clock
        self.started = clock.now
        self.write = write
        self.state = Mutex(State(total: max(total, 0)))
    }

    /// Sets the units done so far (and optionally the total and a trailing note), redrawing when due.
    func update(done: Int64, total: Int64? = nil, note: String? = nil) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            guard !state.finished else { return nil }
            state.done = done
            if let total { state.total = total }
            if let note { state.note = note }
            let now = clock.now
            // Redraws are throttled, except the one reaching 100%, which must always show.
            if let last = state.lastDraw, now - last < .milliseconds(100),
               state.done < state.total || state.drawnDone == state.done { return nil }
            state.drawnDone = state.done
            state.lastDraw = now
            return render(state, now: now)
        }
        if let line { write("\r\u{1B}[K" + line) }
    }

    /// Adds `units` to the count.
    func advance(by units: Int64) {
        guard enabled else { return }
        let done = state.withLock { $0.done + units }
        update(done: done)
    }

    /// Erases the bar's line, so a line printed next starts clean; the next update draws the
    /// bar again below it.
    func clearLine() {
        guard enabled else { return }
        let drawn = state.withLock { state -> Bool in
            guard !state.finished, state.lastDraw != nil else { return false }
            // Not throttled: the bar is gone until drawn again.
            state.lastDraw = nil
            state.drawnDone = -1
            return true
        }
        if drawn { write("\r\u{1B}[K") }
    }

    /// Draws the last state and ends the line, so later output starts on a fresh one.
    func finish() {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            return render(state, now: clock.now)
        }
        if let line { write("\r\u{1B}[K" + line + "\n") }
    }

    private func render(_ state: State, now: ContinuousClock.Instant) -> String {
        let fraction = state.total > 0 ? min(1, Double(state.done) / Double(state.total)) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        var line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
        line += String(format: "%3d%% ", Int(fraction * 100))
        switch unit {
        case .bytes:
            line += "\(Self.mebibytes(state.done))/\(Self.mebibytes(state.total)) MiB"
            let elapsed = Self.seconds(now - started)
            if elapsed > 0.2 { line += String(format: "  %.1f MiB/s", Double(state.done) / 1_048_576 / elapsed) }
        case .objects:
            line += "\(state.done)/\(state.total) objects"
        }
        if !state.note.isEmpty { line += "  " + state.note }
        return line
    }

    private static func mebibytes(_ bytes: Int64) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
