import Foundation
import Retention

/// Standard error for swift-log's `StreamLogHandler` (`--log-format text`), with every record
/// shown escaped (``TerminalText/escaped(_:)``): records carry keys and S3's messages in their
/// metadata, and a raw escape sequence there would act on the terminal of whoever reads the log.
/// `--log-format json` needs none of this: JSON escapes control characters itself.
public struct TerminalLogStream: TextOutputStream, Sendable {
    let sink: @Sendable (String) -> Void

    /// A stream to standard error.
    public init() {
        self.init { try? FileHandle.standardError.write(contentsOf: Data($0.utf8)) }
    }

    /// A stream to `sink`, for tests.
    init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Writes one record. `StreamLogHandler` writes a record a call, ending in a line feed:
    /// everything before it is escaped, so a record stays one line whatever it quotes.
    public mutating func write(_ string: String) {
        guard string.hasSuffix("\n") else { return sink(TerminalText.escaped(string)) }
        sink(TerminalText.escaped(string.dropLast()) + "\n")
    }
}
