import Foundation

extension StreamingPlanner {
    /// Pass one as the objects arrive: per set its aggregate, per component its totals, and the
    /// objects that could be documents. ``outline(uploads:documents:)`` then decides, as
    /// ``StreamingPlanner/outline(_:uploads:now:documents:)`` does over a stream.
    public struct PassOne {
        private let planner: Planner
        private let nowSeconds: Int64
        private let prefixes: [[UInt8]]
        private var tallies: [SetTally]
        private var documents: DocumentCandidates
        /// Whether an object was a noncurrent version or a delete marker: such a bucket is planned
        /// key by key (``outline(uploads:documents:keyRuns:)``).
        public private(set) var versioned = false

        init(planner: Planner, now: Date) {
            self.planner = planner
            let active = planner.activePolicies
            let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
            self.nowSeconds = nowSeconds
            prefixes = active.map { Array($0.prefix.utf8) }
            tallies = active.map { SetTally(policy: $0, now: nowSeconds, pricing: planner.pricing) }
            documents = DocumentCandidates(planner: planner)
        }

        /// Counts one object; objects outside every component's prefix are ignored.
        public mutating func add(_ object: InventoryObject) {
            var key = object.key
            let owner = key.withUTF8 { bytes -> Int? in
                guard let slot = Planner.owner(of: bytes, prefixes: prefixes) else { return nil }
                if documents.mayBeDocument(bytes, owner: slot) { documents.candidates.append(object) }
                return slot
            }
            guard let slot = owner else { return }
            if !object.isCurrent { versioned = true }
            tallies[slot].add(object)
        }

        /// The documents the decisions need, as ``Planner/documentsNeeded(inventory:)`` names them.
        public var documentsNeeded: [String] { documents.needed }

        /// The decisions: the plan without members and actions, or `nil` for a versioned bucket.
        public func outline(uploads: [MultipartUploadRecord], documents: [String: String]) -> PlanOutline? {
            guard !versioned else { return nil }
            return makeOutline(uploads: uploads, documents: documents)
        }

        /// The outline, with its components' guards still waiting for the versions' walk if it has versions.
        func makeOutline(uploads: [MultipartUploadRecord], documents: [String: String]) -> PlanOutline {
            var uploadBuckets = [[MultipartUploadRecord]](repeating: [], count: tallies.count)
            for upload in uploads {
                if let slot = Planner.owner(of: upload.key, prefixes: prefixes) { uploadBuckets[slot].append(upload) }
            }
            let lastSweep = planner.options.lastSweep.map { Int64($0.timeIntervalSince1970.rounded(.down)) }
            let components = zip(tallies, uploadBuckets).map { tally, uploads in
                ComponentOutline(tally: tally, planner: ComponentPlanner(
                    policy: tally.policy, objects: [], indices: [], uploads: uploads, now: nowSeconds, documents: documents,
                    pricing: planner.pricing, force: planner.options.force, bypassGovernance: planner.options.bypassGovernance,
                    lastSweep: lastSweep, imposed: planner.options.imposedGuards[tally.policy.component],
                    lifecycleRules: planner.options.lifecycleRules))
            }
            return PlanOutline(components: components, prefixes: prefixes, now: nowSeconds, forced: planner.options.force)
        }
    }

    /// The objects that could be documents a layout reads, tested on key bytes.
    struct DocumentCandidates {
        private let planner: Planner
        private let prefixes: [[UInt8]]
        private let tests: [(UnsafeBufferPointer<UInt8>) -> Bool]
        var candidates: [InventoryObject] = []

        init(planner: Planner) {
            self.planner = planner
            let active = planner.activePolicies
            prefixes = active.map { Array($0.prefix.utf8) }
            tests = active.map { $0.backupLayout.documentKeyTest() }
        }

        func mayBeDocument(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let slot = Planner.owner(of: key, prefixes: prefixes) else { return false }
            return tests[slot](key)
        }

        func mayBeDocument(_ key: UnsafeBufferPointer<UInt8>, owner slot: Int) -> Bool { tests[slot](key) }

        var needed: [String] { planner.documentsNeeded(inventory: Inventory(objects: candidates)) }
    }
}
