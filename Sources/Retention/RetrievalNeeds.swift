import Foundation

/// What restoring one set needs, as its layout says, in a form that can be applied to the
/// component's keys one at a time: the sets it depends on, by id, and a test for the keys outside
/// any set (pgBackRest's info and history files, and the WAL of its archive range). So a
/// retrieval can be gathered from a plan and a listing of any size, streamed, as well as from
/// lists in memory (``RetrievalGathering``).
public struct RetrievalNeeds: Sendable {
    /// What a needed key outside the sets is to the restore.
    public enum Part: Sendable, Hashable {
        /// A metadata file the tool reads before restoring (info files, timeline histories).
        case metadata
        /// A log object (a WAL segment) the set needs.
        case log
    }

    /// Ids of the sets the set depends on (besides itself), each once, sorted.
    public let dependencies: [String]
    /// Notes known before any key is seen, in the order they are printed.
    let notes: [String]
    /// The layout's test for keys outside the sets.
    let part: @Sendable (String) -> Part?
    /// The note on the log objects, given how many were needed; `nil` for a layout without a log.
    let logNote: @Sendable (_ count: Int) -> String?

    /// Needs nothing beyond the set's own members (a layout whose sets stand alone).
    static let standalone = RetrievalNeeds(dependencies: [], notes: [], part: { _ in nil }, logNote: { _ in nil })

    /// What `key`, one of the component's current keys, is to the restore, or `nil` when the
    /// restore does not need it (apart from being a member of a needed set).
    public func part(of key: String) -> Part? { part(key) }

    /// Every note for the operator, once `logObjects` log objects were found needed.
    public func notes(logObjects: Int) -> [String] {
        notes + (logNote(logObjects).map { [$0] } ?? [])
    }
}

/// Gathers the keys of one retrieval from two streams, in any order: the members of the plan's
/// sets, and the component's current keys. Holds only what the retrieval needs, so memory grows
/// with the set restored, not with the bucket.
public struct RetrievalGathering {
    /// Positions, in the component's plan, of the sets whose members are needed: the set
    /// retrieved and each it depends on (the first set with that id).
    public let groups: Set<Int>
    private let needs: RetrievalNeeds
    private var keys: [String] = []
    private var logObjects = 0

    /// Gathers for the set at `set` in `sets` (the component's sets, in plan order), whose needs
    /// are `needs`.
    public init(set: Int, sets: [PlanSet], needs: RetrievalNeeds) {
        var groups: Set<Int> = [set]
        for id in needs.dependencies {
            if let index = sets.firstIndex(where: { $0.id == id }) { groups.insert(index) }
        }
        self.groups = groups
        self.needs = needs
    }

    /// Takes `key` if it is a member of a needed set; `group` is its set's position.
    public mutating func addMember(_ key: String, group: Int) {
        if groups.contains(group) { keys.append(key) }
    }

    /// Takes `key`, one of the component's current keys, if the restore needs it outside the sets.
    public mutating func addCurrent(_ key: String) {
        switch needs.part(of: key) {
        case .log:
            keys.append(key)
            logObjects += 1
        case .metadata: keys.append(key)
        case nil: break
        }
    }

    /// The keys gathered (possibly with repeats, in the order they came), and the notes.
    public func finish() -> (keys: [String], notes: [String]) {
        (keys, needs.notes(logObjects: logObjects))
    }
}

extension Policy {
    /// The keys, in the order they are tried, of the documents `retrieve` reads before working out
    /// what restoring a set needs (for pgBackRest: `backup.info`, then its copy); the first
    /// present is read.
    public var retrievalDocumentCandidates: [String] { backupLayout.retrievalDocumentCandidates }

    /// The documents `retrieve` reads before working out what restoring a set needs (for
    /// pgBackRest, `backup.info` or its copy), given a test of which keys are currently under the prefix.
    public func retrievalDocuments(present: (String) -> Bool) -> [String] {
        retrievalDocumentCandidates.first(where: present).map { [$0] } ?? []
    }

    /// What restoring `set` needs beyond its members; `sets` are the component's sets (their
    /// members are not needed), `documents` what ``retrievalDocuments(present:)`` named, as far as
    /// it could be read (decrypted).
    public func retrievalNeeds(of set: PlanSet, sets: [PlanSet], documents: [String: String]) -> RetrievalNeeds {
        backupLayout.retrievalNeeds(of: set, sets: sets, documents: documents)
    }

    /// Every key restoring the set at `set` in `sets` needs: its members, and what the layout adds
    /// (for pgBackRest: the sets it references, the info and history files, the WAL from its
    /// archive start to stop), possibly with repeats; with notes on what could not be worked out.
    /// `currentKeys` are the current keys under the prefix; `documents` what
    /// ``retrievalDocuments(present:)`` named, as far as it could be read (decrypted). The plan in
    /// memory's form of what a streamed retrieval gathers (``RetrievalGathering``).
    public func retrievalKeys(of set: Int, sets: [PlanSet], currentKeys: [String],
                              documents: [String: String]) -> (keys: [String], notes: [String]) {
        var gathering = RetrievalGathering(set: set, sets: sets,
                                           needs: retrievalNeeds(of: sets[set], sets: sets, documents: documents))
        for group in gathering.groups.sorted() {
            for key in sets[group].members { gathering.addMember(key, group: group) }
        }
        for key in currentKeys { gathering.addCurrent(key) }
        return gathering.finish()
    }
}
