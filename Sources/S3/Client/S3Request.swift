import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// One S3 API call before signing: what the operation is, where it goes, what it sends.
package struct S3Request: Sendable {
    /// The S3 API name (`PutObject`), for errors, logs and metrics.
    var operation: String
    var method: HTTPMethod
    var bucket: String?
    var key: String?
    var query: [(name: String, value: String)] = []
    var headers: HTTPHeaders = HTTPHeaders()
    var body: S3RequestBody = .empty
    /// Retry after a connection failure or timeout. Off for requests whose first attempt may
    /// have taken effect with consequences a second one would change (conditional creates).
    var retryOnTransportError: Bool = true

    package init(operation: String, method: HTTPMethod, bucket: String? = nil, key: String? = nil,
         query: [(name: String, value: String)] = [], headers: HTTPHeaders = HTTPHeaders(),
         body: S3RequestBody = .empty) {
        self.operation = operation
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// A request body that can be sent again on retry: bytes in memory, or a region of a file
/// that is reopened for every attempt.
package enum S3RequestBody: Sendable {
    case empty
    /// Bytes with their SHA-256 (signed) and MD5 (`Content-MD5`).
    case bytes(ByteBuffer, sha256: String, md5: String)
    /// `length` bytes of the file at `path` from `offset`, hashed before sending.
    case file(path: String, offset: Int64, length: Int64, sha256: String, md5: String?)

    /// A body from bytes, hashing them once.
    static func data(_ bytes: some Collection<UInt8>) -> S3RequestBody {
        let buffer = ByteBuffer(bytes: bytes)
        return .bytes(buffer, sha256: Digests.sha256Hex(buffer.readableBytesView),
                      md5: Digests.md5Base64(buffer.readableBytesView))
    }

    /// A body from a UTF-8 string (XML request documents).
    static func text(_ text: String) -> S3RequestBody { .data(Array(text.utf8)) }

    var length: Int64 {
        switch self {
        case .empty: return 0
        case .bytes(let buffer, _, _): return Int64(buffer.readableBytes)
        case .file(_, _, let length, _, _): return length
        }
    }
}

/// What S3 answered, with the body collected in memory (for every operation but downloads).
struct S3Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer

    var bodyData: Data { Data(body.readableBytesView) }

    /// Parses the body as XML, turning a malformed document into a typed transport error.
    func xml(_ request: S3Request) throws -> XMLNode {
        do {
            return try XMLNode.parse(bodyData)
        } catch {
            throw S3TransportError(kind: .malformedResponse, operation: request.operation,
                                   bucket: request.bucket, key: request.key, detail: error.description)
        }
    }
}

/// Hashes as S3 spells them: hex SHA-256 for SigV4, base64 MD5 for `Content-MD5`.
enum Digests {
    static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hex(hasher.finalize())
    }

    static func md5Base64(_ bytes: some Sequence<UInt8>) -> String {
        Data(Insecure.MD5.hash(data: Array(bytes))).base64EncodedString()
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
