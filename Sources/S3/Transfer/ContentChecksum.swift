import Crypto
import Foundation

/// The checksum Strata records in an object's metadata when it uploads it, so `verify` and
/// downloads can check the content later, whatever the ETag is.
///
/// The object is cut into parts of `partSize` bytes (the last may be shorter); each part's
/// SHA-256 is taken, and the checksum is the SHA-256 of those digests concatenated, in order
/// (like S3's composite checksums). Single-part objects use the same rule with one part, so
/// one verifier serves all. Stored as `x-amz-meta-strata-sha256-parts` (hex) and
/// `x-amz-meta-strata-part-size` (bytes).
public struct ContentChecksum: Sendable, Hashable, CustomStringConvertible {
    /// Metadata key of the composite digest.
    public static let digestKey = "strata-sha256-parts"
    /// Metadata key of the part size.
    public static let partSizeKey = "strata-part-size"

    /// Lowercase hex of the composite digest.
    public var digest: String
    /// The part size the digest was computed with.
    public var partSize: Int64

    /// Creates a checksum value.
    public init(digest: String, partSize: Int64) {
        self.digest = digest
        self.partSize = partSize
    }

    /// Reads the checksum from user metadata, if Strata recorded one.
    public init?(metadata: [String: String]) {
        guard let digest = metadata[Self.digestKey], let size = metadata[Self.partSizeKey].flatMap({ Int64($0) }),
              size > 0, digest.count == 64 else { return nil }
        self.init(digest: digest.lowercased(), partSize: size)
    }

    /// The metadata entries that record this checksum.
    public var metadata: [String: String] { [Self.digestKey: digest, Self.partSizeKey: String(partSize)] }

    /// The composite of the given part digests, in order.
    public static func combine(partDigests: [[UInt8]], partSize: Int64) -> ContentChecksum {
        var hasher = SHA256()
        for digest in partDigests { hasher.update(data: digest) }
        return ContentChecksum(digest: Digests.hex(hasher.finalize()), partSize: partSize)
    }

    /// The checksum of bytes in memory.
    public static func of(_ bytes: [UInt8], partSize: Int64) -> ContentChecksum {
        var digests: [[UInt8]] = []
        var start = 0
        let step = Int(partSize)
        repeat {
            let end = min(start + step, bytes.count)
            digests.append(Array(SHA256.hash(data: bytes[start..<end])))
            start = end
        } while start < bytes.count
        return combine(partDigests: digests, partSize: partSize)
    }

    /// `sha256-parts:<hex>/<part size>`.
    public var description: String { "sha256-parts:\(digest)/\(partSize)" }
}
