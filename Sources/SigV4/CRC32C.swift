import CCRC32C

/// CRC-32C (Castagnoli), on the CPU's CRC32 instruction where there is one.
///
/// The checksum of `x-amz-checksum-crc32c` (trailers of aws-chunked uploads, part and object
/// checksums) and the check downloads make on every byte. About a tenth of SHA-256's cost per
/// byte, it catches the corruption a transfer can cause (flipped bits, lost or misplaced
/// ranges); deliberate tampering is what SHA-256 is for.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>.
public enum CRC32C {
    /// The CRC of `bytes` continuing from `crc` (0 to start).
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return cstrata_crc32c(crc, base, bytes.count)
    }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        Array(bytes).withUnsafeBytes { update(0, $0) }
    }

    /// The 4 bytes of `crc`, big-endian (the order S3 writes checksums in).
    public static func bytes(_ crc: UInt32) -> [UInt8] {
        [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
    }

    /// The CRC read back from ``bytes(_:)``.
    public static func value(_ bytes: [UInt8]) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
