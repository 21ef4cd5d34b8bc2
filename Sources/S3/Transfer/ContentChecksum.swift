import Crypto
import Foundation
import SigV4

/// The checksum Strata records in an object's metadata when it uploads it, so `verify` and
/// downloads can check the content later, whatever the ETag is.
///
/// The object is cut into parts of `partSize` bytes (the last may be shorter); each part's
/// SHA-256 is taken, and the checksum is the SHA-256 of those digests concatenated, in order
/// (like S3's composite checksums). Single-part objects use the same rule with one part, so
/// one verifier serves all. Stored as `x-amz-meta-strata-sha256-parts` (hex) and
/// `x-amz-meta-strata-part-size` (bytes).
///
/// The same parts' CRC-32Cs are composed the same way (the CRC-32C of the part CRCs' big-endian
/// bytes) and stored as `x-amz-meta-strata-crc32c-parts` (8 hex digits). Downloads check that
/// one: it catches transfer corruption at a tenth of SHA-256's CPU. `verify --deep` checks the
/// SHA-256. Objects uploaded before the CRC was recorded have only the SHA-256, which
/// downloads then check.
public struct ContentChecksum: Sendable, Hashable, CustomStringConvertible {
    /// Metadata key of the composite digest.
    public static let digestKey = "strata-sha256-parts"
    /// Metadata key of the part size.
    public static let partSizeKey = "strata-part-size"
    /// Metadata key of the composite CRC-32C.
    public static let crc32cKey = "strata-crc32c-parts"

    /// Lowercase hex of the composite digest.
    public var digest: String
    /// The part size the digest was computed with.
    public var partSize: Int64
    /// Lowercase hex of the composite CRC-32C (8 digits), when recorded.
    public var crc32c: String?

    /// Creates a checksum value.
    public init(digest: String, partSize: Int64, crc32c: String? = nil) {
        self.digest = digest
        self.partSize = partSize
        self.crc32c = crc32c
    }

    /// S3's limits, which any part size Strata records respects: at most 10,000 parts, each at
    /// most 5 GiB. See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>.
    public static let maximumParts: Int64 = 10_000
    /// The largest part.
    public static let maximumPartSize: Int64 = 5 << 30

    /// Whether the recorded part size can describe an object of `objectSize` bytes. Metadata is
    /// outside input: `strata-part-size` of 2^63-1 overflowed the range arithmetic, and 1 meant
    /// one ranged GET (and one array entry) per byte. Neither can come from a Strata upload.
    public func fits(objectSize: Int64) -> Bool {
        guard partSize > 0, partSize <= Self.maximumPartSize, objectSize >= 0 else { return false }
        let parts = objectSize / partSize + (objectSize % partSize == 0 ? 0 : 1)
        return parts <= Self.maximumParts
    }

    /// Reads the checksum from user metadata, if Strata recorded one. A CRC that is not 8 hex
    /// digits is ignored (the SHA-256 still stands).
    public init?(metadata: [String: String]) {
        guard let digest = metadata[Self.digestKey], let size = metadata[Self.partSizeKey].flatMap({ Int64($0) }),
              size > 0, digest.count == 64 else { return nil }
        let crc = metadata[Self.crc32cKey].map { $0.lowercased() }
            .flatMap { $0.count == 8 && UInt32($0, radix: 16) != nil ? $0 : nil }
        self.init(digest: digest.lowercased(), partSize: size, crc32c: crc)
    }

    /// The metadata entries that record this checksum.
    public var metadata: [String: String] {
        var entries = [Self.digestKey: digest, Self.partSizeKey: String(partSize)]
        if let crc32c { entries[Self.crc32cKey] = crc32c }
        return entries
    }

    /// The composite of the given part digests (and part CRC-32Cs, if given), in order.
    public static func combine(partDigests: [[UInt8]], partSize: Int64, partCRCs: [UInt32]? = nil) -> ContentChecksum {
        var hasher = SHA256()
        for digest in partDigests { hasher.update(data: digest) }
        return ContentChecksum(digest: Digests.hex(hasher.finalize()), partSize: partSize,
                               crc32c: partCRCs.map(CRC32C.combine))
    }

    /// The checksum of bytes in memory, with its CRC-32C.
    public static func of(_ bytes: [UInt8], partSize: Int64) -> ContentChecksum {
        var digests: [[UInt8]] = []
        var crcs: [UInt32] = []
        var start = 0
        let step = Int(partSize)
        repeat {
            let end = min(start + step, bytes.count)
            digests.append(Array(SHA256.hash(data: bytes[start..<end])))
            crcs.append(CRC32C.checksum(bytes[start..<end]))
            start = end
        } while start < bytes.count
        return combine(partDigests: digests, partSize: partSize, partCRCs: crcs)
    }

    /// `sha256-parts:<hex>/<part size>`.
    public var description: String { "sha256-parts:\(digest)/\(partSize)" }
}
