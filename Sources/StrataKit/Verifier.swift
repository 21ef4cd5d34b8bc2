import Foundation
import Logging
import Retention
import S3
import SigV4

/// Checks that the backups a plan keeps are there and, when deep, that their content matches
/// what was recorded at upload. The library entry point behind `strata verify`.
///
/// Existence: every member of every kept set gets a `HeadObject`. A fresh plan is made from a
/// listing, so it can only find objects deleted since that listing; to find sets or files that
/// vanished, pass an earlier plan (`strata sweep --json` saved by cron) to ``verify(plan:)``.
///
/// Deep: objects with a ``ContentChecksum`` (uploaded by Strata) are streamed part by part with
/// ranged GETs and their SHA-256 parts compared, holding one part in memory per object; single-part
/// objects without one are checked against their MD5 ETag by a verified download into a
/// scratch directory that is removed afterwards. Archived objects (GLACIER, DEEP_ARCHIVE without a
/// restored copy) are reported as not checked, never restored. Multipart objects without a
/// Strata checksum have nothing to compare with and are reported as such.
public struct Verifier: Sendable {
    /// What was found for one object.
    public enum State: String, Sendable, Codable, Hashable {
        /// Present (and, when deep, its content matched).
        case ok
        /// Not in the bucket.
        case missing
        /// Content differs from its recorded checksum or ETag.
        case corrupt
        /// Archived: content not checked (it would need a restore).
        case archived = "archived, not checked"
        /// Present, but there is no checksum to compare its content with.
        case unverifiable = "no checksum, not checked"

        /// Whether this is a problem (exit 1).
        public var isProblem: Bool { self == .missing || self == .corrupt }
    }

    /// One object's result.
    public struct ObjectResult: Sendable, Codable, Hashable {
        /// Key.
        public var key: String
        /// What was found.
        public var state: State
        /// How it was checked or what differed.
        public var detail: String
    }

    /// One set's result.
    public struct SetResult: Sendable, Codable, Hashable {
        /// Component.
        public var component: String
        /// Set id.
        public var setID: String
        /// Results of its members.
        public var objects: [ObjectResult]
        /// Whether a member is missing.
        public var isMissing: Bool { objects.contains { $0.state == .missing } }
        /// Whether a member is corrupt.
        public var isCorrupt: Bool { objects.contains { $0.state == .corrupt } }
    }

    /// What a verification found.
    public struct Report: Sendable, Codable, Hashable {
        /// Whether contents were checked.
        public var deep: Bool
        /// Every kept set checked.
        public var sets: [SetResult]
        /// Sets the given plan kept whose projected expiry has passed (absence is not a problem).
        public var skippedExpired: [String]
        /// Sets with a missing member.
        public var missingSets: [SetResult] { sets.filter(\.isMissing) }
        /// Sets with a corrupt member.
        public var corruptSets: [SetResult] { sets.filter(\.isCorrupt) }
        /// Whether nothing is missing or corrupt.
        public var isHealthy: Bool { sets.allSatisfy { !$0.isMissing && !$0.isCorrupt } }

        /// A report of `sets`, checked deep or not, and the sets skipped as expired.
        public init(deep: Bool, sets: [SetResult], skippedExpired: [String]) {
            self.deep = deep
            self.sets = sets
            self.skippedExpired = skippedExpired
        }
    }

    /// Where to check.
    public let context: StrataContext
    /// Also check contents.
    public var deep = false
    /// Objects checked at once.
    public var concurrency = 4
    /// Objects a streamed verification reads from the plan and checks before reading more.
    public var batchSize = 1_000
    /// Called after each object with its key, its state and how many objects are checked in all.
    public var progress: (@Sendable (_ key: String, _ state: State, _ total: Int) -> Void)?

    /// Creates a verifier.
    public init(context: StrataContext) { self.context = context }

    /// Plans the bucket now (only `components`, when given) and verifies the kept sets.
    public func verify(components: Set<String>? = nil) async throws -> Report {
        var maker = PlanMaker(context: context, options: PlanOptions(components: components))
        maker.documentFailure = .planWithout
        return try await verify(plan: try await maker.makePlan(now: context.now()).plan, components: components)
    }

    /// Verifies the kept sets of `plan` (only `components`, when given) against the bucket now.
    /// Sets whose projected expiry has passed are skipped: a sweep may rightly have deleted them.
    public func verify(plan: Plan, components: Set<String>? = nil) async throws -> Report {
        let now = context.now()
        var skipped: [String] = []
        var work: [(component: String, setID: String, key: String)] = []
        for component in plan.components where components?.contains(component.component) ?? true {
            for set in component.sets where set.decision == .keep {
                if Self.isSkipped(set, plan: plan, now: now) {
                    skipped.append("\(component.component) \(set.id)")
                    continue
                }
                work += set.members.map { (component.component, set.id, $0) }
            }
        }
        let results = try await withScratch { scratch in
            try await checkAll(work.map(\.key), total: work.count, now: now, scratch: scratch)
        }
        var sets: [SetResult] = []
        var assembly = SetAssembly()
        for (item, result) in zip(work, results) {
            if let finished = assembly.add(result, component: item.component, setID: item.setID) { sets.append(finished) }
        }
        if let finished = assembly.finish() { sets.append(finished) }
        return Report(deep: deep, sets: sets, skippedExpired: skipped)
    }

    /// Objects' results grouped into their sets as they come, in the plan's order (a set's
    /// members follow one another): the one place both verifications, in memory and streamed,
    /// group them.
    struct SetAssembly {
        private var open: SetResult?

        /// Adds `result`, of a member of `component`'s set `setID`; returns the set it finished
        /// (the one before), if any.
        mutating func add(_ result: ObjectResult, component: String, setID: String) -> SetResult? {
            if open?.component == component, open?.setID == setID {
                // In place: no copy of the set's results is held while it grows.
                open?.objects.append(result)
                return nil
            }
            let finished = open
            open = SetResult(component: component, setID: setID, objects: [result])
            return finished
        }

        /// The last set, once every result is added.
        mutating func finish() -> SetResult? {
            defer { open = nil }
            return open
        }
    }

    /// Whether `set`, kept by `plan`, is skipped: its projected expiry has passed since the plan
    /// was made, so a sweep may rightly have deleted it.
    static func isSkipped(_ set: PlanSet, plan: Plan, now: Date) -> Bool {
        guard let expiry = set.projectedExpiry else { return false }
        return expiry <= now && expiry > plan.generatedAt
    }

    /// Runs `body` with a scratch directory for deep checks' downloads (made only when deep),
    /// removed afterwards.
    func withScratch<T>(_ body: (String) async throws -> T) async throws -> T {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strata-verify-\(UUID().uuidString)").path
        if deep {
            do {
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            } catch {
                throw StrataError(.failure, "\(scratch): cannot create the scratch directory: \(error.localizedDescription)")
            }
        }
        defer { if deep { try? FileManager.default.removeItem(atPath: scratch) } }
        return try await body(scratch)
    }

    /// Checks every key, at most `concurrency` at once; results in input order. `total` is what
    /// the progress callback is told the whole verification checks.
    func checkAll(_ keys: [String], total: Int, now: Date, scratch: String) async throws -> [ObjectResult] {
        try await keys.concurrentMap(maxConcurrentTasks: concurrency) { key in
            let result = try await self.check(key, now: now, scratch: scratch)
            self.progress?(result.key, result.state, total)
            return result
        }
    }

    /// Checks one object.
    func check(_ key: String, now: Date, scratch: String) async throws -> ObjectResult {
        guard let head = try await context.client.headObjectIfExists(bucket: context.bucket, key: key,
                                                                     checksumMode: true) else {
            return ObjectResult(key: key, state: .missing, detail: "not in the bucket")
        }
        guard deep else { return Self.storedChecksumResult(key: key, head: head) }
        var labelOnly = ""
        if head.needsRestore(at: now) {
            // verify never restores; on a server with no archive tier the label hides nothing.
            guard try await context.client.isReadable(bucket: context.bucket, key: key) else {
                return ObjectResult(key: key, state: .archived, detail: "\(head.storageClass) without a restored copy")
            }
            labelOnly = " (\(head.storageClass) reads without a restore: the server has no archive tier)"
        }
        var result = try await readAndCompare(key, head: head, scratch: scratch)
        result.detail += labelOnly
        return result
    }

    /// Without `deep`: the object is there, and where the server stored a CRC-32C with it
    /// (HEAD with checksum mode: AWS and SeaweedFS keep the one Strata sends; RGW 16 keeps none)
    /// and Strata recorded one at upload, the two agree. Nothing is downloaded.
    static func storedChecksumResult(key: String, head: ObjectHead) -> ObjectResult {
        let present = "present, \(head.contentLength) bytes"
        guard let stored = head.serverChecksum, let recorded = ContentChecksum(metadata: head.metadata),
              let same = stored.matches(recorded, size: head.contentLength, eTag: head.eTag) else {
            return ObjectResult(key: key, state: .ok, detail: present)
        }
        guard same else {
            return ObjectResult(key: key, state: .corrupt,
                                detail: "the checksum the server stored (\(stored)) is not the one recorded at upload (crc32c-parts \(recorded.crc32c ?? ""))")
        }
        return ObjectResult(key: key, state: .ok, detail: "\(present), the server's stored checksum matches the upload's")
    }

    /// Reads the object's content and compares it with its recorded checksum or MD5 ETag.
    func readAndCompare(_ key: String, head: ObjectHead, scratch: String) async throws -> ObjectResult {
        if let recorded = ContentChecksum(metadata: head.metadata) {
            // The download's own cut of the object into parts, bounded by S3's limits.
            guard recorded.fits(objectSize: head.contentLength),
                  let ranges = DownloadRanges(objectSize: head.contentLength, rangeSize: recorded.partSize) else {
                return ObjectResult(key: key, state: .corrupt,
                                    detail: "recorded part size \(recorded.partSize) cannot describe \(head.contentLength) bytes (over 10,000 parts, 5 GiB a part or an object over 5 TiB): not a Strata checksum")
            }
            for _ in 0..<2 {
                guard let actual = try await streamedChecksum(key: key, head: head, ranges: ranges) else {
                    continue  // replaced while reading: read again
                }
                if actual.digest == recorded.digest {
                    return ObjectResult(key: key, state: .ok, detail: "sha256-parts match")
                }
                return ObjectResult(key: key, state: .corrupt,
                                    detail: "sha256-parts \(actual.digest) differs from the recorded \(recorded.digest)")
            }
            throw StrataError(.failure, "\(key): replaced twice while being verified; run verify again")
        }
        guard head.eTag.count == 32, !ETag.isMultipart(head.eTag) else {
            return ObjectResult(key: key, state: .unverifiable, detail: "multipart object without a Strata checksum")
        }
        let path = scratch + "/" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try await context.client.downloadFile(bucket: context.bucket, key: key, to: path)
            return ObjectResult(key: key, state: .ok, detail: "md5-etag match")
        } catch let error as TransferError {
            return ObjectResult(key: key, state: .corrupt, detail: error.description)
        }
    }

    /// The ``ContentChecksum`` of the object's current content, read one part at a time, or
    /// `nil` when the object changed (its ETag) while being read.
    func streamedChecksum(key: String, head: ObjectHead, ranges: DownloadRanges) async throws -> ContentChecksum? {
        var digests: [[UInt8]] = []
        for index in 0..<ranges.count {
            var hasher = RunningChecksum(.sha256)
            if let range = ranges.range(at: index) {
                // One part in memory, at most 5 GiB.
                let part = try await context.client.getObject(bucket: context.bucket, key: key, range: range,
                                                              maxBytes: range.count)
                guard part.head.eTag == head.eTag else { return nil }
                part.body.withUnsafeBytes { hasher.update($0) }
            }
            guard let digest = Data(base64Encoded: hasher.base64()) else {
                throw StrataError(.failure, "\(key): could not decode a SHA-256 digest")
            }
            digests.append(Array(digest))
        }
        return ContentChecksum.combine(partDigests: digests, partSize: ranges.rangeSize)
    }
}
