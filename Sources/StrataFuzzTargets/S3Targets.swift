import Foundation
import NIOHTTP1
import S3

extension FuzzTargets {
    /// `s3-response`: the XML bodies of successful S3 answers.
    ///
    /// Input: one XML document, parsed with ``XMLNode/parse(_:)`` and then decoded as every
    /// answer the client reads: `ListObjectsV2`, `ListObjectVersions`, `ListMultipartUploads`,
    /// `ListParts`, `DeleteObjects`, `GetBucketLifecycleConfiguration`, `GetObjectTagging`,
    /// `GetObjectRetention`, `GetObjectLegalHold`, `GetBucketVersioning`,
    /// `CreateMultipartUpload`, `CompleteMultipartUpload`, `CopyObject` and `UploadPartCopy`.
    @Sendable public static func s3Response(_ data: [UInt8]) {
        guard let xml = try? XMLNode.parse(Data(data)) else { return }
        S3Decoding.decodeAll(xml)
    }

    /// `s3-error`: the body of a non-2xx answer (`<Error><Code/><Message/>...</Error>`).
    ///
    /// Input: the body, turned into an ``S3Error`` as the client does for a 404 and a 503 (with
    /// the request id and region headers a real answer carries); the error's description and
    /// retry decision are computed too. No `Date` header: `HTTPDate.parse` of a valid date costs
    /// tens of milliseconds under the sanitizers, and `restore-header` fuzzes it already.
    @Sendable public static func s3Error(_ data: [UInt8]) {
        let request = S3Request(operation: "GetObject", method: .GET, bucket: "bucket", key: "key")
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-request-id", value: "R1")
        headers.add(name: "x-amz-bucket-region", value: "eu-west-1")
        for status in [404, 503] {
            let error = S3ErrorParser.error(request: request, status: status, headers: headers, body: Data(data))
            _ = error.description
            _ = error.isRetryable
        }
    }

    /// `download-ranges`: how `cp`, `retrieve` and `verify` cut an object into ranged GETs, from
    /// the HEAD answer someone else may have shaped.
    ///
    /// Input: up to four lines: the `Content-Length`, the `x-amz-meta-strata-part-size` and the
    /// `x-amz-meta-strata-crc32c-parts` headers, and the configured range size (decimal; a
    /// missing line is no header, or 16 MiB). The headers are read with ``ObjectHead`` and the
    /// ranges chosen with ``DownloadRanges/choose(key:size:metadata:configuredRangeSize:)``, as
    /// `downloadFile` does. Checked: a refusal names the key; accepted ranges start at byte 0,
    /// follow each other without gap or overlap, are at most the range size, end at the last byte,
    /// and are not more than S3's 10,000 parts when a recorded checksum was followed.
    @Sendable public static func downloadRanges(_ data: [UInt8]) {
        let lines = lines(data, limit: 4)
        var headers = HTTPHeaders()
        if let size = lines.first { headers.add(name: "content-length", value: size) }
        headers.add(name: "x-amz-meta-strata-sha256-parts", value: String(repeating: "a", count: 64))
        if lines.count > 1 { headers.add(name: "x-amz-meta-strata-part-size", value: lines[1]) }
        if lines.count > 2 { headers.add(name: "x-amz-meta-strata-crc32c-parts", value: lines[2]) }
        let configured = lines.count > 3 ? Int64(lines[3]) ?? 16 << 20 : 16 << 20
        let head = ObjectHead(headers: headers)
        let choice: DownloadRanges.Choice
        do {
            choice = try DownloadRanges.choose(key: "k", size: head.contentLength, metadata: head.metadata,
                                               configuredRangeSize: configured)
        } catch {
            guard case .implausibleObject(let key, _) = error, key == "k" else {
                preconditionFailure("unexpected refusal \(error)")
            }
            return
        }
        let ranges = choice.ranges
        precondition(ranges.count >= 1)
        if let checksum = choice.checksum {
            precondition(ranges.rangeSize == checksum.partSize && Int64(ranges.count) <= ContentChecksum.maximumParts)
        }
        guard let first = ranges.range(at: 0) else {
            precondition(ranges.objectSize == 0 && ranges.count == 1)
            return
        }
        precondition(first.lowerBound == 0)
        // Every range of a small count, else the first 64, the last 64 and their neighbours.
        let indices = ranges.count <= 256 ? Array(0..<ranges.count)
            : Array(0..<64) + Array((ranges.count - 64)..<ranges.count)
        var previous: ClosedRange<Int64>?
        for index in indices {
            guard let range = ranges.range(at: index) else { preconditionFailure("no range \(index) of a non-empty object") }
            let length = range.upperBound - range.lowerBound + 1
            precondition(length >= 1 && length <= ranges.rangeSize)
            let (start, overflow) = Int64(index).multipliedReportingOverflow(by: ranges.rangeSize)
            precondition(!overflow && range.lowerBound == start)
            if let previous, range.lowerBound != previous.upperBound + 1 {
                precondition(index == ranges.count - 64, "gap or overlap before range \(index)")
            }
            previous = range
        }
        precondition(previous?.upperBound == ranges.objectSize - 1)
    }

    /// `restore-header`: the `x-amz-restore` header of `HeadObject`.
    ///
    /// Input: the header value, read with ``RestoreStatus/init(header:)``, and then as the value of
    /// every header ``ObjectHead`` reads (restore, dates, sizes, lock and legal hold).
    @Sendable public static func restoreHeader(_ data: [UInt8]) {
        let value = String(decoding: data, as: UTF8.self)
        if let status = RestoreStatus(header: value) {
            _ = status.description
            _ = status.isAvailable(at: now)
        }
        var headers = HTTPHeaders()
        for name in ["x-amz-restore", "last-modified", "content-length", "etag", "x-amz-storage-class",
                     "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold", "x-amz-mp-parts-count",
                     "x-amz-meta-strata-sha256-parts"] {
            headers.add(name: name, value: value)
        }
        let head = ObjectHead(headers: headers)
        _ = head.needsRestore(at: now)
        _ = head.restore?.description
    }
}

/// How the client turns each answer's XML into values.
///
/// The listings are decoded by their pages' initialisers, called here as the client calls them.
/// The decoding of the other operations is written inline in `Sources/S3/Operations/*.swift`
/// (inside the `async` methods that send the request); this mirrors it statement for statement,
/// calling the same element and model initialisers (`TagSet.parse`, `LifecycleConfiguration(xml:)`,
/// `HTTPDate.parseISO8601`). Keep it in step with those files.
enum S3Decoding {
    static func decodeAll(_ xml: XMLNode) {
        // The listings' own decoders, which the client calls (Sources/S3/Model/ListingPage+XML.swift).
        _ = try? ListObjectsPage(xml: xml)
        _ = try? ListVersionsPage(xml: xml)
        _ = try? MultipartUploadsPage(xml: xml)
        _ = listParts(xml)
        _ = deleteObjects(xml)
        _ = LifecycleConfiguration(xml: xml).xml
        _ = TagSet.parse(xml)
        _ = objectRetention(xml)
        _ = xml.string("Status")?.uppercased() == "ON"  // GetObjectLegalHold
        _ = xml.string("Status")  // GetBucketVersioning
        _ = xml.string("UploadId").map { !$0.isEmpty }  // CreateMultipartUpload
        // CompleteMultipartUpload, CopyObject, UploadPartCopy: an <Error> body or an ETag.
        if xml.name == "Error" {
            _ = (xml.string("Code") ?? "InternalError", xml.string("Message") ?? "")
        } else {
            _ = ETag.unquoted(xml.string("ETag") ?? "")
        }
    }

    /// One page of `S3Client.listParts` (S3Client+Multipart.swift).
    static func listParts(_ xml: XMLNode) -> (parts: [UploadedPart], marker: String?) {
        var parts: [UploadedPart] = []
        for node in xml.children("Part") {
            guard let number = node.string("PartNumber").flatMap({ Int($0) }) else { continue }
            parts.append(UploadedPart(partNumber: number, eTag: ETag.unquoted(node.string("ETag") ?? ""),
                                      size: Int64(node.string("Size") ?? "") ?? 0))
        }
        return (parts, xml.string("IsTruncated") == "true" ? xml.string("NextPartNumberMarker") : nil)
    }

    /// `S3Client.deleteObjects` (S3Client+Objects.swift).
    static func deleteObjects(_ xml: XMLNode) -> [String] {
        let deleted = xml.children("Deleted").map { node in
            (node.string("Key") ?? "", node.string("VersionId"), node.string("DeleteMarker") == "true")
        }
        let failures = xml.children("Error").map { node in
            (node.string("Key") ?? "", node.string("VersionId"), node.string("Code") ?? "", node.string("Message") ?? "")
        }
        return deleted.map(\.0) + failures.map(\.0)
    }

    /// `S3Client.getObjectRetention` (S3Client+ObjectAttributes.swift).
    static func objectRetention(_ xml: XMLNode) -> ObjectRetention? {
        guard let mode = xml.string("Mode"),
              let until = xml.string("RetainUntilDate").flatMap(HTTPDate.parseISO8601) else { return nil }
        return ObjectRetention(mode: mode, retainUntil: until)
    }
}
