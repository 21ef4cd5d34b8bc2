import Foundation
import Logging
import Synchronization
@testable import StrataKit
import Testing

/// Text logs on standard error show keys escaped, one line a record (issue 16, row 14).
@Suite struct TerminalLogStreamTests {
    @Test func aRecordIsOneEscapedLine() {
        let written = Mutex<[String]>([])
        let stream = TerminalLogStream { text in written.withLock { $0.append(text) } }
        var logger = Logger(label: "strata") { StreamLogHandler(label: $0, stream: stream) }
        logger.logLevel = .info
        logger.warning("could not look for uploads\u{1B}[2J", metadata: ["key": "vault/\u{1B}]0;owned\u{07}\nnext"])
        let lines = written.withLock { $0 }
        #expect(lines.count == 1)
        let line = lines.first ?? ""
        #expect(line.hasSuffix(#"key=vault/\x1b]0;owned\x07\x0anext [StrataKitTests] could not look for uploads\x1b[2J"# + "\n"), "\(line)")
        #expect(line.dropLast().allSatisfy { !$0.isNewline && $0 != "\u{1B}" })
    }
}
