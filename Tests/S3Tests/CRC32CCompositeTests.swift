@testable import S3
import SigV4
import Testing

/// How S3 composes a multipart object's CRC-32C from its parts'.
struct CRC32CCompositeTests {
    @Test func theCompositeIsTheCRCOfThePartCRCsBigEndian() {
        // Parts "1234" and "56789": their CRCs, big-endian, then the CRC of those 8 bytes.
        let a = CRC32C.checksum(Array("1234".utf8)), b = CRC32C.checksum(Array("56789".utf8))
        let bytes = [a, b].flatMap { crc in [24, 16, 8, 0].map { UInt8((crc >> UInt32($0)) & 0xFF) } }
        #expect(CRC32C.combine([a, b]) == Digests.hex([24, 16, 8, 0].map { UInt8((CRC32C.checksum(bytes) >> UInt32($0)) & 0xFF) }))
        #expect(CRC32C.combine([a, b]).count == 8)
    }
}
