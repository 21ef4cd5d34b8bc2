import Foundation
import Yams

/// Prices per storage class (USD). The default is the us-east-1 list price as published for
/// S3 in 2025; `load(yaml:path:)` overrides any of it.
public struct PricingTable: Sendable, Hashable {
    /// The prices of one class.
    public struct ClassPrice: Sendable, Hashable, Codable {
        /// Storage per GB-month (GB = 2^30 bytes, as AWS bills).
        public var storagePerGBMonth: Double
        /// Minimum storage duration in days: deleting or moving earlier bills the rest.
        public var minimumDays: Int
        /// Minimum billable object size in bytes.
        public var minimumBillableBytes: Int64
        /// Retrieval per GB by retrieval tier (`standard`, `bulk`, `expedited`, or `default`).
        public var retrievalPerGB: [String: Double]
        /// Lifecycle transition / copy-in requests, per 1,000.
        public var transitionPer1000: Double

        /// Creates a price entry.
        public init(storagePerGBMonth: Double, minimumDays: Int = 0, minimumBillableBytes: Int64 = 0,
                    retrievalPerGB: [String: Double] = [:], transitionPer1000: Double = 0) {
            self.storagePerGBMonth = storagePerGBMonth
            self.minimumDays = minimumDays
            self.minimumBillableBytes = minimumBillableBytes
            self.retrievalPerGB = retrievalPerGB
            self.transitionPer1000 = transitionPer1000
        }
    }

    /// Prices by class.
    public var classes: [StorageClass: ClassPrice]

    /// Creates a table.
    public init(classes: [StorageClass: ClassPrice]) { self.classes = classes }

    /// us-east-1 list prices.
    public static let usEast1 = PricingTable(classes: [
        .standard: ClassPrice(storagePerGBMonth: 0.023),
        .reducedRedundancy: ClassPrice(storagePerGBMonth: 0.024),
        .intelligentTiering: ClassPrice(storagePerGBMonth: 0.023, transitionPer1000: 0.01),
        .standardIA: ClassPrice(storagePerGBMonth: 0.0125, minimumDays: 30, minimumBillableBytes: 131_072,
                                retrievalPerGB: ["default": 0.01], transitionPer1000: 0.01),
        .onezoneIA: ClassPrice(storagePerGBMonth: 0.01, minimumDays: 30, minimumBillableBytes: 131_072,
                               retrievalPerGB: ["default": 0.01], transitionPer1000: 0.01),
        .glacierIR: ClassPrice(storagePerGBMonth: 0.004, minimumDays: 90, minimumBillableBytes: 131_072,
                               retrievalPerGB: ["default": 0.03], transitionPer1000: 0.02),
        .glacier: ClassPrice(storagePerGBMonth: 0.0036, minimumDays: 90,
                             retrievalPerGB: ["expedited": 0.03, "standard": 0.01, "bulk": 0], transitionPer1000: 0.03),
        .deepArchive: ClassPrice(storagePerGBMonth: 0.00099, minimumDays: 180,
                                 retrievalPerGB: ["standard": 0.02, "bulk": 0.0025], transitionPer1000: 0.05),
    ])

    /// Price of a class; unknown classes are priced as STANDARD.
    public func price(_ storageClass: StorageClass) -> ClassPrice {
        classes[storageClass] ?? classes[.standard] ?? ClassPrice(storagePerGBMonth: 0.023)
    }

    static let bytesPerGB = 1_073_741_824.0

    /// Bytes billed for an object of `size` in `storageClass`.
    public func billableBytes(_ size: Int64, in storageClass: StorageClass) -> Int64 {
        max(size, price(storageClass).minimumBillableBytes)
    }

    /// Monthly storage cost of an object.
    public func monthlyCost(size: Int64, in storageClass: StorageClass) -> Double {
        Double(billableBytes(size, in: storageClass)) / Self.bytesPerGB * price(storageClass).storagePerGBMonth
    }

    /// Minimum-duration charge for removing an object from its class after `ageDays`.
    public func earlyRemovalCharge(size: Int64, in storageClass: StorageClass, ageDays: Double) -> Double {
        let remaining = Double(price(storageClass).minimumDays) - ageDays
        guard remaining > 0 else { return 0 }
        return monthlyCost(size: size, in: storageClass) * remaining / 30
    }

    /// Cost of keeping an object of `size` in `storageClass` for `days`, including the minimum duration.
    public func lifetimeCost(size: Int64, in storageClass: StorageClass, days: Double) -> Double {
        monthlyCost(size: size, in: storageClass) * max(days, Double(price(storageClass).minimumDays)) / 30
    }

    /// Overrides prices from YAML:
    /// ```yaml
    /// classes:
    ///   STANDARD_IA: {storage_gb_month: 0.0125, minimum_days: 30, minimum_billable_bytes: 131072,
    ///                 retrieval_gb: {default: 0.01}, transition_per_1000: 0.01}
    /// ```
    /// Keys left out keep the default; errors are located like policy errors.
    public static func load(yaml: String, path: String, base: PricingTable = .usEast1) throws(PolicyErrors) -> PricingTable {
        var reader = YAMLReader(path: path)
        var table = base
        if let root = reader.compose(yaml), let top = reader.mapping(root, context: "the pricing file", allowed: ["classes"]),
           let classesNode = top["classes"]?.value {
            if let mapping = classesNode.mapping {
                for (nameNode, entryNode) in mapping {
                    guard let name = reader.storageClass(nameNode, "classes") else { continue }
                    let allowed = ["storage_gb_month", "minimum_days", "minimum_billable_bytes", "retrieval_gb", "transition_per_1000"]
                    guard let entries = reader.mapping(entryNode, context: "prices of \(name)", allowed: allowed) else { continue }
                    var price = table.classes[name] ?? ClassPrice(storagePerGBMonth: 0)
                    if let n = entries["storage_gb_month"] { price.storagePerGBMonth = number(n.value, "storage_gb_month", &reader) ?? price.storagePerGBMonth }
                    if let n = entries["transition_per_1000"] { price.transitionPer1000 = number(n.value, "transition_per_1000", &reader) ?? price.transitionPer1000 }
                    if let n = entries["minimum_days"], let v = reader.int(n.value, "minimum_days", minimum: 0, maximum: 36_500) { price.minimumDays = v }
                    if let n = entries["minimum_billable_bytes"], let v = reader.int(n.value, "minimum_billable_bytes", minimum: 0, maximum: 5 << 40) { price.minimumBillableBytes = Int64(v) }
                    if let n = entries["retrieval_gb"] {
                        if let tiers = n.value.mapping {
                            for (tier, value) in tiers {
                                if let tierName = reader.string(tier, "retrieval tier"), let v = number(value, "retrieval_gb.\(tierName)", &reader) {
                                    price.retrievalPerGB[tierName] = v
                                }
                            }
                        } else {
                            reader.fail(n.value, "retrieval_gb is \(YAMLReader.kind(n.value)), expected a mapping of retrieval tier to price per GB")
                        }
                    }
                    table.classes[name] = price
                }
            } else {
                reader.fail(classesNode, "classes is \(YAMLReader.kind(classesNode)), expected a mapping of storage class to prices")
            }
        }
        guard reader.errors.isEmpty else { throw PolicyErrors(reader.errors) }
        return table
    }

    private static func number(_ node: Yams.Node, _ name: String, _ reader: inout YAMLReader) -> Double? {
        guard node.scalar?.style == .plain, let value = node.float ?? node.int.map(Double.init), value >= 0 else {
            reader.fail(node, "\(name) is \(YAMLReader.kind(node)), expected a non-negative number in USD")
            return nil
        }
        return value
    }
}
