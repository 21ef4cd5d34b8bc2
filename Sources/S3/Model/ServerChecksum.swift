import Foundation
import SigV4

/// The CRC-32C checksum a server stored with an object, as HEAD or GET reports it with
/// `x-amz-checksum-mode: ENABLED`: `x-amz-checksum-crc32c` (base64 of 4 big-endian bytes,
/// followed by `-N` for the composite of an N-part upload) and `x-amz-checksum-type`.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>.
///
/// The header is outside input: anything but 4 base64-decoded bytes and a part count within
/// S3's 1...10,000 is not a checksum, and the object is treated as having none.
public struct ServerChecksum: Sendable, Hashable, CustomStringConvertible {
    /// The CRC-32C: of the whole object, or of the part CRCs' bytes when `parts` is set.
    public var value: UInt32
    /// The number of parts of a composite checksum; `nil` for a checksum of the whole object.
    public var parts: Int?
    /// Whether the server said `x-amz-checksum-type: FULL_OBJECT`.
    public var saysFullObject = false

    /// A checksum value.
    public init(value: UInt32, parts: Int? = nil, saysFullObject: Bool = false) {
        self.value = value
        self.parts = parts
        self.saysFullObject = saysFullObject
    }

    /// Reads `x-amz-checksum-crc32c` (and `x-amz-checksum-type`), or `nil` if it is absent or
    /// not a checksum. A `FULL_OBJECT` type with a part suffix is contradictory and refused.
    public init?(header: String?, type: String? = nil) {
        guard let header, header.utf8.count <= 20 else { return nil }
        let pieces = header.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let decoded = Data(base64Encoded: String(pieces[0])), decoded.count == 4 else {
            return nil
        }
        var parts: Int?
        if pieces.count == 2 {
            guard let count = Int(pieces[1]), (1...10_000).contains(count), type?.uppercased() != "FULL_OBJECT" else {
                return nil
            }
            parts = count
        }
        self.init(value: CRC32C.value(Array(decoded)), parts: parts, saysFullObject: type?.uppercased() == "FULL_OBJECT")
    }

    /// The header value: base64 of the 4 bytes, with `-N` for a composite.
    public var headerValue: String {
        Data(CRC32C.bytes(value)).base64EncodedString() + (parts.map { "-\($0)" } ?? "")
    }

    /// Whether this is the checksum of the content Strata recorded as `recorded` (see
    /// ``ContentChecksum``) for an object of `size` bytes whose ETag is `eTag`. Strata composes
    /// its CRC from the parts of `recorded.partSize` bytes the way S3 composes a multipart
    /// checksum, so:
    /// - a composite of N parts must have N = the recorded part count and the same value;
    /// - a whole-object CRC (a single PUT) is compared through the one-part composite, the
    ///   CRC-32C of its 4 bytes, and only when the recorded parts are one.
    ///
    /// `nil` when the two cannot be compared: no recorded CRC, parts that do not fit, or a
    /// multipart object (its ETag ends in `-N`) whose checksum has no part count and is not
    /// declared `FULL_OBJECT` (moto 5 reports such a value, and it is neither S3's composite nor
    /// the content's CRC: comparing it would call a sound object corrupt).
    public func matches(_ recorded: ContentChecksum, size: Int64, eTag: String) -> Bool? {
        guard let crc = recorded.crc32c, let recordedValue = UInt32(crc, radix: 16), recorded.fits(objectSize: size)
        else { return nil }
        let recordedParts = max(1, Int((size + recorded.partSize - 1) / recorded.partSize))
        if let parts {
            guard parts == recordedParts else { return nil }
            return value == recordedValue
        }
        guard recordedParts == 1, saysFullObject || !ETag.isMultipart(eTag) else { return nil }
        return CRC32C.checksum(CRC32C.bytes(value)) == recordedValue
    }

    /// `crc32c:<base64>[-N]`.
    public var description: String { "crc32c:\(headerValue)" }
}
