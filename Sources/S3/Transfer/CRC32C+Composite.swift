import SigV4

extension CRC32C {
    /// The composite of part CRCs, in order: the CRC-32C of their big-endian bytes, as 8 hex
    /// digits (as S3 composes multipart checksums).
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#large-object-checksums>.
    static func combine(_ parts: [UInt32]) -> String {
        Digests.hex(bytes(checksum(parts.flatMap(bytes))))
    }
}
