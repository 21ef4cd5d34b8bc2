import Foundation

/// The result of planning: what to keep, expire, move and abort, and why. Deterministic: the same
/// policies, inventory (in any order), documents and `now` give the same plan, byte for byte.
public struct Plan: Codable, Sendable, Hashable {
    /// Version of this JSON schema; bumped on any incompatible change.
    public static let currentSchemaVersion = 1

    /// Schema version of this plan (1).
    public var schemaVersion: Int
    /// The `now` the plan was made for.
    public var generatedAt: Date
    /// Whether guards were overridden (`--force`).
    public var forced: Bool
    /// Per-component results, by component name.
    public var components: [ComponentPlan]
    /// All actions: by component; within one, sets by series and time with each set's objects by key
    /// and version, then WAL by key, then upload aborts by key.
    public var actions: [PlanAction]
    /// Totals over all components.
    public var totals: PlanTotals
    /// Cost over all components (USD).
    public var cost: PlanCost

    /// Guards that block a component (deletes withheld); non-empty means a non-zero exit.
    public var blockedComponents: [GuardFinding] {
        components.flatMap(\.guards).filter { $0.kind == .deleteFractionExceeded && $0.blocking }
    }

    /// Whether any guard blocks deletes (the CLI exits non-zero).
    public var isBlocked: Bool { !blockedComponents.isEmpty }
}

/// The plan of one component.
public struct ComponentPlan: Codable, Sendable, Hashable {
    /// Component name.
    public var component: String
    /// Policy file it came from.
    public var policyFile: String
    /// Backup sets by series, then time.
    public var sets: [PlanSet]
    /// Guard findings (blocked deletes, staleness).
    public var guards: [GuardFinding]
    /// Things an operator should know that do not stop the plan.
    public var warnings: [String]
    /// Keys under the prefix that match no layout: reported, never touched.
    public var unrecognizedKeys: [String]
    /// Totals for the component.
    public var totals: PlanTotals
    /// Cost for the component (USD).
    public var cost: PlanCost
}

/// One backup set and the decision about it.
public struct PlanSet: Codable, Sendable, Hashable {
    /// Keep or expire.
    public enum Decision: String, Codable, Sendable, Hashable {
        /// At least one reason keeps it.
        case keep
        /// No rule keeps it; its objects are deleted (unless a guard blocks the component).
        case expire
    }

    /// Set identifier: the pgBackRest label, or the set time (and series) for template layouts.
    public var id: String
    /// Series ("" when the layout has none).
    public var series: String
    /// Set time.
    public var time: Date
    /// Keep or expire.
    public var decision: Decision
    /// Every reason the set is kept (empty when expiring).
    public var reasons: [KeepReason]
    /// Whether object lock or legal hold makes deletion impossible.
    public var cannotDelete: Bool
    /// Storage classes of the current members, sorted.
    public var currentClasses: [StorageClass]
    /// Class the set moves to, if a tier applies.
    public var targetClass: StorageClass?
    /// When the longest-keeping rule stops keeping the set, if backups continue on schedule;
    /// `nil` when indefinite or unknown; `now` when expiring.
    public var projectedExpiry: Date?
    /// Number of current member objects.
    public var objectCount: Int
    /// Bytes of current member objects.
    public var bytes: Int64
    /// Member keys, sorted.
    public var members: [String]
}

/// Why a set is kept.
public struct KeepReason: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Which rule.
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The newest set of its series (a guard, always).
        case newest
        /// `keep_last`.
        case last
        /// `keep_within`.
        case within
        /// `keep_hourly`.
        case hourly
        /// `keep_daily`.
        case daily
        /// `keep_weekly` (ISO weeks).
        case weekly
        /// `keep_monthly`.
        case monthly
        /// `keep_yearly`.
        case yearly
        /// `keep_tagged`: an object carries the `strata-hold` tag.
        case tagged
        /// Object Lock retention in the future on a version: cannot delete.
        case objectLock
        /// Legal hold on a version: cannot delete.
        case legalHold
        /// pgBackRest: a kept set needs this one to restore.
        case dependency
    }

    /// Which rule.
    public var kind: Kind
    /// The reason as a person reads it, e.g. `yearly 2024`, `dependency of 20250102-020000F`.
    public var text: String

    /// Creates a reason.
    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }

    /// Whether this reason makes deletion impossible rather than merely unwanted.
    public var preventsDeletion: Bool { kind == .objectLock || kind == .legalHold }

    /// The text.
    public var description: String { text }
}

/// What a guard found.
public struct GuardFinding: Codable, Sendable, Hashable {
    /// Which guard.
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The plan would delete more than `max_delete_fraction` of sets or bytes.
        case deleteFractionExceeded
        /// The newest set is older than twice `expect_every`.
        case stale
    }

    /// Which guard.
    public var kind: Kind
    /// Component.
    public var component: String
    /// Series, for staleness ("" otherwise).
    public var series: String
    /// Whether it withholds the component's deletes (false when forced or informational).
    public var blocking: Bool
    /// What was found, with the numbers.
    public var message: String
}

/// One step for the executor.
public enum PlanAction: Codable, Sendable, Hashable {
    /// Delete an object (or one version of it).
    case delete(key: String, versionID: String?, reason: String)
    /// Copy an object onto itself with a colder storage class.
    case transition(key: String, from: StorageClass, to: StorageClass, reason: String)
    /// Abort an incomplete multipart upload.
    case abortUpload(key: String, uploadID: String, reason: String)

    /// The object key.
    public var key: String {
        switch self {
        case .delete(let key, _, _), .transition(let key, _, _, _), .abortUpload(let key, _, _): key
        }
    }

    /// The reason text.
    public var reason: String {
        switch self {
        case .delete(_, _, let reason), .transition(_, _, _, let reason), .abortUpload(_, _, let reason): reason
        }
    }

    private enum CodingKeys: String, CodingKey { case type, key, versionID, from, to, uploadID, reason }

    /// Encodes as `{"type": "delete"|"transition"|"abortUpload", ...}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .delete(let key, let versionID, let reason):
            try c.encode("delete", forKey: .type)
            try c.encode(key, forKey: .key)
            try c.encodeIfPresent(versionID, forKey: .versionID)
            try c.encode(reason, forKey: .reason)
        case .transition(let key, let from, let to, let reason):
            try c.encode("transition", forKey: .type)
            try c.encode(key, forKey: .key)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
            try c.encode(reason, forKey: .reason)
        case .abortUpload(let key, let uploadID, let reason):
            try c.encode("abortUpload", forKey: .type)
            try c.encode(key, forKey: .key)
            try c.encode(uploadID, forKey: .uploadID)
            try c.encode(reason, forKey: .reason)
        }
    }

    /// Decodes the encoding above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let key = try c.decode(String.self, forKey: .key)
        let reason = try c.decode(String.self, forKey: .reason)
        switch try c.decode(String.self, forKey: .type) {
        case "delete": self = .delete(key: key, versionID: try c.decodeIfPresent(String.self, forKey: .versionID), reason: reason)
        case "transition":
            self = .transition(key: key, from: try c.decode(StorageClass.self, forKey: .from),
                               to: try c.decode(StorageClass.self, forKey: .to), reason: reason)
        case "abortUpload": self = .abortUpload(key: key, uploadID: try c.decode(String.self, forKey: .uploadID), reason: reason)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown action type \(other)")
        }
    }
}

/// Object and byte counts.
public struct PlanTotals: Codable, Sendable, Hashable {
    /// Count and bytes in one storage class.
    public struct ClassTotal: Codable, Sendable, Hashable {
        /// Storage class.
        public var storageClass: StorageClass
        /// Objects (all versions).
        public var objects: Int
        /// Bytes.
        public var bytes: Int64
    }

    /// Objects (all versions) under the managed prefixes.
    public var objects: Int = 0
    /// Their bytes.
    public var bytes: Int64 = 0
    /// Per storage class, sorted by class.
    public var byClass: [ClassTotal] = []
    /// Backup sets.
    public var sets: Int = 0
    /// Sets expiring.
    public var expiringSets: Int = 0
    /// Delete actions.
    public var deletes: Int = 0
    /// Bytes those deletes free.
    public var deleteBytes: Int64 = 0
    /// Transition actions.
    public var transitions: Int = 0
    /// Bytes transitioned.
    public var transitionBytes: Int64 = 0
    /// Upload aborts.
    public var abortedUploads: Int = 0
    /// Unrecognized keys.
    public var unrecognized: Int = 0

    mutating func add(_ other: PlanTotals) {
        objects += other.objects
        bytes += other.bytes
        sets += other.sets
        expiringSets += other.expiringSets
        deletes += other.deletes
        deleteBytes += other.deleteBytes
        transitions += other.transitions
        transitionBytes += other.transitionBytes
        abortedUploads += other.abortedUploads
        unrecognized += other.unrecognized
        var merged: [StorageClass: ClassTotal] = Dictionary(uniqueKeysWithValues: byClass.map { ($0.storageClass, $0) })
        for total in other.byClass {
            merged[total.storageClass, default: ClassTotal(storageClass: total.storageClass, objects: 0, bytes: 0)].objects += total.objects
            merged[total.storageClass, default: ClassTotal(storageClass: total.storageClass, objects: 0, bytes: 0)].bytes += total.bytes
        }
        byClass = merged.values.sorted { $0.storageClass < $1.storageClass }
    }
}

/// Money, in USD at the pricing table's prices.
public struct PlanCost: Codable, Sendable, Hashable {
    /// Monthly storage cost of the objects as they are.
    public var monthlyBefore: Double = 0
    /// Monthly storage cost once the plan is applied.
    public var monthlyAfter: Double = 0
    /// One-off cost of the transition requests.
    public var transitionRequests: Double = 0
    /// One-off minimum-duration charges for deleting or moving objects early.
    public var earlyDeletion: Double = 0

    mutating func add(_ other: PlanCost) {
        monthlyBefore += other.monthlyBefore
        monthlyAfter += other.monthlyAfter
        transitionRequests += other.transitionRequests
        earlyDeletion += other.earlyDeletion
    }
}

extension Plan {
    /// The encoder for the stable JSON form: camelCase keys as in the Swift names, sorted, ISO 8601 dates.
    public static func jsonEncoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The decoder matching `jsonEncoder`.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Streams the compact JSON form (as `jsonData()`) to `sink` in chunks of about 1 MiB, so
    /// printing a plan with a million actions needs no second copy of it in memory.
    public func writeJSON(to sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        PlanJSONWriter.write(self, to: sink)
    }

    /// The stable JSON form: compact, sorted keys, ISO 8601 dates, written by a dedicated fast writer.
    /// `pretty: true` indents it with Foundation's encoder instead (same content; slow for big plans).
    public func jsonData(pretty: Bool = false) throws -> Data {
        pretty ? try Self.jsonEncoder(pretty: true).encode(self) : PlanJSONWriter.encode(self)
    }
}
