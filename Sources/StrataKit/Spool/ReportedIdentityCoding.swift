import Foundation
import Retention

/// A ``ReportedIdentity`` in a spool record: whether an ETag follows, the ETag, then the time's
/// `Double` bits (exact, unlike whole seconds).
enum ReportedIdentityCoding {
    static func write(_ identity: ReportedIdentity, into writer: inout SpoolWriter) {
        writer.byte(identity.eTag == nil ? 0 : 1)
        if let eTag = identity.eTag { writer.string(eTag) }
        writer.int64(Int64(bitPattern: identity.lastModified.timeIntervalSince1970.bitPattern))
    }

    /// - Throws: `SpoolReader.Malformed` when the record ends early.
    static func read(_ reader: inout SpoolReader) throws -> ReportedIdentity {
        let eTag: String? = switch try reader.byte() {
        case 0: nil
        case 1: try reader.string()
        default: throw SpoolReader.Malformed()
        }
        let seconds = Double(bitPattern: UInt64(bitPattern: try reader.int64()))
        return ReportedIdentity(eTag: eTag, lastModified: Date(timeIntervalSince1970: seconds))
    }
}
