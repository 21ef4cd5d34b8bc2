import Foundation
import Retention

/// A ``ReportedIdentity`` in a spool record: a flags byte (an ETag follows; the report said
/// delete marker), the ETag, then the time's `Double` bits (exact, unlike whole seconds).
enum ReportedIdentityCoding {
    /// Flag: an ETag follows.
    private static let hasETag: UInt8 = 1
    /// Flag: the report listed a delete marker.
    private static let deleteMarker: UInt8 = 2

    static func write(_ identity: ReportedIdentity, into writer: inout SpoolWriter) {
        writer.byte((identity.eTag == nil ? 0 : hasETag) | (identity.isDeleteMarker ? deleteMarker : 0))
        if let eTag = identity.eTag { writer.string(eTag) }
        writer.int64(Int64(bitPattern: identity.lastModified.timeIntervalSince1970.bitPattern))
    }

    /// - Throws: `SpoolReader.Malformed` when the record ends early or has an unknown flag.
    static func read(_ reader: inout SpoolReader) throws -> ReportedIdentity {
        let flags = try reader.byte()
        guard flags & ~(hasETag | deleteMarker) == 0 else { throw SpoolReader.Malformed() }
        let eTag: String? = flags & hasETag != 0 ? try reader.string() : nil
        let seconds = Double(bitPattern: UInt64(bitPattern: try reader.int64()))
        return ReportedIdentity(eTag: eTag, lastModified: Date(timeIntervalSince1970: seconds),
                                isDeleteMarker: flags & deleteMarker != 0)
    }
}
