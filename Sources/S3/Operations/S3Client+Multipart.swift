import Crypto
import Foundation
import NIOCore
import NIOHTTP1

extension S3Client {
    /// `CreateMultipartUpload`; returns the upload id. With `checksumCRC32C`, the upload is
    /// created with `x-amz-checksum-algorithm: CRC32C`: every part must then carry its CRC-32C,
    /// and S3 stores the composite with the object.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html>.
    public func createMultipartUpload(bucket: String, key: String, options: PutOptions = PutOptions(),
                                      checksumCRC32C: Bool = false) async throws -> String {
        var headers = options.headers
        headers.remove(name: "if-none-match")  // only CompleteMultipartUpload takes a condition
        if checksumCRC32C { headers.add(name: "x-amz-checksum-algorithm", value: "CRC32C") }
        var request = S3Request(operation: "CreateMultipartUpload", method: .POST, bucket: bucket, key: key,
                                query: [("uploads", "")], headers: headers)
        // Not resent blindly: a create whose answer was lost leaves an upload only it knows.
        request.retryOnTransportError = false
        var lostAnswers = 0
        var firstSent: Date?
        let response: S3Response
        while true {
            let sent = now().addingTimeInterval(clockCorrection.seconds - 300)
            if firstSent == nil { firstSent = sent }
            do {
                response = try await execute(request)
                break
            } catch let error as S3TransportError where lostAnswers + 1 < configuration.retry.maxAttempts {
                lostAnswers += 1
                // Abort what the lost attempt may have created (uploads of this key started
                // since), then create again.
                try await abortUploads(bucket: bucket, key: key, startedSince: sent)
                logger.debug("CreateMultipartUpload answer lost; cleaned up and retrying", metadata: ["key": "\(key)", "error": "\(error)"])
                var random = SystemRandomNumberGenerator()
                try await Task.sleep(for: configuration.retry.delay(beforeRetry: lostAnswers, random: &random))
            }
        }
        let xml = try response.xml(request)
        guard let uploadID = xml.string("UploadId"), !uploadID.isEmpty else {
            throw S3TransportError(kind: .malformedResponse, operation: request.operation, bucket: bucket, key: key,
                                   detail: "no UploadId in the answer")
        }
        if lostAnswers > 0, let firstSent { lostCreates.record(uploadID: uploadID, since: firstSent) }
        return uploadID
    }

    /// `UploadPart` from bytes in memory (signed SHA-256 and `Content-MD5`).
    public func uploadPart(bucket: String, key: String, uploadID: String, partNumber: Int,
                           body: some Collection<UInt8>) async throws -> UploadedPart {
        try await uploadPart(bucket: bucket, key: key, uploadID: uploadID, partNumber: partNumber, body: .data(body))
    }

    /// `UploadPart`; with `checksumCRC32C`, the part's CRC-32C goes with it as
    /// `x-amz-checksum-crc32c`, which servers that check checksums compare with the bytes that
    /// arrived (SeaweedFS does not compare them with the signed SHA-256).
    func uploadPart(bucket: String, key: String, uploadID: String, partNumber: Int,
                    body: S3RequestBody, checksumCRC32C: UInt32? = nil) async throws -> UploadedPart {
        var headers = HTTPHeaders()
        if let checksumCRC32C {
            headers.add(name: "x-amz-checksum-crc32c", value: ServerChecksum(value: checksumCRC32C).headerValue)
        }
        let request = S3Request(operation: "UploadPart", method: .PUT, bucket: bucket, key: key,
                                query: [("partNumber", String(partNumber)), ("uploadId", uploadID)], headers: headers,
                                body: body)
        let response = try await execute(request)
        return UploadedPart(partNumber: partNumber, eTag: ETag.unquoted(response.headers.first(name: "etag") ?? ""),
                            size: body.length, checksumCRC32C: checksumCRC32C)
    }

    /// `UploadPartCopy`: a byte range of an existing object as one part.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html>.
    public func uploadPartCopy(bucket: String, key: String, uploadID: String, partNumber: Int,
                               sourceBucket: String, sourceKey: String, sourceVersionID: String? = nil,
                               range: ClosedRange<Int64>, ifMatchETag: String? = nil) async throws -> UploadedPart {
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-copy-source", value: Self.copySource(bucket: sourceBucket, key: sourceKey,
                                                                     versionID: sourceVersionID))
        headers.add(name: "x-amz-copy-source-range", value: "bytes=\(range.lowerBound)-\(range.upperBound)")
        if let ifMatchETag { headers.add(name: "x-amz-copy-source-if-match", value: "\"\(ifMatchETag)\"") }
        let request = S3Request(operation: "UploadPartCopy", method: .PUT, bucket: bucket, key: key,
                                query: [("partNumber", String(partNumber)), ("uploadId", uploadID)], headers: headers)
        let xml = try await execute(request).xml(request)
        if xml.name == "Error" {
            throw S3Error(code: xml.string("Code").map(S3ErrorCode.init) ?? .internalError, message: xml.string("Message") ?? "",
                          status: 500, operation: request.operation, bucket: bucket, key: key)
        }
        return UploadedPart(partNumber: partNumber, eTag: ETag.unquoted(xml.string("ETag") ?? ""),
                            size: range.upperBound - range.lowerBound + 1)
    }

    /// `CompleteMultipartUpload` with the parts in order. S3 can answer 200 with an `<Error>`
    /// body; that is thrown as an ``S3Error``. RGW leaves `<ETag>` empty: the result's ETag may be empty.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>.
    @discardableResult
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String, parts: [UploadedPart],
                                        ifNoneMatch: Bool = false) async throws -> PutResult {
        let result = try await completeOnce(bucket: bucket, key: key, uploadID: uploadID, parts: parts, ifNoneMatch: ifNoneMatch)
        await abortStrayUploads(bucket: bucket, key: key, keeping: uploadID)
        return result
    }

    private func completeOnce(bucket: String, key: String, uploadID: String, parts: [UploadedPart],
                              ifNoneMatch: Bool) async throws -> PutResult {
        var writer = XMLWriter()
        writer.element("CompleteMultipartUpload", namespace: true) { xml in
            for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
                xml.element("Part") { xml in
                    xml.element("PartNumber", text: String(part.partNumber))
                    xml.element("ETag", text: "\"\(part.eTag)\"")
                    if let crc = part.checksumCRC32C {
                        xml.element("ChecksumCRC32C", text: ServerChecksum(value: crc).headerValue)
                    }
                }
            }
        }
        var headers = HTTPHeaders()
        if ifNoneMatch { headers.add(name: "if-none-match", value: "*") }
        var request = S3Request(operation: "CompleteMultipartUpload", method: .POST, bucket: bucket, key: key,
                                query: [("uploadId", uploadID)], headers: headers, body: .text(writer.output))
        request.retryOnTransportError = !ifNoneMatch
        let response: S3Response
        do {
            response = try await execute(request)
        } catch let error as S3Error where error.code == .noSuchUpload {
            // A retry after a lost answer: the first attempt completed the upload.
            if let done = try await completedAlready(bucket: bucket, key: key, parts: parts) { return done }
            throw error
        } catch let error as S3TransportError where ifNoneMatch {
            if let done = try await completedAlready(bucket: bucket, key: key, parts: parts) { return done }
            throw error
        }
        let xml = try response.xml(request)
        if xml.name == "Error" {
            throw S3ErrorParser.error(request: request, status: 500, headers: response.headers, body: response.bodyData)
        }
        return PutResult(eTag: ETag.unquoted(xml.string("ETag") ?? ""),
                         versionID: response.headers.first(name: "x-amz-version-id"))
    }

    /// The object at `key` if it is the one completing `parts` makes: its ETag is S3's
    /// multipart ETag of those parts (MD5 of the parts' binary MD5s, `-count`).
    func completedAlready(bucket: String, key: String, parts: [UploadedPart]) async throws -> PutResult? {
        guard let expected = Self.multipartETag(parts), let head = try await headObjectIfExists(bucket: bucket, key: key),
              ETag.unquoted(head.eTag) == expected else { return nil }
        logger.notice("multipart upload found completed after a lost answer", metadata: ["key": "\(key)"])
        return PutResult(eTag: expected, versionID: head.versionID)
    }

    /// S3's ETag of a multipart object made of `parts` (nil if a part ETag is not an MD5).
    static func multipartETag(_ parts: [UploadedPart]) -> String? {
        var digests: [UInt8] = []
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            let hex = Array(ETag.unquoted(part.eTag).utf8)
            guard hex.count == 32 else { return nil }
            for i in stride(from: 0, to: 32, by: 2) {
                guard let byte = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
                digests.append(byte)
            }
        }
        let md5 = Insecure.MD5.hash(data: digests).map { String(format: "%02x", $0) }.joined()
        return "\(md5)-\(parts.count)"
    }

    /// `AbortMultipartUpload`. Aborting an upload that no longer exists succeeds (idempotent).
    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        do {
            _ = try await execute(S3Request(operation: "AbortMultipartUpload", method: .DELETE, bucket: bucket,
                                            key: key, query: [("uploadId", uploadID)]))
        } catch let error as S3Error where error.code == .noSuchUpload {
            // Already gone: aborting is idempotent.
        }
        await abortStrayUploads(bucket: bucket, key: key, keeping: uploadID)
    }

    /// `ListParts` (all pages).
    public func listParts(bucket: String, key: String, uploadID: String) async throws -> [UploadedPart] {
        var parts: [UploadedPart] = []
        var marker: String?
        repeat {
            var query: [(name: String, value: String)] = [("uploadId", uploadID)]
            if let marker { query.append(("part-number-marker", marker)) }
            let request = S3Request(operation: "ListParts", method: .GET, bucket: bucket, key: key, query: query)
            let xml = try await execute(request).xml(request)
            for node in xml.children("Part") {
                guard let number = node.string("PartNumber").flatMap({ Int($0) }) else { continue }
                parts.append(UploadedPart(partNumber: number, eTag: ETag.unquoted(node.string("ETag") ?? ""),
                                          size: Int64(node.string("Size") ?? "") ?? 0))
            }
            marker = xml.string("IsTruncated") == "true" ? xml.string("NextPartNumberMarker") : nil
        } while marker != nil
        return parts
    }

    /// `ListMultipartUploads` under `prefix` (all pages).
    ///
    /// Unlike the object listings this one does not ask for `encoding-type=url`: Ceph RGW 16
    /// then encodes the keys but does not answer `EncodingType`, so an encoded key could not be
    /// told from a key that holds `%`, and an upload would be aborted under a key it does not
    /// have. Keys come as they are; a control character, which XML 1.0 cannot carry, arrives as
    /// a character reference that ``XMLNode`` reads. An answer that does say `EncodingType` url
    /// is decoded.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>.
    public func listMultipartUploads(bucket: String, prefix: String? = nil) async throws -> [MultipartUpload] {
        var uploads: [MultipartUpload] = []
        var keyMarker: String?
        var uploadMarker: String?
        repeat {
            var query: [(name: String, value: String)] = [("uploads", "")]
            if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadMarker { query.append(("upload-id-marker", uploadMarker)) }
            let request = S3Request(operation: "ListMultipartUploads", method: .GET, bucket: bucket, query: query)
            let xml = try await execute(request).xml(request)
            let page: MultipartUploadsPage
            do {
                page = try MultipartUploadsPage(xml: xml)
            } catch {
                throw S3TransportError(kind: .malformedResponse, operation: request.operation, bucket: bucket, detail: error.detail)
            }
            uploads += page.uploads
            // A marker that does not move on would list the same page forever.
            if let next = page.nextKeyMarker, next == keyMarker, page.nextUploadIDMarker == uploadMarker {
                throw S3TransportError(kind: .malformedResponse, operation: request.operation, bucket: bucket,
                                       detail: "the next page's marker is the one just listed (\(next))")
            }
            keyMarker = page.nextKeyMarker
            uploadMarker = page.nextUploadIDMarker
        } while keyMarker != nil
        return uploads
    }
}
