import Foundation

/// A `GetObject` into memory that was refused because the object is larger than the caller's
/// cap (``S3Client/getObject(bucket:key:range:versionID:maxBytes:)``). Thrown from the answer's
/// `Content-Length` before the body is read, or once more bytes than the cap arrive; never
/// retried, since the same object gives the same answer.
public struct ObjectTooLargeError: Error, Sendable, CustomStringConvertible {
    /// The operation (`GetObject`).
    public var operation: String
    /// The bucket.
    public var bucket: String
    /// The key.
    public var key: String
    /// The object's size as the server gave it, when it gave one.
    public var size: Int64?
    /// The cap, in bytes.
    public var limit: Int
    /// The answer's headers (its ETag lets a caller that only needs it go on, e.g. the lease).
    public var head: ObjectHead

    /// Creates the error.
    public init(operation: String, bucket: String, key: String, size: Int64?, limit: Int, head: ObjectHead) {
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.size = size
        self.limit = limit
        self.head = head
    }

    /// One line for people: `GetObject s3://bucket/key: N bytes, more than the M read into memory for it`.
    public var description: String {
        let amount = size.map { "\($0) bytes" } ?? "more bytes than announced"
        return "\(operation) s3://\(bucket)/\(key): \(amount), more than the \(limit) read into memory for it"
    }
}
