import Foundation
import Logging
import Retention
import S3

/// Gets one backup set back out of the bucket: finds the set in the plan, asks S3 to restore
/// archived members (GLACIER, DEEP_ARCHIVE), and, when waiting, polls until every member is
/// readable and downloads them all, verified, into a local directory. The library entry point
/// behind `strata retrieve`.
///
/// Restores are idempotent: a member whose restore is already running is reported, not asked
/// for again, so running the command repeatedly (e.g. from cron until it succeeds) costs nothing.
/// For the pgBackRest layout the set's dependencies (the full and prior backups it references),
/// `backup.info*`/`archive.info*`, and the WAL between the set's archive start and stop (read
/// from `backup.info`) are fetched too; WAL for point-in-time recovery beyond the stop is not.
public struct Retriever: Sendable {
    /// Which set to retrieve.
    public enum Selector: Sendable, Hashable {
        /// The newest kept set at or before this instant.
        case at(Date)
        /// The set with this id (as `strata sweep` lists it: a time, `series@time`, or a pgBackRest label).
        case id(String)
    }

    /// A member's readability.
    public enum MemberState: String, Sendable, Codable, Hashable {
        /// Not in an archive class: readable as is.
        case notArchived = "not archived"
        /// Archived, with a restored copy readable now.
        case restored
        /// Archived; a restore requested earlier is still running.
        case ongoing = "restore ongoing"
        /// Archived; this call requested its restore.
        case requested = "restore requested"
        /// Labelled GLACIER or DEEP_ARCHIVE on a server with no archive tier: RestoreObject was
        /// refused (405 or 501), and the object reads as it is.
        case noArchiveTier = "no archive tier"

        /// Whether the object can be downloaded now.
        public var isReadable: Bool { self == .notArchived || self == .restored || self == .noArchiveTier }
    }

    /// One member object and its state.
    public struct MemberStatus: Sendable, Codable, Hashable {
        /// Object key.
        public var key: String
        /// Size in bytes.
        public var size: Int64
        /// Storage class.
        public var storageClass: String
        /// Readability.
        public var state: MemberState
    }

    /// One file written.
    public struct WrittenFile: Sendable, Codable, Hashable {
        /// Object key.
        public var key: String
        /// Local path.
        public var path: String
        /// Bytes written.
        public var size: Int64
        /// How the content was verified: `crc32c-parts`, `sha256-parts`, `md5-etag`, or `none`.
        public var verification: String
    }

    /// What a retrieval found and did.
    public struct Report: Sendable, Codable, Hashable {
        /// Component.
        public var component: String
        /// The set chosen.
        public var setID: String
        /// Its series.
        public var series: String
        /// Its time.
        public var time: Date
        /// Every object fetched or to fetch, by key.
        public var members: [MemberStatus]
        /// Files written (empty unless waiting).
        public var written: [WrittenFile]
        /// Things the operator should know (e.g. WAL not included).
        public var notes: [String]
        /// Whether every member is readable now.
        public var allReadable: Bool { members.allSatisfy { $0.state.isReadable } }
    }

    /// Progress while waiting and downloading.
    public enum Event: Sendable, Hashable {
        /// A poll found `ready` of `total` members readable; the next check is after `next`.
        case waiting(ready: Int, total: Int, next: Duration)
        /// Every member is readable; `objects` members, `bytes` in all, are about to be downloaded.
        case downloading(objects: Int, bytes: Int64)
        /// A member was written.
        case wrote(key: String, size: Int64)
    }

    /// Capped exponential backoff between polls while restores run.
    public struct Backoff: Sendable, Hashable {
        /// First delay.
        public var initial: Duration
        /// Largest delay.
        public var maximum: Duration
        /// Growth per poll.
        public var multiplier: Double
        /// Give up after sleeping this long in total (`nil`: never).
        public var timeout: Duration?

        /// Creates a backoff; defaults suit Glacier's Standard tier (3-5 hours).
        public init(initial: Duration = .seconds(60), maximum: Duration = .seconds(900), multiplier: Double = 2,
                    timeout: Duration? = nil) {
            self.initial = initial
            self.maximum = maximum
            self.multiplier = multiplier
            self.timeout = timeout
        }

        /// The delay before poll `attempt` (0-based).
        public func delay(attempt: Int) -> Duration {
            let grown = Self.seconds(initial) * pow(max(multiplier, 1), Double(min(attempt, 60)))
            return grown >= Self.seconds(maximum) ? maximum : .seconds(grown)
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }

    /// Where to work.
    public let context: StrataContext
    /// Restore speed.
    public var tier: RestoreTier = .standard
    /// Days the restored copies stay readable.
    public var days: Int = 3
    /// Polling schedule while waiting.
    public var backoff = Backoff()
    /// Sleeps between polls (tests pass one that returns at once).
    public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// Objects checked or downloaded at once (each download also runs ranged GETs in parallel).
    public var concurrency = 4
    /// Progress callback.
    public var progress: (@Sendable (Event) -> Void)?
    /// Where the listing and the plan are spooled while the set is chosen (the streaming planner's
    /// files, removed when done).
    public var spoolDirectory = NSTemporaryDirectory()

    /// Creates a retriever.
    public init(context: StrataContext) { self.context = context }

    /// Finds the set, requests restores, and, when `destination` is given, waits for them and
    /// downloads every member below `destination`, keeping the key path below the component prefix.
    ///
    /// With a `destination`, the members are mapped to their files (``KeyPathMap``) before any
    /// restore is requested or byte written: a key that cannot be a file below it, or two keys
    /// that would be one file, throw ``LocalPathError`` then; so does an empty `destination`,
    /// and a symbolic link below it (found before the first download; see ``DownloadDirectory``).
    public func retrieve(component: String, selector: Selector, series: String? = nil,
                         destination: String?) async throws -> Report {
        guard days >= 1 else { throw StrataError(.configuration, "--days \(days): expected at least 1 day") }
        let policies = try context.requirePolicies()
        guard let policy = policies.policy(named: component) else {
            throw StrataError(.configuration, "unknown component '\(component)'; expected one of \(policies.policies.map(\.component).joined(separator: ", "))")
        }
        let selection = try await select(component: component, policy: policy, selector: selector, series: series)
        let set = selection.set
        let keys = Self.distinct(selection.keys)
        guard !keys.isEmpty else { throw StrataError(.failure, "set \(set.id) of \(component) has no current objects") }
        if destination?.isEmpty == true { throw LocalPathError.emptyDestination }
        let files = try destination.map { _ in try KeyPathMap(keys: keys, prefix: policy.prefix) }
        var members = try await check(keys)
        var report = Report(component: component, setID: set.id, series: set.series, time: set.time,
                            members: members, written: [], notes: selection.notes + Self.archiveTierNote(members))
        guard let destination, let files else { return report }
        var attempt = 0
        var slept: Duration = .zero
        while !members.allSatisfy({ $0.state.isReadable }) {
            let delay = backoff.delay(attempt: attempt)
            if let timeout = backoff.timeout, slept + delay > timeout {
                let pending = members.filter { !$0.state.isReadable }.count
                throw StrataError(.failure, "\(pending) of \(members.count) objects of set \(set.id) still not restored after waiting \(slept); run again later (restores are not re-requested)")
            }
            progress?(.waiting(ready: members.filter { $0.state.isReadable }.count, total: members.count, next: delay))
            try await sleep(delay)
            slept += delay
            attempt += 1
            // By position, not by key: two keys Swift's String takes as equal (Unicode forms) are two objects.
            let pending = members.indices.filter { !members[$0].state.isReadable }
            for (index, status) in zip(pending, try await check(pending.map { members[$0].key })) {
                members[index] = status
            }
        }
        report.members = members
        progress?(.downloading(objects: members.count, bytes: members.saturatingSum(\.size)))
        report.written = try await download(files, into: destination)
        return report
    }

    /// The position in `sets` of the set a selector names, or a failure naming what exists.
    static func choose(_ sets: [PlanSet], selector: Selector, series: String?, component: String) throws -> Int {
        let inSeries = sets.indices.filter { series == nil || sets[$0].series == series }.map { (index: $0, set: sets[$0]) }
        if let series, inSeries.isEmpty {
            let known = Set(sets.map(\.series)).sorted().map { $0.isEmpty ? "\"\"" : $0 }
            throw StrataError(.failure, "\(component) has no set in series '\(series)'; series present: \(known.joined(separator: ", "))")
        }
        switch selector {
        case .id(let id):
            guard let chosen = inSeries.first(where: { $0.set.id == id }) else {
                let newest = inSeries.map(\.set).sorted { $0.time > $1.time }.prefix(5).map(\.id)
                throw StrataError(.failure, "\(component) has no set '\(id)'; newest sets: \(newest.isEmpty ? "none" : newest.joined(separator: ", "))")
            }
            return chosen.index
        case .at(let instant):
            let candidates = inSeries.filter { $0.set.decision == .keep && $0.set.time <= instant }
            guard let chosen = candidates.max(by: { ($0.set.time, $0.set.id) < ($1.set.time, $1.set.id) }) else {
                let oldest = inSeries.map(\.set).filter { $0.decision == .keep }.map(\.time).min()
                let hint = oldest.map { "the oldest kept set is from \(JSONCoding.timestamp($0))" } ?? "it has no kept sets"
                throw StrataError(.failure, "\(component) has no kept set at or before \(JSONCoding.timestamp(instant)); \(hint)")
            }
            return chosen.index
        }
    }

    /// HEADs each key and requests a restore where one is needed and none is running.
    func check(_ keys: [String]) async throws -> [MemberStatus] {
        let client = context.client
        let bucket = context.bucket
        let now = context.now()
        let days = self.days
        let tier = self.tier
        return try await bounded(keys) { key in
            let head: ObjectHead
            do {
                head = try await client.headObject(bucket: bucket, key: key)
            } catch let error as S3Error where error.status == 404 {
                throw StrataError(.failure, "\(key): no longer in the bucket (deleted since the listing?)")
            }
            let state: MemberState
            if !head.needsRestore(at: now) {
                state = head.restore == nil ? .notArchived : .restored
            } else if head.restore?.ongoing == true {
                state = .ongoing
            } else {
                switch try await client.restoreObject(bucket: bucket, key: key, days: days, tier: tier) {
                case .started: state = .requested
                case .alreadyInProgress: state = .ongoing
                case .alreadyRestored: state = .restored
                case .noArchiveTier: state = .noArchiveTier
                }
            }
            return MemberStatus(key: key, size: head.contentLength, storageClass: head.storageClass, state: state)
        }
    }

    /// The note for objects labelled as archived that read without a restore, or none.
    static func archiveTierNote(_ members: [MemberStatus]) -> [String] {
        let count = members.filter { $0.state == .noArchiveTier }.count
        guard count > 0 else { return [] }
        return ["the server has no archive tier: it refused RestoreObject, and the \(count) object(s) labelled GLACIER or DEEP_ARCHIVE read as they are"]
    }

    /// Downloads every key of `files` to its file below `directory`, having first created the
    /// directories and checked the way to every file (a link there fails before any GET).
    func download(_ files: KeyPathMap, into directory: String) async throws -> [WrittenFile] {
        let target = try DownloadDirectory(path: directory)
        try target.prepare(files)
        let client = context.client
        let bucket = context.bucket
        let progress = self.progress
        return try await bounded(files.entries) { entry in
            let result: DownloadResult
            do {
                result = try await client.downloadFile(bucket: bucket, key: entry.key, into: target, at: entry.components)
            } catch let error as TransferError {
                throw StrataError(.failure, error.description)
            }
            progress?(.wrote(key: entry.key, size: result.size))
            return WrittenFile(key: entry.key, path: target.path(of: entry.components), size: result.size,
                               verification: result.verification.rawValue)
        }
    }

    /// `keys` without repeats, in S3's order (by bytes). Keys are told apart by their bytes, as
    /// S3 tells them apart: a `Set<String>` would take two keys in different Unicode forms for
    /// one and silently keep either object.
    static func distinct(_ keys: [String]) -> [String] {
        var seen = Set<[UInt8]>()
        return keys.filter { seen.insert(Array($0.utf8)).inserted }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Runs `work` for each item, at most `concurrency` at once; results in input order.
    private func bounded<Item: Sendable, T: Sendable>(_ items: [Item],
                                                      _ work: @escaping @Sendable (Item) async throws -> T) async throws -> [T] {
        try await items.concurrentMap(maxConcurrentTasks: concurrency, work)
    }
}
