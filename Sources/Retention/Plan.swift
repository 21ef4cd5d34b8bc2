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
        components.flatMap(\.guards).filter(\.blocking)
    }

    /// Whether any guard blocks deletes (the CLI exits non-zero).
    public var isBlocked: Bool { !blockedComponents.isEmpty }
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
