import Foundation
import Retention

/// A noncurrent version's entry (``Placement/noncurrent``) in a placement record, after its
/// action: what the entry adds to the placement's key, version, size and marker flag.
enum NoncurrentEntryCoding {
    private static let hidden: UInt8 = 1
    private static let expire: UInt8 = 2
    private static let hasSince: UInt8 = 4
    private static let hasExpiry: UInt8 = 8

    static func write(_ entry: NoncurrentVersion, into writer: inout SpoolWriter) {
        writer.byte((entry.hidden ? hidden : 0) | (entry.decision == .expire ? expire : 0)
            | (entry.noncurrentSince == nil ? 0 : hasSince) | (entry.projectedExpiry == nil ? 0 : hasExpiry))
        StorageClassCoding.write(entry.storageClass, into: &writer)
        // Dates as their own double, so they come back exactly.
        if let since = entry.noncurrentSince { writer.double(since.timeIntervalSinceReferenceDate) }
        if let expiry = entry.projectedExpiry { writer.double(expiry.timeIntervalSinceReferenceDate) }
        writer.double(entry.monthlyCost)
        _ = writer.string(entry.reason)
    }

    /// The entry of the placement whose other fields are `placement`'s.
    static func read(_ reader: inout SpoolReader, placement: Placement) throws -> NoncurrentVersion {
        let flags = try reader.byte()
        let storageClass = try StorageClassCoding.read(&reader)
        let since = flags & hasSince != 0 ? Date(timeIntervalSinceReferenceDate: try reader.double()) : nil
        let expiry = flags & hasExpiry != 0 ? Date(timeIntervalSinceReferenceDate: try reader.double()) : nil
        let cost = try reader.double()
        let reason = try reader.string()
        return NoncurrentVersion(
            key: placement.key, versionID: placement.versionID, isDeleteMarker: placement.isDeleteMarker, hidden: flags & hidden != 0,
            size: placement.size, storageClass: storageClass, noncurrentSince: since, decision: flags & expire != 0 ? .expire : .keep,
            reason: reason, projectedExpiry: expiry, monthlyCost: cost)
    }
}
