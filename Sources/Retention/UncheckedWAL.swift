/// WAL a pgBackRest component keeps without knowing whether any kept set needs it: what some kept
/// set needs cannot be read (no `backup.info`, or an encrypted repository without its passphrase),
/// so no WAL segment can be judged and every one is kept. Reported so keeping it is never silent.
public struct UncheckedWAL: Codable, Sendable, Hashable {
    /// WAL objects (segments and `.backup` files) kept unchecked.
    public var objects: Int
    /// Their bytes.
    public var bytes: Int64
    /// What storing them costs a month (USD) at the plan's prices, in their storage classes.
    public var monthlyCost: Double
    /// Why the WAL cannot be checked.
    public var reason: String

    /// Creates a summary.
    public init(objects: Int, bytes: Int64, monthlyCost: Double, reason: String) {
        self.objects = objects
        self.bytes = bytes
        self.monthlyCost = monthlyCost
        self.reason = reason
    }

    /// Adds up `wal`, the component's WAL objects.
    init(wal: [ObjectIndex], objects all: [InventoryObject], pricing: PricingTable, reason: String) {
        var bytes: Int64 = 0
        var cost = 0.0
        for index in wal {
            let object = all[Int(index)]
            bytes.saturatingIncrease(by: object.size)
            cost += pricing.monthlyCost(size: object.size, in: object.storageClass)
        }
        self.init(objects: wal.count, bytes: bytes, monthlyCost: cost, reason: reason)
    }

    /// The plan's warning: the reason, then what it keeps and costs.
    public var warning: String {
        "\(reason); \(objects) WAL objects, \(PlanTable.formatBytes(bytes)), " + String(format: "$%.2f", monthlyCost)
            + " a month, are kept unchecked"
    }
}
