import Foundation
import Logging
import Retention
import S3

/// Lists the bucket, fetches what the planner needs, and plans: the one path from S3 to a
/// ``Plan`` that `sweep`, `audit` and `metrics` share.
///
/// Tags (`strata-hold`) and object-lock state cost one request per object (S3 has no bulk read
/// of either), so they are fetched only for the objects a first plan would delete, and only where
/// they can matter: tags in components with `keep_tagged`, lock state in a versioned bucket that
/// has an Object Lock configuration (one bucket-level request tells; without one no version can
/// hold a retention or a legal hold). The bucket is then planned again with them, unless none of
/// them holds anything. Holds and locks can only keep more, so the second plan deletes a subset
/// of the first.
public struct PlanMaker: Sendable {
    /// Where to list.
    public let context: StrataContext
    /// Prices for the cost figures.
    public let pricing: PricingTable
    /// Force and component filter.
    public var options: PlanOptions
    /// Requests in flight while fetching tags and lock state.
    public var concurrency = 16
    /// Where the inventory comes from: a listing of the bucket (the default) or an S3 Inventory report.
    public var source: InventorySource = .listing
    /// What a pgBackRest document that cannot be decrypted does to the plan.
    public var documentFailure: DocumentFailure = .stop
    /// Whether plans check holds and locks of what they would delete (the default), or not.
    public var holdCheck: HoldCheck = .deletions

    /// Which per-object checks (the `strata-hold` tag, Object Lock state) a plan pays for.
    public enum HoldCheck: Sendable, Hashable {
        /// Check every object the plan would delete, where the check can matter: the plan is exact.
        case deletions
        /// Check nothing: a proposal, which deletes a superset of the checked plan (holds and
        /// locks only keep more) and has the same guard verdicts (they only lower the fractions a
        /// guard compares, and a component a guard blocks has no deletions to check anyway).
        /// `sweep --apply` proposes with this and checks once, in the plan made just before
        /// deleting, so that each object costs one check, made as late as possible.
        case none
    }

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
        let selected = try selectedPolicies()
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
    /// (per ``holdCheck``) the tags and lock state of what a first plan would delete, then plans
    /// again if any of them holds something. Returns the inventory with those details filled in.
    public func plan(inventory: Inventory, now: Date) async throws -> (plan: Plan, inventory: Inventory) {
        var inventory = inventory
        let policies = try context.requirePolicies()
        let planner = Planner(policies: policies, pricing: pricing, options: options)
        let documents = try await documents(for: inventory)
        var plan = planner.plan(inventory: inventory, now: now, documents: documents)
        guard holdCheck == .deletions else { return (plan, inventory) }
        let checks = try await checks(for: inventory, policies: policies)
        guard checks.isNeeded else { return (plan, inventory) }
        // Where each object is in the inventory: built once, not per round.
        var position: [ObjectRef: Int] = [:]
        position.reserveCapacity(inventory.objects.count)
        for (index, object) in inventory.objects.enumerated() {
            position[ObjectRef(key: object.key, versionID: object.versionID)] = index
        }
        var enriched = Set<ObjectRef>()
        // Each round fetches tags/locks of objects the plan would delete and were not checked.
        for _ in 0..<4 {
            var pending: [ObjectRef] = []
            for action in plan.actions {
                guard case .delete(let key, let version, _) = action else { continue }
                let ref = ObjectRef(key: key, versionID: version)
                let isDeleteMarker = position[ref].map { inventory.objects[$0].isDeleteMarker } ?? false
                guard checks.applies(to: key, isDeleteMarker: isDeleteMarker) else { continue }
                if enriched.insert(ref).inserted { pending.append(ref) }
            }
            if pending.isEmpty { break }
            let details = try await fetchDetails(pending, checks: checks)
            var holdsSomething = false
            for (ref, detail) in details {
                guard let index = position[ref] else { continue }
                let before = inventory.objects[index]
                if let tags = detail.tags {
                    inventory.objects[index].tags = tags
                    holdsSomething = holdsSomething || (tags[Planner.holdTag] != nil) != (before.tags?[Planner.holdTag] != nil)
                }
                if detail.checkedLock {
                    inventory.objects[index].objectLock = detail.lock
                    holdsSomething = holdsSomething || detail.lock != before.objectLock
                }
            }
            // The planner reads only the hold tag and the lock state: when no fetched detail
            // changed either, planning again would give the same plan.
            guard holdsSomething else { break }
            plan = planner.plan(inventory: inventory, now: now, documents: documents)
        }
        return (plan, inventory)
    }

    /// Which per-object checks can matter for `inventory`: the components whose policy keeps
    /// tagged sets (`keep_tagged`, on by default), and whether versions can carry Object Lock state.
    struct Checks: Sendable {
        /// Key prefixes of the components with `keep_tagged`.
        var taggedPrefixes: [String]
        /// Whether versions may be locked: the bucket is versioned and has (or may have) an Object
        /// Lock configuration.
        var locks: Bool

        var isNeeded: Bool { locks || !taggedPrefixes.isEmpty }

        /// Whether `key`'s tags can keep it (prefixes never overlap).
        func tags(_ key: String) -> Bool { taggedPrefixes.contains { key.hasPrefix($0) } }

        /// Whether a check can find anything that keeps `key`: its tags, or a lock.
        func applies(to key: String) -> Bool { locks || tags(key) }

        /// ``applies(to:)``, and never for a delete marker: S3 takes no tags and no lock on a
        /// marker's version, so checking one would cost a request to find nothing. A report that
        /// calls data a marker does not slip past: the HEAD before each deletion from a report
        /// finds the data (``ReportedIdentity/matches(eTag:lastModified:)``) and spares it.
        func applies(to key: String, isDeleteMarker: Bool) -> Bool { !isDeleteMarker && applies(to: key) }
    }

    /// The checks `inventory` needs under `policies`. Object Lock needs versioning and can only
    /// hold a version in a bucket whose Object Lock is enabled, so an unversioned inventory
    /// needs no lock checks and a versioned one asks the bucket once, not each version. A bucket
    /// that cannot answer (no `s3:GetBucketObjectLockConfiguration`, a
    /// store without the call) is checked version by version.
    func checks(for inventory: Inventory, policies: PolicySet) async throws -> Checks {
        try await checks(versioned: inventory.objects.contains(where: { $0.versionID != nil }), policies: policies)
    }

    /// The checks an inventory needs under `policies`, given whether it has version ids.
    func checks(versioned: Bool, policies: PolicySet) async throws -> Checks {
        let tagged = policies.policies.filter(\.retention.keepTagged).map(\.prefix)
        guard versioned else {
            return Checks(taggedPrefixes: tagged, locks: false)
        }
        do {
            return Checks(taggedPrefixes: tagged, locks: try await context.client.objectLockEnabled(bucket: context.bucket))
        } catch let error as S3Error {
            context.logger.notice("cannot read the bucket's Object Lock configuration; checking each version it would delete instead",
                                  metadata: ["error": "\(error)"])
            return Checks(taggedPrefixes: tagged, locks: true)
        }
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

    /// What the checks found for one object.
    struct Detail: Sendable {
        /// Its tags, `nil` when they were not fetched (its component does not keep tagged sets).
        var tags: [String: String]?
        /// Its lock state, when `checkedLock`.
        var lock: ObjectLockState?
        /// Whether the lock state was fetched (a HEAD).
        var checkedLock: Bool
    }

    func fetchDetails(_ refs: [ObjectRef], checks: Checks) async throws -> [ObjectRef: Detail] {
        let client = context.client
        let bucket = context.bucket
        return try await Self.boundedMap(refs.filter { checks.applies(to: $0.key) }, limit: concurrency) { ref in
            do {
                var detail = Detail(tags: nil, lock: nil, checkedLock: checks.locks)
                if checks.tags(ref.key) {
                    detail.tags = try await client.getObjectTagging(bucket: bucket, key: ref.key, versionID: ref.versionID)
                }
                if checks.locks {
                    let head = try await client.headObject(bucket: bucket, key: ref.key, versionID: ref.versionID)
                    if head.objectLockMode != nil || head.legalHold {
                        detail.lock = ObjectLockState(mode: head.objectLockMode.flatMap(ObjectLockState.Mode.init(rawValue:)),
                                                      retainUntil: head.objectLockRetainUntil, legalHold: head.legalHold)
                    }
                }
                return detail
            } catch let error as S3Error where error.status == 404 {
                return nil  // gone since the listing: nothing to protect
            } catch let error as S3Error where error.status == 405 && ref.versionID != nil {
                // A delete marker's version, which S3 will not read: a marker has no tags or lock.
                return nil
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
