import Foundation
import Retention

extension Sweep {
    /// A dry run in memory that grows with the bucket's sets, not its objects: the listing or
    /// report is spooled to `spoolDirectory` and planned by the streaming planner. Returns `nil`
    /// for a bucket with noncurrent versions or delete markers: ``run(apply:)`` plans those.
    public func streamedDryRun(spoolDirectory: String = NSTemporaryDirectory()) async throws -> StreamedPlan? {
        let writer = SweepJournal(context: context, location: journal)
        return try await maker(after: try await writer.latest()).makeStreamedPlan(now: now, spoolDirectory: spoolDirectory)
    }
}
