/// What a request signs in place of its body: the last line of the canonical request and the
/// value of `x-amz-content-sha256`.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html> (signed and
/// unsigned payloads) and <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>
/// (aws-chunked streaming).
public enum Payload: Sendable, Hashable {
    /// The whole body; its SHA-256 is computed while signing.
    case bytes([UInt8])
    /// The lowercase hex SHA-256 of the body, computed by the caller (e.g. while reading a file).
    case sha256(String)
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (rely on TLS and checksums).
    case unsigned
    /// An aws-chunked body, framed and signed chunk by chunk by the ``ChunkSigner`` that
    /// ``Signer/signHeaders(method:url:headers:payload:date:)`` returns.
    case streaming(StreamingPayload)

    /// An empty body (`GET`, `HEAD`, `DELETE`).
    public static var empty: Payload { .bytes([]) }

    /// The hex SHA-256 of the empty string, which empty bodies sign.
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// The literal signed for unsigned payloads.
    public static let unsignedLiteral = "UNSIGNED-PAYLOAD"

    /// The value signed as the payload hash and sent as `x-amz-content-sha256`.
    public var contentSHA256: String {
        switch self {
        case .bytes(let bytes): return bytes.isEmpty ? Self.emptySHA256 : Hex.sha256(bytes)
        case .sha256(let hex): return hex
        case .unsigned: return Self.unsignedLiteral
        case .streaming(let streaming): return streaming.mode.contentSHA256
        }
    }
}

/// An aws-chunked upload: how it is signed, how long the decoded body is, how it is cut.
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html> and
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>.
public struct StreamingPayload: Sendable, Hashable {
    /// How the chunks (and an optional checksum trailer) are signed.
    public enum Mode: Sendable, Hashable {
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: every chunk signed, chained to the previous one.
        case signed
        /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks, then a signed checksum trailer.
        case signedWithTrailer(ChecksumAlgorithm)
        /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: plain chunks, then an unsigned checksum trailer
        /// (AWS takes it; Ceph RGW rejects it).
        case unsignedWithTrailer(ChecksumAlgorithm)

        /// The `x-amz-content-sha256` value announcing this mode.
        public var contentSHA256: String {
            switch self {
            case .signed: return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
            case .signedWithTrailer: return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
            case .unsignedWithTrailer: return "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
            }
        }

        /// The checksum sent in the trailer, if any.
        public var trailerChecksum: ChecksumAlgorithm? {
            switch self {
            case .signed: return nil
            case .signedWithTrailer(let algorithm), .unsignedWithTrailer(let algorithm): return algorithm
            }
        }

        var signsChunks: Bool {
            if case .unsignedWithTrailer = self { return false }
            return true
        }
    }

    /// The signing mode.
    public var mode: Mode
    /// The length of the body before aws-chunked framing (`x-amz-decoded-content-length`).
    public var decodedContentLength: Int
    /// The size of every chunk but the last; AWS requires at least 8 KiB and suggests 64 KiB.
    public var chunkSize: Int

    /// Describes a streaming upload; throws when the length or chunk size cannot be framed.
    public init(mode: Mode = .signed, decodedContentLength: Int, chunkSize: Int = 64 * 1024) throws(SigV4Error) {
        guard decodedContentLength >= 0 else { throw .invalidPayloadLength(decodedContentLength) }
        guard chunkSize >= ChunkSigner.minimumChunkSize else { throw .invalidChunkSize(chunkSize) }
        self.mode = mode
        self.decodedContentLength = decodedContentLength
        self.chunkSize = chunkSize
    }

    /// The `Content-Length` of the framed body, known before the first byte is sent.
    public var encodedContentLength: Int {
        ChunkSigner.encodedLength(payloadLength: decodedContentLength, chunkSize: chunkSize, mode: mode)
    }
}
