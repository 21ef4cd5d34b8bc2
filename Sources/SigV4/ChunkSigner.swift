import Crypto
import Foundation

/// Frames and signs the chunks of an aws-chunked body: each chunk's signature covers its bytes
/// and the previous signature, starting from the seed signature of the request headers, and
/// ending with an empty chunk (and, in the trailer modes, a checksum trailer).
///
/// Get one from ``SignedRequest/chunkSigner`` and feed it the body in order.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html> and
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>.
public struct ChunkSigner: Sendable {
    /// The smallest chunk AWS accepts (every chunk but the last): 8 KiB.
    public static let minimumChunkSize = 8 * 1024

    /// How chunks are signed and whether a trailer follows.
    public let mode: StreamingPayload.Mode
    /// The signature of the request headers, which the first chunk's signature chains from.
    public let seedSignature: String
    /// The signature of the last chunk signed (the seed before the first).
    public private(set) var previousSignature: String

    private let signingKey: SigningKey
    // "AWS4-HMAC-SHA256-PAYLOAD\n<timestamp>\n<scope>\n": the fixed head of every chunk's string to sign.
    private let chunkPrefix: [UInt8]
    private let trailerPrefix: [UInt8]
    private var checksum: RunningChecksum?

    private static let emptyHashLine: [UInt8] = Array("\n\(Payload.emptySHA256)\n".utf8)
    private static let signatureLength = 64
    private static let signatureExtension: [UInt8] = Array(";chunk-signature=".utf8)
    private static let crlf: [UInt8] = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    private static let trailerSignatureName = "x-amz-trailer-signature:"

    init(mode: StreamingPayload.Mode, seedSignature: String, signingKey: SigningKey, timestamp: String, scope: String) {
        self.mode = mode
        self.seedSignature = seedSignature
        self.previousSignature = seedSignature
        self.signingKey = signingKey
        self.chunkPrefix = Array("AWS4-HMAC-SHA256-PAYLOAD\n\(timestamp)\n\(scope)\n".utf8)
        self.trailerPrefix = Array("AWS4-HMAC-SHA256-TRAILER\n\(timestamp)\n\(scope)\n".utf8)
        self.checksum = mode.trailerChecksum.map(RunningChecksum.init)
    }

    /// A chunk signer continuing from a known seed signature, for a request signed elsewhere
    /// (or to check a published example).
    public init(mode: StreamingPayload.Mode = .signed, seedSignature: String, signer: Signer, date: Date) {
        let signingDate = SigningDate(date)
        let key = signer.signingKey(signingDate)
        self.init(mode: mode, seedSignature: seedSignature, signingKey: key, timestamp: signingDate.timestamp, scope: key.scope)
    }

    // MARK: Chunks

    /// Signs the next chunk and returns it framed: `hex-size;chunk-signature=sig\r\n` + bytes + `\r\n`
    /// (without the signature extension in the unsigned mode). Copies the bytes once, into the frame.
    public mutating func signChunk(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        let header = chunkHeader(for: chunk)
        var framed: [UInt8] = []
        framed.reserveCapacity(header.count + chunk.count + 2)
        framed.append(contentsOf: header)
        framed.append(contentsOf: chunk)
        framed.append(contentsOf: Self.crlf)
        return framed
    }

    /// Signs the next chunk and returns it framed; see ``signChunk(_:)-(UnsafeRawBufferPointer)``.
    public mutating func signChunk(_ chunk: [UInt8]) -> [UInt8] {
        chunk.withUnsafeBytes { signChunk($0) }
    }

    /// Signs the next chunk and returns only its header line, `hex-size;chunk-signature=sig\r\n`,
    /// for callers that write the bytes themselves (then `\r\n`) and so avoid any copy.
    public mutating func chunkHeader(for chunk: UnsafeRawBufferPointer) -> [UInt8] {
        checksum?.update(chunk)
        var header = Array(String(chunk.count, radix: 16).utf8)
        if mode.signsChunks {
            let signature = chunkSignature(SHA256.hash(data: chunk))
            header.reserveCapacity(header.count + Self.signatureExtension.count + Self.signatureLength + 2)
            header.append(contentsOf: Self.signatureExtension)
            header.append(contentsOf: signature.utf8)
        }
        header.append(contentsOf: Self.crlf)
        return header
    }

    /// The closing empty chunk, followed by the checksum trailer in the trailer modes. Call once,
    /// after the last data chunk.
    public mutating func finalChunk() -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "0")]
        if mode.signsChunks {
            let signature = chunkSignature(SHA256.hash(data: [UInt8]()))
            out.append(contentsOf: Self.signatureExtension)
            out.append(contentsOf: signature.utf8)
        }
        out.append(contentsOf: Self.crlf)
        if let checksum {
            let trailer = "\(checksum.algorithm.headerName):\(checksum.base64())"
            out.append(contentsOf: trailer.utf8)
            out.append(contentsOf: Self.crlf)
            if mode.signsChunks {
                out.append(contentsOf: Self.trailerSignatureName.utf8)
                out.append(contentsOf: trailerSignature(trailer).utf8)
                out.append(contentsOf: Self.crlf)
            }
        }
        out.append(contentsOf: Self.crlf)
        return out
    }

    /// `HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" + previous + "\n" + SHA256("") + "\n" + SHA256(chunk))`.
    private mutating func chunkSignature(_ chunkHash: SHA256.Digest) -> String {
        let previous = previousSignature
        let code = signingKey.authenticationCode { hasher in
            hasher.update(data: chunkPrefix)
            hasher.update(data: Array(previous.utf8))
            hasher.update(data: Self.emptyHashLine)
            hasher.update(data: Array(Hex.encode(chunkHash).utf8))
        }
        previousSignature = Hex.encode(code)
        return previousSignature
    }

    /// `HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope + "\n" + previous + "\n" + SHA256(trailer + "\n"))`.
    private mutating func trailerSignature(_ trailer: String) -> String {
        let previous = previousSignature
        let code = signingKey.authenticationCode { hasher in
            hasher.update(data: trailerPrefix)
            hasher.update(data: Array(previous.utf8))
            hasher.update(data: [UInt8(ascii: "\n")])
            hasher.update(data: Array(Hex.sha256(trailer + "\n").utf8))
        }
        previousSignature = Hex.encode(code)
        return previousSignature
    }

    // MARK: Lengths

    /// The `Content-Length` of a body of `payloadLength` bytes framed in `chunkSize` chunks,
    /// computable before sending. Throws for a negative length or a chunk below 8 KiB.
    public static func encodedContentLength(payloadLength: Int, chunkSize: Int, mode: StreamingPayload.Mode = .signed) throws(SigV4Error) -> Int {
        try StreamingPayload(mode: mode, decodedContentLength: payloadLength, chunkSize: chunkSize).encodedContentLength
    }

    static func encodedLength(payloadLength: Int, chunkSize: Int, mode: StreamingPayload.Mode) -> Int {
        let perChunkSignature = mode.signsChunks ? signatureExtension.count + signatureLength : 0
        func framedLength(_ size: Int) -> Int {
            String(size, radix: 16).utf8.count + perChunkSignature + 2 + size + 2
        }
        let fullChunks = payloadLength / chunkSize
        let remainder = payloadLength % chunkSize
        var total = fullChunks * framedLength(chunkSize) + (remainder > 0 ? framedLength(remainder) : 0)
        total += 1 + perChunkSignature + 2  // the empty chunk's header line
        if let algorithm = mode.trailerChecksum {
            total += algorithm.headerName.utf8.count + 1 + algorithm.base64Length + 2
            if mode.signsChunks { total += trailerSignatureName.utf8.count + signatureLength + 2 }
        }
        return total + 2  // the blank line that ends the body
    }
}
