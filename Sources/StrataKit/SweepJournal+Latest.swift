import Foundation
import S3

extension SweepJournal {
    /// How far past the clock a run id's time may lie (clock skew between sweep hosts).
    static let futureTolerance: TimeInterval = 3600
    /// How many of the newest entries are tried before giving up: each unreadable one is
    /// skipped for the one before it, but a flood of them must not mean a GET each.
    static let maxEntriesTried = 16

    /// The most recent journal entry, if any: the newest by the run time its run id records
    /// (``runTime(of:)``), never by key order, so `.strata/journal/zzzz` cannot hide the real
    /// journals. Names that are not run ids, and run ids more than an hour past the clock, are
    /// ignored with a warning; an entry that does not decode, or whose run id is not its name's,
    /// gives way to the one before it. An entry larger than `ReadLimits.journalEntry` is an error
    /// naming it; so are ``maxEntriesTried`` unreadable entries in a row.
    public func latest() async throws -> Entry? {
        let now = context.now()
        var candidates: [(time: Date, runID: String)] = []
        for name in try await entryNames() {
            guard name.hasSuffix(".json"), let time = Self.runTime(of: String(name.dropLast(5))) else {
                context.logger.warning("not a sweep journal entry; ignored", metadata: ["name": "\(name)"])
                continue
            }
            guard time.timeIntervalSince(now) <= Self.futureTolerance else {
                context.logger.warning("sweep journal entry dated in the future; ignored", metadata: ["name": "\(name)"])
                continue
            }
            candidates.append((time, String(name.dropLast(5))))
        }
        candidates.sort { ($0.time, $0.runID) > ($1.time, $1.runID) }
        for candidate in candidates.prefix(Self.maxEntriesTried) {
            guard let data = try await entryData(runID: candidate.runID) else { continue }
            guard let entry = try? JSONCoding.decoder.decode(Entry.self, from: data), entry.runID == candidate.runID else {
                context.logger.warning("sweep journal entry cannot be read as one; using the one before it",
                                       metadata: ["run_id": "\(candidate.runID)"])
                continue
            }
            return entry
        }
        guard candidates.count <= Self.maxEntriesTried else {
            throw StrataError(.failure, "\(where_()): none of the \(Self.maxEntriesTried) newest sweep journal entries can be read; move the unreadable ones away")
        }
        return nil
    }

    /// Where the journal is, for messages.
    private func where_() -> String {
        switch location {
        case .bucket: "s3://\(context.bucket)/\(StrataPaths.journalPrefix)"
        case .directory(let directory): directory
        }
    }

    /// The names in the journal (keys without the prefix, or file names).
    private func entryNames() async throws -> [String] {
        switch location {
        case .bucket:
            var names: [String] = []
            for try await page in context.client.listObjects(bucket: context.bucket, prefix: StrataPaths.journalPrefix) {
                names += page.objects.map { String($0.key.dropFirst(StrataPaths.journalPrefix.count)) }
            }
            return names
        case .directory(let directory):
            // The planned actions' parts are kept in a directory beside the entries.
            return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != Self.localActionsDirectory }
        }
    }

    /// The bytes of the entry of `runID`, capped at `ReadLimits.journalEntry`; `nil` when it is gone.
    private func entryData(runID: String) async throws -> Data? {
        let limit = context.readLimits.journalEntry
        switch location {
        case .bucket:
            do {
                return Data(try await context.read(StrataPaths.journalPrefix + runID + ".json", limit: limit).body)
            } catch let error as S3Error where error.status == 404 {
                return nil
            }
        case .directory(let directory):
            return try ReadLimits.contents(ofFile: (directory as NSString).appendingPathComponent(runID + ".json"),
                                           limit: limit, kind: .failure)
        }
    }
}
