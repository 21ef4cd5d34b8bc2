import CCRC32C
import Foundation
import SigV4
import Testing

/// CRC-32C against published vectors (RFC 3720 B.4, and the check value of the CRC catalogue).
struct CRC32CTests {
    static let vectors: [([UInt8], UInt32)] = [
        ([], 0),
        (Array("123456789".utf8), 0xE306_9283),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
    ]

    @Test("known CRC-32C values", arguments: vectors)
    func knownValues(bytes: [UInt8], crc: UInt32) {
        #expect(CRC32C.checksum(bytes) == crc)
        // The table, which CPUs without a CRC32 instruction use, agrees.
        #expect(bytes.withUnsafeBytes { cstrata_crc32c_table(0, $0.baseAddress, $0.count) } == crc)
    }

    @Test("a CRC continued over pieces equals the CRC of the whole", arguments: [0, 1, 7, 8, 9, 63, 1000])
    func continuedOverPieces(split: Int) {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let first = bytes[..<split].withUnsafeBytes { CRC32C.update(0, $0) }
        let whole = bytes[split...].withUnsafeBytes { CRC32C.update(first, $0) }
        #expect(whole == CRC32C.checksum(bytes))
    }

    /// The CPU path cuts long inputs into three lanes (8 KiB, then 256 bytes) and joins their
    /// CRCs; every length around those boundaries must agree with the byte-at-a-time table.
    @Test("the three-lane CPU path agrees with the table",
          arguments: [0, 1, 8, 767, 768, 769, 776, 24_575, 24_576, 24_577, 25_344, 49_152, 65_536, 1_048_576 + 13])
    func threeLanesAgreeWithTheTable(length: Int) {
        let bytes = Self.pseudoRandom(length, seed: UInt64(length) &+ 1)
        let table = bytes.withUnsafeBytes { cstrata_crc32c_table(0, $0.baseAddress, $0.count) }
        #expect(CRC32C.checksum(bytes) == table)
        // Continued from a CRC that is not zero, at an odd start.
        let first = bytes.prefix(length / 3).withUnsafeBytes { CRC32C.update(0, $0) }
        #expect(bytes.dropFirst(length / 3).withUnsafeBytes { CRC32C.update(first, $0) } == table)
    }

    static func pseudoRandom(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    @Test("a CRC's big-endian bytes read back as the CRC", arguments: [UInt32(0), 1, 0xE306_9283, 0xFFFF_FFFF])
    func bytesRoundTrip(crc: UInt32) {
        #expect(CRC32C.bytes(crc).count == 4)
        #expect(CRC32C.value(CRC32C.bytes(crc)) == crc)
    }

    /// aws-chunked trailers compute the same CRC as the rest of the client.
    @Test("the running trailer checksum is this CRC", arguments: [0, 1, 9, 24_577, 65_536])
    func runningChecksumAgrees(length: Int) {
        let bytes = Self.pseudoRandom(length, seed: 7)
        var running = RunningChecksum(.crc32c)
        let half = length / 2
        bytes[..<half].withUnsafeBytes { running.update($0) }
        bytes[half...].withUnsafeBytes { running.update($0) }
        let table = bytes.withUnsafeBytes { cstrata_crc32c_table(0, $0.baseAddress, $0.count) }
        #expect(running.base64() == Data(CRC32C.bytes(table)).base64EncodedString())
    }
}
