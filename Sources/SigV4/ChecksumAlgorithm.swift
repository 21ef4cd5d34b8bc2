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
/// The CRCs are table-driven (slicing by 8); neither swift-crypto nor Foundation offers them.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html> for the
/// trailer that carries the result.
public struct RunningChecksum: Sendable {
    private enum State: Sendable {
        case crc(UInt32, polynomial: CRCTables.Polynomial)
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
        case .crc32: state = .crc(0xFFFF_FFFF, polynomial: .ieee)
        case .crc32c: state = .crc(0xFFFF_FFFF, polynomial: .castagnoli)
        case .sha256: state = .sha256(SHA256State())
        }
    }

    /// Adds the next bytes of the body.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .crc(let crc, let polynomial):
            state = .crc(CRCTables.update(crc, bytes, polynomial), polynomial: polynomial)
        case .sha256(var running):
            running.hash.update(data: bytes)
            state = .sha256(running)
        }
    }

    /// The checksum of everything added so far, base64-encoded as S3 expects.
    public func base64() -> String {
        switch state {
        case .crc(let crc, _):
            let value = ~crc
            return Base64.encode([UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
        case .sha256(let running):
            return Base64.encode(Array(running.hash.finalize()))
        }
    }
}

enum CRCTables {
    enum Polynomial: Sendable {
        case ieee, castagnoli
    }

    static let ieee = makeTables(0xEDB8_8320)
    static let castagnoli = makeTables(0x82F6_3B78)

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

    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer, _ polynomial: Polynomial) -> UInt32 {
        let tables = polynomial == .ieee ? ieee : castagnoli
        return tables.withUnsafeBufferPointer { t in
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
