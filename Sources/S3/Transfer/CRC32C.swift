import CStrataSystem

/// CRC-32C (Castagnoli), on the CPU's CRC32 instruction where there is one: the check downloads
/// make on every byte (see ``ContentChecksum/crc32c``). About a tenth of SHA-256's cost per
/// byte, it catches the corruption a transfer can cause (flipped bits, lost or misplaced
/// ranges); deliberate tampering is `verify --deep`'s job, with SHA-256.
enum CRC32C {
    /// The CRC of `bytes` continuing from `crc` (0 to start).
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return cstrata_crc32c(crc, base, bytes.count)
    }

    /// The CRC of `bytes`.
    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        Array(bytes).withUnsafeBytes { update(0, $0) }
    }

    /// The composite of part CRCs, in order: the CRC-32C of their big-endian bytes, as 8 hex
    /// digits (as S3 composes multipart checksums).
    static func combine(_ parts: [UInt32]) -> String {
        Digests.hex(bytes(checksum(parts.flatMap(bytes))))
    }

    /// The 4 bytes of `crc`, big-endian (the order S3 writes checksums in).
    static func bytes(_ crc: UInt32) -> [UInt8] {
        [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
    }

    /// The CRC read back from ``bytes(_:)``.
    static func value(_ bytes: [UInt8]) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
