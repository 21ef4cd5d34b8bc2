import Foundation
import StrataTestSupport
import Testing

/// How tools/backup/lib.sh hands a fetched body to its destination.
@Suite(.blocking) struct HTTPFetchTests {
    /// Regression: fetching into /dev/null (as tools/backup/qdrant does for DELETE) renamed the
    /// temporary body file onto it, and as root /dev/null became a regular file. Checked with a
    /// character-device stand-in that cannot be damaged (a FIFO in a temporary folder) and a
    /// regular file, which is still replaced by rename.
    @Test func aSpecialFileIsWrittenIntoAndARegularFileReplaced() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-fetch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lib = RepositoryPaths.root.appendingPathComponent("tools/backup/lib.sh").path
        let output = try ProcessRunner(environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]).run(["bash", "-c", """
            set -euo pipefail
            cd "$1"
            source "$2"
            mkfifo sink
            exec 3<>sink            # held open read-write: writing into it cannot block
            printf 'snapshot bytes' > body
            deliver_body body sink
            [ -p sink ] && echo "still a fifo"
            timeout 5 head -c 14 <&3; echo
            printf 'new' > body2; printf 'old' > regular
            deliver_body body2 regular
            [ ! -e body2 ] && cat regular
            """, "deliver-test", folder.path, lib])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdoutText == "still a fifo\nsnapshot bytes\nnew")
    }
}
