import Foundation
import Retention
import S3

extension SweepJournal {
    /// Planned actions per part. A part is about 2 MB of JSON, far below the journal's read
    /// limit, and a million planned actions are a hundred parts.
    public static let actionsPerPart = 10_000
    /// The directory of a local journal (`--journal DIR`) that holds the parts, beside the entries.
    static let localActionsDirectory = "actions"

    /// Where part `part` of run `runID`'s planned actions is: a key under
    /// `StrataPaths.journalActionsPrefix`, or a file under the local journal's `actions/`.
    public func actionsPartLocation(runID: String, part: Int) -> String {
        let name = "\(runID)/\(String(format: "%05d", part)).json"
        switch location {
        case .bucket: return StrataPaths.journalActionsPrefix + name
        case .directory(let directory): return (directory as NSString).appendingPathComponent("\(Self.localActionsDirectory)/\(name)")
        }
    }

    /// Writes part `part` of run `runID`'s planned actions: a JSON array in the form of an entry's
    /// `actions`. Written once, before the run deletes or moves anything.
    public func writeActions(runID: String, part: Int, _ actions: [PlanAction]) async throws {
        let data = try JSONCoding.encoder.encode(actions)
        let location = actionsPartLocation(runID: runID, part: part)
        switch self.location {
        case .bucket:
            try await context.client.putObject(bucket: context.bucket, key: location, body: Array(data),
                                               options: PutOptions(contentType: "application/json"))
        case .directory:
            let url = URL(fileURLWithPath: location)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        }
    }
}
