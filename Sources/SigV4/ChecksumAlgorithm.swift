import Crypto
import Foundation

/// A checksum S3 accepts as an `x-amz-checksum-*` trailer of an aws-chunked upload.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html>.
public enum ChecksumAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// CRC-32C (Castagnoli), the cheapest; what AWS SDKs default to.
    case crc32c
    /// CRC-32 (IEEE 802.3, as in zlib).
    case crc32
    /// SHA-256 of the whole body.
    case sha256

    /// The trailer header carrying the checksum, e.g. `x-amz-checksum-crc32c`.
    public var headerName: String { "x-amz-checksum-\(rawValue)" }

    /// The length of the base64 value: 8 characters for a CRC's 4 bytes, 44 for SHA-256's 32.
    var base64Length: Int {
        switch self {
        case .crc32, .crc32c: return 8
        case .sha256: return 44
        }
    }
}

/// A checksum being computed over a body that arrives in pieces.
///
/// CRC-32C runs on the CPU's CRC32 instruction (``CRC32C``); CRC-32 is table-driven (slicing by
/// 8), as neither swift-crypto nor Foundation offers it. See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html> for the
/// trailer that carries the result.
public struct RunningChecksum: Sendable {
    private enum State: Sendable {
        /// The CRC so far (finalised, as ``CRC32C/update(_:_:)`` takes and returns it).
        case crc32c(UInt32)
        /// The raw CRC-32 register (inverted at the start and the end).
        case crc32(UInt32)
        case sha256(SHA256State)
    }

    // @unchecked: swift-crypto does not mark SHA256 Sendable, but it is a copy-on-write value
    // type (a copy never shares mutable state with the original), so sending one is safe.
    private struct SHA256State: @unchecked Sendable {
        var hash = SHA256()
    }

    private var state: State
    /// The algorithm being computed.
    public let algorithm: ChecksumAlgorithm

    /// Starts a checksum of nothing.
    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .crc32: state = .crc32(0xFFFF_FFFF)
        case .crc32c: state = .crc32c(0)
        case .sha256: state = .sha256(SHA256State())
        }
    }

    /// Adds the next bytes of the body.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc32c(let crc):
            state = .crc32c(CRC32C.update(crc, bytes))
        case .crc32(let register):
            state = .crc32(CRC32Table.update(register, bytes))
        case .sha256(var running):
            running.hash.update(data: bytes)
            state = .sha256(running)
        }
    }

    /// The checksum of everything added so far, base64-encoded as S3 expects.
    public func base64() -> String {
        switch state {
        case .crc32c(let crc):
            return Base64.encode(CRC32C.bytes(crc))
        case .crc32(let register):
            return Base64.encode(CRC32C.bytes(~register))
        case .sha256(let running):
            return Base64.encode(Array(running.hash.finalize()))
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table-driven, slicing by 8.
enum CRC32Table {
    static let tables = makeTables(0xEDB8_8320)

    // Eight tables of 256 entries, flattened: table k at offset k * 256.
    private static func makeTables(_ reversedPolynomial: UInt32) -> [UInt32] {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ reversedPolynomial : crc >> 1 }
            tables[byte] = crc
        }
        for byte in 0..<256 {
            var crc = tables[byte]
            for k in 1..<8 {
                crc = (crc >> 8) ^ tables[Int(crc & 0xFF)]
                tables[k * 256 + byte] = crc
            }
        }
        return tables
    }

    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { t in
            var crc = crc
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                let low = UInt32(littleEndianBytes: bytes, at: index) ^ crc
                let high = UInt32(littleEndianBytes: bytes, at: index + 4)
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int(low >> 8 & 0xFF)]
                    ^ t[5 * 256 + Int(low >> 16 & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int(high >> 8 & 0xFF)]
                    ^ t[1 * 256 + Int(high >> 16 & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(bytes[index])) & 0xFF)]
                index += 1
            }
            return crc
        }
    }
}

extension UInt32 {
    fileprivate init(littleEndianBytes bytes: UnsafeRawBufferPointer, at offset: Int) {
        self = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
