import Foundation
import Logging
import Retention
import S3

/// Lists the bucket, fetches what the planner needs, and plans: the one path from S3 to a
/// ``Plan`` that `sweep`, `audit` and `metrics` share.
///
/// Tags (`strata-hold`) and object-lock state cost one request per object, so they are fetched
/// only for the objects a first plan would delete; the bucket is then planned again with them.
/// Holds and locks can only keep more, so the second plan deletes a subset of the first.
public struct PlanMaker: Sendable {
    /// Where to list.
    public let context: StrataContext
    /// Prices for the cost figures.
    public let pricing: PricingTable
    /// Force and component filter.
    public let options: PlanOptions
    /// Requests in flight while fetching tags and lock state.
    public var concurrency = 16
    /// Where the inventory comes from: a listing of the bucket (the default) or an S3 Inventory report.
    public var source: InventorySource = .listing
    /// What a pgBackRest document that cannot be decrypted does to the plan.
    public var documentFailure: DocumentFailure = .stop

    /// What a pgBackRest document that cannot be decrypted (a wrong passphrase) does.
    public enum DocumentFailure: Sendable, Hashable {
        /// The command stops: a sweep must not run on a passphrase the operator got wrong.
        case stop
        /// The plan goes on without the document, as for an encrypted repository without its
        /// passphrase, which keeps more, never less: a restore, an audit or the metrics are never
        /// blocked by it. The failure is logged as a warning.
        case planWithout
    }

    /// Where a plan's picture of the bucket comes from.
    public enum InventorySource: Sendable, Hashable {
        /// List the bucket under each policy's prefix.
        case listing
        /// Read an S3 Inventory report; refuse one older than `maximumAge` seconds, and one whose
        /// data files have no MD5 unless `allowsUnverifiedFiles`.
        case report(InventoryReportReader.Location, maximumAge: TimeInterval, allowsUnverifiedFiles: Bool = false)
    }

    /// Creates a plan maker.
    public init(context: StrataContext, pricing: PricingTable = .usEast1, options: PlanOptions = PlanOptions()) {
        self.context = context
        self.pricing = pricing
        self.options = options
    }

    /// A plan of the bucket as it is now, for the instant `now`.
    public func makePlan(now: Date) async throws -> (plan: Plan, inventory: Inventory) {
        try await plan(inventory: try await readInventory(), now: now)
    }

    /// The inventory of the selected components, from a listing or the report.
    public func readInventory() async throws -> Inventory {
        let policies = try context.requirePolicies()
        if let wanted = options.components {
            let unknown = wanted.subtracting(policies.policies.map(\.component))
            if !unknown.isEmpty {
                throw StrataError(.configuration, "unknown component \(unknown.sorted().joined(separator: ", ")); expected one of \(policies.policies.map(\.component).joined(separator: ", "))")
            }
        }
        let selected = policies.policies.filter { options.components?.contains($0.component) ?? true }
        switch source {
        case .listing:
            return try await InventoryBuilder(context: context).build(policies: selected)
        case .report(let location, let maximumAge, let allowsUnverifiedFiles):
            var reader = InventoryReportReader(context: context, location: location)
            reader.maximumAge = maximumAge
            reader.allowsUnverifiedFiles = allowsUnverifiedFiles
            return try await reader.build(policies: selected)
        }
    }

    /// A plan of `inventory` for the instant `now`: fetches the documents the planner needs and
    /// the tags and lock state of what a first plan would delete, then plans again. Returns the
    /// inventory with those details filled in.
    public func plan(inventory: Inventory, now: Date) async throws -> (plan: Plan, inventory: Inventory) {
        var inventory = inventory
        let planner = Planner(policies: try context.requirePolicies(), pricing: pricing, options: options)
        let documents = try await documents(for: inventory)
        let versioned = inventory.objects.contains { $0.versionID != nil }
        var plan = planner.plan(inventory: inventory, now: now, documents: documents)
        var enriched = Set<ObjectRef>()
        // Each round fetches tags/locks of objects the plan would delete and were not checked.
        for _ in 0..<4 {
            let pending = Set(plan.actions.compactMap { action -> ObjectRef? in
                if case .delete(let key, let version, _) = action { return ObjectRef(key: key, versionID: version) }
                return nil
            }).subtracting(enriched)
            if pending.isEmpty { break }
            let details = try await fetchDetails(Array(pending), versioned: versioned)
            for index in inventory.objects.indices {
                let ref = ObjectRef(key: inventory.objects[index].key, versionID: inventory.objects[index].versionID)
                if let detail = details[ref] {
                    inventory.objects[index].tags = detail.tags
                    inventory.objects[index].objectLock = detail.lock
                }
            }
            enriched.formUnion(pending)
            plan = planner.plan(inventory: inventory, now: now, documents: documents)
        }
        return (plan, inventory)
    }

    /// The documents the planner needs to plan `inventory` (pgBackRest's `backup.info` or
    /// manifests), decrypted where the repository is encrypted and its passphrase is available.
    /// - Throws: `StrataError(.configuration)` when a configured passphrase does not decrypt
    ///   `backup.info` (nor its copy) and `documentFailure` is `.stop`.
    public func documents(for inventory: Inventory) async throws -> [String: String] {
        let planner = Planner(policies: try context.requirePolicies(), pricing: pricing, options: options)
        return try await PgBackRestDocuments(context: context, onUndecryptable: documentFailure)
            .fetch(planner.documentsNeeded(inventory: inventory), policies: try context.requirePolicies().policies).documents
    }

    /// Identifies one object version.
    struct ObjectRef: Hashable, Sendable {
        var key: String
        var versionID: String?
    }

    struct Detail: Sendable {
        var tags: [String: String]
        var lock: ObjectLockState?
    }

    func fetchDetails(_ refs: [ObjectRef], versioned: Bool) async throws -> [ObjectRef: Detail] {
        let client = context.client
        let bucket = context.bucket
        return try await Self.boundedMap(refs, limit: concurrency) { ref in
            do {
                let tags = try await client.getObjectTagging(bucket: bucket, key: ref.key, versionID: ref.versionID)
                var lock: ObjectLockState?
                if versioned {
                    let head = try await client.headObject(bucket: bucket, key: ref.key, versionID: ref.versionID)
                    if head.objectLockMode != nil || head.legalHold {
                        lock = ObjectLockState(mode: head.objectLockMode.flatMap(ObjectLockState.Mode.init(rawValue:)),
                                               retainUntil: head.objectLockRetainUntil, legalHold: head.legalHold)
                    }
                }
                return Detail(tags: tags, lock: lock)
            } catch let error as S3Error where error.status == 404 {
                return nil  // gone since the listing: nothing to protect
            }
        }.compactMapValues { $0 }
    }

    /// `body` applied to every item with at most `limit` in flight; results keyed by item.
    static func boundedMap<Item: Hashable & Sendable, Value: Sendable>(
        _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Value
    ) async throws -> [Item: Value] {
        let values = try await items.concurrentMap(maxConcurrentTasks: limit, body)
        return Dictionary(zip(items, values)) { _, last in last }
    }
}
