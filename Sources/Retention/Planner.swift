import Foundation

/// Options of one planning run.
public struct PlanOptions: Sendable, Hashable {
    /// Override the delete-fraction guard (deletes go ahead; the guard is still reported).
    public var force: Bool
    /// Plan only these components (nil: all).
    public var components: Set<String>?
    /// Let sets (and noncurrent versions) the policy expires go although a GOVERNANCE-mode object
    /// lock still holds them; the deletes then carry `x-amz-bypass-governance-retention`.
    /// COMPLIANCE locks and legal holds always block.
    public var bypassGovernance: Bool
    /// When the previous sweep of the bucket ran. Delete markers placed after it are new: if they
    /// hide the newest set of a series or more than `max_delete_fraction` of a component's sets,
    /// that is an incident (`GuardFinding.Kind.deleteMarkerIncident`). `nil`: no sweep is known,
    /// so every marker is new.
    public var lastSweep: Date?
    /// Blocking findings made outside the planner, by component (a sweep from an inventory
    /// report that could not confirm the sets holding keep slots): each is added to its
    /// component's guards before the component's deletions are decided, so that they block
    /// as the planner's own guards do.
    public var imposedGuards: [String: GuardFinding] = [:]
    /// The bucket's lifecycle rules that Strata did not write (the application reads them),
    /// weighed against each policy (``OutsideLifecycleRules``).
    public var lifecycleRules: [BucketLifecycleRule] = []

    /// Creates options.
    public init(force: Bool = false, components: Set<String>? = nil, bypassGovernance: Bool = false, lastSweep: Date? = nil) {
        self.force = force
        self.components = components
        self.bypassGovernance = bypassGovernance
        self.lastSweep = lastSweep
    }
}

/// Inventory + policies + now -> plan. Pure: no I/O, no clock; the caller fetches the documents
/// `documentsNeeded` names and passes them to `plan`.
public struct Planner: Sendable {
    /// The object tag that keeps a set (`keep_tagged`).
    public static let holdTag = "strata-hold"

    /// Policies in force.
    public let policies: PolicySet
    /// Prices for cost figures and minimum storage durations.
    public let pricing: PricingTable
    /// Run options.
    public let options: PlanOptions

    /// Creates a planner.
    public init(policies: PolicySet, pricing: PricingTable = .usEast1, options: PlanOptions = PlanOptions()) {
        self.policies = policies
        self.pricing = pricing
        self.options = options
    }

    /// Keys whose contents `plan` needs, as each component's layout names them: for a pgBackRest
    /// repository its `backup.info` (or its copy if only that exists), or, if neither exists, the
    /// manifest of every set. Sorted.
    public func documentsNeeded(inventory: Inventory) -> [String] {
        let active = activePolicies
        let buckets = Self.partition(inventory.objects, by: active)
        return zip(active, buckets).flatMap { policy, indices in
            policy.backupLayout.documentsNeeded(inventory.objects, indices: indices)
        }.sorted()
    }

    /// Plans every (selected) component. `documents` maps keys from `documentsNeeded` to their text;
    /// without them the plan keeps all WAL and derives dependencies from labels alone.
    public func plan(inventory: Inventory, now: Date, documents: [String: String] = [:]) -> Plan {
        let active = activePolicies
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        guard inventory.objects.count <= Int(ObjectIndex.max) else {
            return Self.refusal(active, objectCount: inventory.objects.count, now: nowSeconds, force: options.force)
        }
        let prefixes = active.map { Array($0.prefix.utf8) }
        let buckets = Self.partition(inventory.objects, by: active)
        var uploadBuckets = [[MultipartUploadRecord]](repeating: [], count: active.count)
        for upload in inventory.uploads {
            if let slot = Self.owner(of: upload.key, prefixes: prefixes) { uploadBuckets[slot].append(upload) }
        }
        var components: [ComponentPlan] = []
        var actions: [PlanAction] = []
        // An upper bound: untouched reserved pages cost no memory, and the array never regrows.
        actions.reserveCapacity(inventory.objects.count + inventory.uploads.count)
        var totals = PlanTotals()
        var cost = PlanCost()
        for (slot, policy) in active.enumerated() {
            let planner = ComponentPlanner(
                policy: policy, objects: inventory.objects, indices: buckets[slot], uploads: uploadBuckets[slot],
                now: nowSeconds, documents: documents, pricing: pricing, force: options.force,
                bypassGovernance: options.bypassGovernance,
                lastSweep: options.lastSweep.map { Int64($0.timeIntervalSince1970.rounded(.down)) },
                imposed: options.imposedGuards[policy.component], lifecycleRules: options.lifecycleRules)
            let component = planner.plan(into: &actions)
            components.append(component)
            totals.add(component.totals)
            cost.add(component.cost)
        }
        return Plan(
            schemaVersion: Plan.currentSchemaVersion, generatedAt: Date(timeIntervalSince1970: TimeInterval(nowSeconds)),
            forced: options.force, components: components, actions: actions, totals: totals, cost: cost)
    }

    /// A plan that does nothing and blocks every component, for inventories too large to index.
    private static func refusal(_ policies: [Policy], objectCount: Int, now: Int64, force: Bool) -> Plan {
        let components = policies.map { policy in
            ComponentPlan(
                component: policy.component, policyFile: policy.sourcePath, sets: [],
                guards: [GuardFinding(kind: .deleteFractionExceeded, component: policy.component, series: "", blocking: true,
                    message: "blocked: the inventory has \(objectCount) objects, more than the \(ObjectIndex.max) one plan can index; split the inventory by component prefix and plan each part")],
                warnings: [], unrecognizedKeys: [], totals: PlanTotals(), cost: PlanCost())
        }
        return Plan(schemaVersion: Plan.currentSchemaVersion, generatedAt: Date(timeIntervalSince1970: TimeInterval(now)),
                    forced: force, components: components, actions: [], totals: PlanTotals(), cost: PlanCost())
    }

    /// The indices of `objects` under each policy's prefix, in inventory order (an object under
    /// no prefix is in none; one past ``ObjectIndex``'s range, which `plan` refuses, too).
    static func partition(_ objects: [InventoryObject], by policies: [Policy]) -> [[ObjectIndex]] {
        let prefixes = policies.map { Array($0.prefix.utf8) }
        var buckets = [[ObjectIndex]](repeating: [], count: policies.count)
        for (index, object) in objects.enumerated() where index <= Int(ObjectIndex.max) {
            if let slot = owner(of: object.key, prefixes: prefixes) { buckets[slot].append(ObjectIndex(truncatingIfNeeded: index)) }
        }
        return buckets
    }

    /// Index of the prefix `key` starts with (prefixes never overlap).
    package static func owner(of key: String, prefixes: [[UInt8]]) -> Int? {
        var key = key
        return key.withUTF8 { owner(of: $0, prefixes: prefixes) }
    }

    /// ``owner(of:prefixes:)`` of a key given as UTF-8.
    package static func owner(of bytes: UnsafeBufferPointer<UInt8>, prefixes: [[UInt8]]) -> Int? {
        for (slot, prefix) in prefixes.enumerated() where bytes.count >= prefix.count {
            var equal = true
            for i in 0..<prefix.count where bytes[i] != prefix[i] { equal = false; break }
            if equal { return slot }
        }
        return nil
    }
}
