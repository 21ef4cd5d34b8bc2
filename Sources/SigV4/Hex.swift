import Crypto
import Foundation

/// Lowercase hex and base64 of digests, without Foundation's formatting machinery: both sit on
/// the signing hot path. See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>
/// (`HexEncode` in the string to sign and the signature).
enum Hex {
    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var text = ByteWriter(buffer)
            text.appendHex(bytes)
            return text.count
        }
    }

    static func encode(_ digest: some Digest) -> String {
        digest.withUnsafeBytes { encode($0) }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        encode(SHA256.hash(data: bytes))
    }

    static func sha256(_ text: String) -> String {
        text.withUTF8Bytes { encode(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }
}

enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 0x3F)])
            out.append(alphabet[Int(triple >> 12 & 0x3F)])
            out.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
