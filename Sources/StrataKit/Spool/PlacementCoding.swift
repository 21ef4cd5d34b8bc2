import Foundation
import Retention

/// A placement as a spool record: component and position (LEB128), key, flags, version, size,
/// action, and what a report said of a deletion's object. Sort runs and the merged file hold these; ``PlacementSortKey`` orders them undecoded.
enum PlacementCoding {
    /// Flag: a version follows the flags.
    static let hasVersion: UInt8 = 1
    /// Flag: the placement is one of its set's members.
    static let isMember: UInt8 = 2
    /// Flag: the key or the version is not all ASCII (compared as `String`s, not bytes).
    static let notASCII: UInt8 = 4
    /// Flag: the reported identity follows the action (``Placement/reported``).
    static let hasReported: UInt8 = 8
    /// Flag: the object is a delete marker (``Placement/isDeleteMarker``).
    static let isDeleteMarker: UInt8 = 16
    /// Flag: a rank follows the version (``Placement/rank``, when not 0).
    static let hasRank: UInt8 = 32
    /// Flag: a noncurrent entry follows the reported identity (``Placement/noncurrent``).
    static let hasEntry: UInt8 = 64

    /// The sort head of `placement`: component, then position, in one integer.
    static func head(of placement: Placement) -> UInt64 {
        // Pass two makes components and positions from array indices: never negative, far below 2^31.
        UInt64(UInt32(clamping: placement.component)) << 32 | UInt64(UInt32(clamping: placement.group))
    }

    static func encode(_ placement: Placement, into writer: inout SpoolWriter) {
        writer.varint(UInt64(placement.component))
        writer.varint(UInt64(placement.group))
        let keyASCII = writer.string(placement.key)
        var flags = (placement.versionID == nil ? 0 : hasVersion) | (placement.isMember ? isMember : 0)
            | (placement.reported == nil ? 0 : hasReported) | (placement.isDeleteMarker ? isDeleteMarker : 0)
            | (placement.rank == 0 ? 0 : hasRank) | (placement.noncurrent == nil ? 0 : hasEntry)
        let flagsAt = writer.bytes.count
        writer.byte(0)
        var versionASCII = true
        if let version = placement.versionID { versionASCII = writer.string(version) }
        if placement.rank != 0 { writer.varint(UInt64(placement.rank)) }
        if !keyASCII || !versionASCII { flags |= notASCII }
        writer.bytes[flagsAt] = flags
        writer.int64(placement.size)
        switch placement.action {
        case .none: writer.byte(0)
        case .delete: writer.byte(1)
        case .transition(let from, let to):
            writer.byte(2)
            StorageClassCoding.write(from, into: &writer)
            StorageClassCoding.write(to, into: &writer)
        }
        // Last, so that readers of the sort key and the action stop before it.
        if let reported = placement.reported {
            ReportedIdentityCoding.write(reported, into: &writer)
        }
        if let entry = placement.noncurrent { NoncurrentEntryCoding.write(entry, into: &writer) }
    }

    /// The rank after the version, if the flags say there is one.
    static func readRank(_ reader: inout SpoolReader, flags: UInt8) throws -> UInt32 {
        guard flags & hasRank != 0 else { return 0 }
        let rank = try reader.varint()
        guard rank <= UInt64(UInt32.max) else { throw SpoolReader.Malformed() }
        return UInt32(rank)
    }

    /// Component and position, checked to fit the sort head's 32 bits each.
    static func readHead(_ reader: inout SpoolReader) throws -> UInt64 {
        let component = try reader.varint(), group = try reader.varint()
        guard component <= UInt64(Int32.max), group <= UInt64(Int32.max) else { throw SpoolReader.Malformed() }
        return component << 32 | group
    }

    /// Whether the record has an action, read without building its strings.
    /// - Throws: `StrataError(.failure)` when the record does not read that far (a damaged spool).
    static func hasAction(_ reader: SpoolReader) throws -> Bool {
        var reader = reader
        do {
            _ = try readHead(&reader)
            _ = try reader.field()
            let flags = try reader.byte()
            if flags & hasVersion != 0 { _ = try reader.field() }
            _ = try readRank(&reader, flags: flags)
            _ = try reader.int64()
            return try reader.byte() != 0
        } catch is SpoolReader.Malformed {
            throw StrataError(.failure, "a spool file is damaged: a placement does not decode")
        }
    }

    /// The placement of one record.
    /// - Throws: `StrataError(.failure)` when the record does not decode (a damaged spool).
    static func decode(_ reader: inout SpoolReader) throws -> Placement {
        do {
            let head = try readHead(&reader)
            let key = try reader.string()
            let flags = try reader.byte()
            let version = flags & hasVersion != 0 ? try reader.string() : nil
            let rank = try readRank(&reader, flags: flags)
            let size = try reader.int64()
            let action: Placement.Action
            switch try reader.byte() {
            case 0: action = .none
            case 1: action = .delete
            case 2: action = .transition(from: try StorageClassCoding.read(&reader), to: try StorageClassCoding.read(&reader))
            default: throw SpoolReader.Malformed()
            }
            var placement = Placement(component: Int(head >> 32), group: Int(head & 0xFFFF_FFFF), key: key, versionID: version,
                                      isMember: flags & isMember != 0, size: size, action: action)
            placement.rank = rank
            placement.isDeleteMarker = flags & isDeleteMarker != 0
            if flags & hasReported != 0 {
                placement.reported = try ReportedIdentityCoding.read(&reader)
            }
            if flags & hasEntry != 0 { placement.noncurrent = try NoncurrentEntryCoding.read(&reader, placement: placement) }
            return placement
        } catch is SpoolReader.Malformed {
            throw StrataError(.failure, "a spool file is damaged: a placement does not decode")
        }
    }
}
