import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SigV4

/// Options for writing an object.
public struct PutOptions: Sendable {
    /// Storage class (`STANDARD` when `nil`).
    public var storageClass: String?
    /// User metadata (`x-amz-meta-*`); names are lowercased by S3.
    public var metadata: [String: String]
    /// Tags set with the object.
    public var tags: [String: String]
    /// `Content-Type`.
    public var contentType: String?
    /// `Cache-Control`.
    public var cacheControl: String?
    /// `Content-Encoding`.
    public var contentEncoding: String?
    /// `Content-Disposition`.
    public var contentDisposition: String?
    /// `Content-Language`.
    public var contentLanguage: String?
    /// `Expires`, sent as given (S3 stores the text).
    public var expires: String?
    /// Server-side encryption; `nil` takes the bucket's default.
    public var serverSideEncryption: ServerSideEncryption?
    /// Refuse to overwrite an existing key (`If-None-Match: *`): S3 answers 412
    /// `PreconditionFailed` when the key exists.
    public var ifNoneMatch: Bool
    /// Overwrite only the version with this ETag (`If-Match`, a compare-and-swap): S3 answers 412
    /// `PreconditionFailed` when the object changed since it was read (404 when it is gone).
    public var ifMatch: String?

    /// Options; all empty by default.
    public init(storageClass: String? = nil, metadata: [String: String] = [:], tags: [String: String] = [:],
                contentType: String? = nil, ifNoneMatch: Bool = false, ifMatch: String? = nil,
                cacheControl: String? = nil, contentEncoding: String? = nil, contentDisposition: String? = nil,
                contentLanguage: String? = nil, expires: String? = nil,
                serverSideEncryption: ServerSideEncryption? = nil) {
        self.storageClass = storageClass
        self.metadata = metadata
        self.tags = tags
        self.contentType = contentType
        self.ifNoneMatch = ifNoneMatch
        self.ifMatch = ifMatch
        self.cacheControl = cacheControl
        self.contentEncoding = contentEncoding
        self.contentDisposition = contentDisposition
        self.contentLanguage = contentLanguage
        self.expires = expires
        self.serverSideEncryption = serverSideEncryption
    }

    /// Whether the write is conditional, and so must not be resent blindly after a lost answer.
    var isConditional: Bool { ifNoneMatch || ifMatch != nil }

    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        if let storageClass { headers.add(name: "x-amz-storage-class", value: storageClass) }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { headers.add(name: "x-amz-meta-\(name)", value: value) }
        if !tags.isEmpty { headers.add(name: "x-amz-tagging", value: TagSet.queryString(tags)) }
        if let contentType { headers.add(name: "content-type", value: contentType) }
        if let cacheControl { headers.add(name: "cache-control", value: cacheControl) }
        if let contentEncoding { headers.add(name: "content-encoding", value: contentEncoding) }
        if let contentDisposition { headers.add(name: "content-disposition", value: contentDisposition) }
        if let contentLanguage { headers.add(name: "content-language", value: contentLanguage) }
        if let expires { headers.add(name: "expires", value: expires) }
        if let serverSideEncryption { headers.add(contentsOf: serverSideEncryption.headers) }
        if ifNoneMatch { headers.add(name: "if-none-match", value: "*") }
        // Unquoted: Ceph RGW (16.2) compares the header byte for byte with its stored, unquoted
        // ETag and refuses the quoted form with 412.
        if let ifMatch { headers.add(name: "if-match", value: ETag.unquoted(ifMatch)) }
        return headers
    }
}

/// What S3 answered to a write.
public struct PutResult: Sendable, Hashable {
    /// ETag without quotes.
    public var eTag: String
    /// Version id in versioned buckets.
    public var versionID: String?
}

extension S3Client {
    /// `PutObject` from bytes in memory, with `Content-MD5` and a signed SHA-256 so S3 rejects
    /// a body corrupted in flight. See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>.
    @discardableResult
    public func putObject(bucket: String, key: String, body: some Collection<UInt8>,
                          options: PutOptions = PutOptions()) async throws -> PutResult {
        var request = S3Request(operation: "PutObject", method: .PUT, bucket: bucket, key: key,
                                headers: options.headers, body: .data(body))
        // A retried conditional write may see its own first attempt as "exists" (or, for
        // If-Match, as "changed"): let the caller decide instead of guessing.
        request.retryOnTransportError = !options.isConditional
        let response = try await execute(request)
        return PutResult(eTag: ETag.unquoted(response.headers.first(name: "etag") ?? ""),
                         versionID: response.headers.first(name: "x-amz-version-id"))
    }

    /// `HeadObject`. Throws ``S3Error`` with code `NotFound` for a missing key. With
    /// `checksumMode`, asks for the checksum the server stored (``ObjectHead/serverChecksum``).
    public func headObject(bucket: String, key: String, versionID: String? = nil,
                           checksumMode: Bool = false) async throws -> ObjectHead {
        var query: [(name: String, value: String)] = []
        if let versionID { query.append(("versionId", versionID)) }
        var headers = HTTPHeaders()
        if checksumMode { headers.add(name: "x-amz-checksum-mode", value: "ENABLED") }
        let response = try await execute(S3Request(operation: "HeadObject", method: .HEAD, bucket: bucket,
                                                   key: key, query: query, headers: headers))
        return ObjectHead(headers: response.headers)
    }

    /// `HeadObject`, or `nil` when the key does not exist.
    public func headObjectIfExists(bucket: String, key: String, checksumMode: Bool = false) async throws -> ObjectHead? {
        do {
            return try await headObject(bucket: bucket, key: key, checksumMode: checksumMode)
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// `GetObject` into memory, optionally a byte range (`bytes=first-last`, inclusive).
    /// Single-part objects read whole are checked against their MD5 ETag. At most `maxBytes`
    /// are read: a larger object throws ``ObjectTooLargeError`` (from its `Content-Length`, before
    /// the body is read), so an object someone else wrote cannot fill the memory of a reader
    /// that expects a small document. Larger objects go to a file (``downloadFile(bucket:key:to:)``).
    public func getObject(bucket: String, key: String, range: ClosedRange<Int64>? = nil,
                          versionID: String? = nil,
                          maxBytes: Int = S3Client.defaultInMemoryLimit) async throws -> (head: ObjectHead, body: [UInt8]) {
        var headers = HTTPHeaders()
        if let range { headers.add(name: "range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        var query: [(name: String, value: String)] = []
        if let versionID { query.append(("versionId", versionID)) }
        let request = S3Request(operation: "GetObject", method: .GET, bucket: bucket, key: key, query: query,
                                headers: headers)
        return try await execute(request) { response in
            let head = ObjectHead(headers: response.headers)
            func tooLarge(_ size: Int64?) -> ObjectTooLargeError {
                ObjectTooLargeError(operation: request.operation, bucket: bucket, key: key, size: size,
                                    limit: maxBytes, head: head)
            }
            if response.headers.first(name: "content-length") != nil, head.contentLength > Int64(maxBytes) {
                throw tooLarge(head.contentLength)
            }
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: maxBytes)
            } catch is NIOTooManyBytesError {
                throw tooLarge(nil)
            }
            let bytes = Array(buffer.readableBytesView)
            if range == nil {
                try IntegrityCheck.verify(bytes: bytes, head: head, request: request)
            }
            return (head, bytes)
        }
    }

    /// `DeleteObject` (a version when `versionID` is given). Deleting a missing key succeeds.
    public func deleteObject(bucket: String, key: String, versionID: String? = nil,
                             bypassGovernanceRetention: Bool = false) async throws {
        var query: [(name: String, value: String)] = []
        if let versionID { query.append(("versionId", versionID)) }
        var headers = HTTPHeaders()
        if bypassGovernanceRetention { headers.add(name: "x-amz-bypass-governance-retention", value: "true") }
        _ = try await execute(S3Request(operation: "DeleteObject", method: .DELETE, bucket: bucket, key: key,
                                        query: query, headers: headers))
    }

    /// `DeleteObjects` for up to 1,000 objects; per-key refusals come back in the result (not
    /// thrown), so the caller can report each. Throws for more than 1,000 objects.
    ///
    /// XML 1.0 cannot carry most control characters, and a server refuses the whole batch for
    /// one key that holds one (RGW answers 400 with no body; AWS documents the limit): such keys
    /// are deleted one at a time with `DeleteObject`, which names the key in the path, and their
    /// outcomes join the batch's.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html>.
    public func deleteObjects(bucket: String, objects: [ObjectIdentifier],
                              bypassGovernanceRetention: Bool = false) async throws -> DeleteObjectsResult {
        guard objects.count <= 1000 else {
            throw S3ConfigurationError.invalidKey("\(objects.count) objects", "DeleteObjects takes at most 1000 keys per request")
        }
        let alone = objects.filter { !XMLWriter.canCarry($0.key) }
        let batch = alone.isEmpty ? objects : objects.filter { XMLWriter.canCarry($0.key) }
        var result = try await deleteBatch(bucket: bucket, objects: batch, bypassGovernanceRetention: bypassGovernanceRetention)
        for object in alone {
            var headers = HTTPHeaders()
            if bypassGovernanceRetention { headers.add(name: "x-amz-bypass-governance-retention", value: "true") }
            do {
                let response = try await execute(S3Request(
                    operation: "DeleteObject", method: .DELETE, bucket: bucket, key: object.key,
                    query: object.versionID.map { [("versionId", $0)] } ?? [], headers: headers))
                result.deleted.append(.init(key: object.key, versionID: object.versionID,
                                            deleteMarker: object.versionID == nil
                                                && response.headers.first(name: "x-amz-delete-marker") == "true"))
            } catch let error as S3Error {
                // As DeleteObjects reports a key it refuses: in the result, not thrown.
                result.failures.append(.init(key: object.key, versionID: object.versionID, code: error.code, message: error.message))
            }
        }
        return result
    }

    /// One `DeleteObjects` request for keys XML can carry.
    private func deleteBatch(bucket: String, objects: [ObjectIdentifier],
                             bypassGovernanceRetention: Bool) async throws -> DeleteObjectsResult {
        if objects.isEmpty { return DeleteObjectsResult(deleted: [], failures: []) }
        var writer = XMLWriter()
        writer.element("Delete", namespace: true) { xml in
            xml.element("Quiet", text: "false")
            for object in objects {
                xml.element("Object") { xml in
                    xml.element("Key", text: object.key)
                    if let version = object.versionID { xml.element("VersionId", text: version) }
                }
            }
        }
        var headers = HTTPHeaders()
        if bypassGovernanceRetention { headers.add(name: "x-amz-bypass-governance-retention", value: "true") }
        let request = S3Request(operation: "DeleteObjects", method: .POST, bucket: bucket, query: [("delete", "")],
                                headers: headers, body: .text(writer.output))
        let xml = try await execute(request).xml(request)
        let deleted = xml.children("Deleted").map { node in
            DeleteObjectsResult.Deleted(key: node.string("Key") ?? "", versionID: node.string("VersionId"),
                                        deleteMarker: node.string("DeleteMarker") == "true")
        }
        let failures = xml.children("Error").map { node in
            DeleteObjectsResult.Failure(key: node.string("Key") ?? "", versionID: node.string("VersionId"),
                                        code: S3ErrorCode(node.string("Code") ?? ""), message: node.string("Message") ?? "")
        }
        return DeleteObjectsResult(deleted: deleted, failures: failures)
    }

    /// `CopyObject` of an object onto itself with a new storage class, keeping its metadata and
    /// tags (S3's `COPY` directives) but not its encryption: S3 encrypts the copy with the
    /// bucket's default. ``transition(bucket:key:to:head:)`` keeps the encryption too, and
    /// copies objects above 5 GiB. See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html>.
    @discardableResult
    public func changeStorageClass(bucket: String, key: String, to storageClass: String,
                                   versionID: String? = nil) async throws -> PutResult {
        try await copyObject(sourceBucket: bucket, sourceKey: key, sourceVersionID: versionID,
                             bucket: bucket, key: key, storageClass: storageClass)
    }

    /// `CopyObject` from one key to another (or onto itself), keeping metadata and tags (and
    /// with them the content headers and S3's checksum). The copy is encrypted as
    /// `serverSideEncryption` says, or with the bucket's default when it is `nil`, whatever
    /// the source's encryption. With `replacing`, the metadata directive is `REPLACE` and the
    /// copy gets exactly the user metadata, content headers and encryption those options hold
    /// (tags are still copied). See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html>.
    @discardableResult
    public func copyObject(sourceBucket: String, sourceKey: String, sourceVersionID: String? = nil,
                           bucket: String, key: String, storageClass: String? = nil,
                           ifMatchETag: String? = nil,
                           serverSideEncryption: ServerSideEncryption? = nil,
                           replacing: PutOptions? = nil) async throws -> PutResult {
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-copy-source", value: Self.copySource(bucket: sourceBucket, key: sourceKey,
                                                                     versionID: sourceVersionID))
        if var replacing {
            // Only what describes the object: the storage class and the tags are set here.
            replacing.storageClass = nil
            replacing.tags = [:]
            replacing.ifNoneMatch = false
            replacing.ifMatch = nil
            if let serverSideEncryption { replacing.serverSideEncryption = serverSideEncryption }
            headers.add(name: "x-amz-metadata-directive", value: "REPLACE")
            headers.add(contentsOf: replacing.headers)
        } else {
            headers.add(name: "x-amz-metadata-directive", value: "COPY")
            if let serverSideEncryption { headers.add(contentsOf: serverSideEncryption.headers) }
        }
        headers.add(name: "x-amz-tagging-directive", value: "COPY")
        if let storageClass { headers.add(name: "x-amz-storage-class", value: storageClass) }
        if let ifMatchETag { headers.add(name: "x-amz-copy-source-if-match", value: "\"\(ifMatchETag)\"") }
        let request = S3Request(operation: "CopyObject", method: .PUT, bucket: bucket, key: key, headers: headers)
        let response = try await execute(request)
        // S3 may answer 200 with an <Error> body when a copy fails midway.
        let xml = try response.xml(request)
        if xml.name == "Error" {
            throw S3ErrorParser.error(request: request, status: 500, headers: response.headers, body: response.bodyData)
        }
        return PutResult(eTag: ETag.unquoted(xml.string("ETag") ?? ""),
                         versionID: response.headers.first(name: "x-amz-version-id"))
    }

    /// The `x-amz-copy-source` value: `/bucket/key` URL-encoded, with `?versionId=`.
    static func copySource(bucket: String, key: String, versionID: String?) -> String {
        var value = "/" + URIEncoding.encodePath("\(bucket)/\(key)")
        if let versionID { value += "?versionId=" + URIEncoding.encode(versionID) }
        return value
    }
}
