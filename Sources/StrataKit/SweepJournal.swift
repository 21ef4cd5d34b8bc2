import Foundation
import Logging
import Retention
import S3

/// The record of one sweep, written before it acts and updated as it goes: what it planned,
/// what it did, what failed. Kept in the bucket under `.strata/journal/` (or in a local
/// directory), it tells an operator what an interrupted sweep had done; the next sweep plans
/// afresh from the bucket and converges on the same end state.
public struct SweepJournal: Sendable {
    /// The journal document.
    public struct Entry: Codable, Sendable {
        /// Run id (sortable: time then random).
        public var runID: String
        /// Strata version that ran.
        public var strataVersion: String
        /// The instant the plan was made for (`--now`).
        public var planTime: Date
        /// Wall-clock start.
        public var startedAt: Date
        /// How far the run got.
        public var status: Status
        /// The actions planned; empty when they were written in parts (``actionParts``).
        public var actions: [PlanAction]
        /// How many actions were planned, when they were written in parts instead of into
        /// ``actions`` (a sweep planned by the streaming planner); `nil` otherwise.
        public var plannedActions: Int?
        /// How many parts of at most ``SweepJournal/actionsPerPart`` actions the planned actions
        /// were written in (``SweepJournal/actionsPartLocation(runID:part:)``); `nil` when they
        /// are in ``actions``.
        public var actionParts: Int?
        /// Actions done so far.
        public var done: Counts
        /// Failures, one line each.
        public var failures: [String]
        /// When it finished, if it did.
        public var finishedAt: Date?

        /// Creates an entry.
        public init(runID: String, strataVersion: String, planTime: Date, startedAt: Date, status: Status,
                    actions: [PlanAction], done: Counts = Counts(), failures: [String] = [], finishedAt: Date? = nil,
                    plannedActions: Int? = nil, actionParts: Int? = nil) {
            self.runID = runID
            self.strataVersion = strataVersion
            self.planTime = planTime
            self.startedAt = startedAt
            self.status = status
            self.actions = actions
            self.done = done
            self.failures = failures
            self.finishedAt = finishedAt
            self.plannedActions = plannedActions
            self.actionParts = actionParts
        }

        /// Whether the run got to the end (a killed or failed run did not).
        public var isFinished: Bool { status == .completed }

        /// When the run started, for the delete-marker incident guard (`PlanOptions.lastSweep`),
        /// never later than `now`: a journal written with a wrong clock (or planted) cannot make
        /// new delete markers look old.
        public func start(notAfter now: Date) -> Date { min(startedAt, now) }
    }

    /// How far a sweep got, in the order it gets there: `planned`, then `deleting`, then
    /// `transitioning`, then `completed`; or `failed` at any point. A killed sweep stays at the
    /// phase it was in. Stored as these words in the journal.
    public enum Status: String, Codable, Sendable, Hashable {
        /// The plan is recorded; nothing has been done yet.
        case planned
        /// Deleting (expired sets, WAL, noncurrent versions; aborting stale uploads).
        case deleting
        /// Moving kept objects to colder classes.
        case transitioning
        /// Every action was carried out.
        case completed
        /// Stopped by failures or a lost lease; `failures` says which.
        case failed
    }

    /// Counts of actions carried out.
    public struct Counts: Codable, Sendable, Hashable {
        /// Objects moved to a colder class.
        public var transitions = 0
        /// Objects (or versions) deleted.
        public var deletes = 0
        /// Multipart uploads aborted.
        public var aborts = 0
        /// Deletes skipped because the fresh listing no longer agreed.
        public var skipped = 0
        /// Delete markers removed (they free no storage, so they are not deletions).
        public var markersRemoved = 0
        /// Planned transitions not made: the object was in its target class already.
        public var transitionsAlreadyThere = 0
        /// Planned transitions not made: the object was gone.
        public var transitionsGone = 0
        /// Old versions and delete markers of Strata's own files removed (``StrataFiles``).
        public var strataVersionsRemoved = 0
        /// All zero.
        public init() {}

        private enum CodingKeys: String, CodingKey {
            case transitions, deletes, aborts, skipped, markersRemoved, transitionsAlreadyThere, transitionsGone
            case strataVersionsRemoved
        }

        /// Decodes counts; journals written before a count existed read it as zero.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            transitions = try c.decodeIfPresent(Int.self, forKey: .transitions) ?? 0
            deletes = try c.decodeIfPresent(Int.self, forKey: .deletes) ?? 0
            aborts = try c.decodeIfPresent(Int.self, forKey: .aborts) ?? 0
            skipped = try c.decodeIfPresent(Int.self, forKey: .skipped) ?? 0
            markersRemoved = try c.decodeIfPresent(Int.self, forKey: .markersRemoved) ?? 0
            transitionsAlreadyThere = try c.decodeIfPresent(Int.self, forKey: .transitionsAlreadyThere) ?? 0
            transitionsGone = try c.decodeIfPresent(Int.self, forKey: .transitionsGone) ?? 0
            strataVersionsRemoved = try c.decodeIfPresent(Int.self, forKey: .strataVersionsRemoved) ?? 0
        }
    }

    /// Where journals go.
    public enum Location: Sendable, Hashable {
        /// `.strata/journal/<run>.json` in the bucket.
        case bucket
        /// `<directory>/<run>.json` on local disk.
        case directory(String)
    }

    let context: StrataContext
    let location: Location

    /// A journal writer.
    public init(context: StrataContext, location: Location) {
        self.context = context
        self.location = location
    }

    /// A new sortable run id: `20261125T100000Z-1a2b3c4d`.
    public static func newRunID(now: Date) -> String {
        "\(runStampFormatter().string(from: now))-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// The formatter of a run id's time part (`20261125T100000Z`), strict when parsing.
    private static func runStampFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        formatter.isLenient = false
        return formatter
    }

    /// Writes `entry` (replacing the previous state of the same run), atomically in either location.
    public func write(_ entry: Entry) async throws {
        let data = try JSONCoding.encoder.encode(entry)
        switch location {
        case .bucket:
            try await context.client.putObject(bucket: context.bucket, key: StrataPaths.journalPrefix + entry.runID + ".json",
                                               body: Array(data), options: PutOptions(contentType: "application/json"))
        case .directory(let directory):
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let url = URL(fileURLWithPath: directory).appendingPathComponent(entry.runID + ".json")
            try data.write(to: url, options: .atomic)
        }
    }

    /// The instant a run id made by ``newRunID(now:)`` records, `nil` for anything else
    /// (wrong shape, impossible date): the journal is ordered by this, not by key order.
    public static func runTime(of runID: String) -> Date? {
        let parts = runID.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let stamp = parts.first, let random = parts.last,
              (1...8).contains(random.count), random.allSatisfy(\.isHexDigit) else { return nil }
        // Printing the parsed time back must give the stamp exactly: that alone checks its shape
        // (digits, `T`, `Z`, widths) and refuses dates the formatter would roll over.
        let formatter = runStampFormatter()
        guard let date = formatter.date(from: String(stamp)), formatter.string(from: date) == stamp else { return nil }
        return date
    }
}
