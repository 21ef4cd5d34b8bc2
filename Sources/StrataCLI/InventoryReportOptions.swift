import ArgumentParser
import Foundation
import StrataKit

/// Reading an S3 Inventory report instead of listing the bucket: shared by `sweep` and `lint`.
struct InventoryReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read this S3 Inventory report instead of listing the bucket: a manifest.json, local or s3://BUCKET/KEY.",
                               discussion: "CSV reports only (gzip or plain). sweep confirms with HEAD the sets that justify each deletion, and each deletion, before it is made; lint only reads the report."))
    var inventory: String?

    @Option(name: .customLong("inventory-max-age"), help: "Refuse an inventory report older than this many hours.")
    var inventoryMaxAge: Int = 48

    @Flag(name: .customLong("allow-unverified-inventory"),
          help: "Accept inventory data files the manifest gives no MD5checksum for (their rows cannot be checked).")
    var allowUnverifiedInventory = false

    /// Where plans come from with these options: the report, or `nil` for a listing.
    func source() throws -> PlanMaker.InventorySource? {
        guard let inventory else { return nil }
        return .report(try InventoryReportReader.Location(inventory), maximumAge: TimeInterval(inventoryMaxAge) * 3600,
                       allowsUnverifiedFiles: allowUnverifiedInventory)
    }
}
