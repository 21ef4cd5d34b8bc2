import Foundation

extension ListObjectsPage {
    /// One `ListObjectsV2` answer. Keys and common prefixes are percent-decoded when the answer
    /// says `EncodingType` url; the continuation token is opaque and never encoded.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>.
    package init(xml: XMLNode) throws(MalformedListing) {
        let encoding = ListingKeyEncoding(answer: xml)
        var objects: [ObjectSummary] = []
        objects.reserveCapacity(xml.children.count)
        for node in xml.children where node.name == "Contents" {
            guard var object = ObjectSummary(xml: node) else { throw MalformedListing("a <Contents> entry lacks Key or LastModified") }
            object.key = try encoding.decode(object.key, field: "Key")
            objects.append(object)
        }
        var prefixes: [String] = []
        for node in xml.children("CommonPrefixes") {
            guard let prefix = node.string("Prefix") else { continue }
            prefixes.append(try encoding.decode(prefix, field: "CommonPrefixes Prefix"))
        }
        let truncated = xml.string("IsTruncated") == "true"
        let token = xml.string("NextContinuationToken")
        if truncated, token == nil || token == "" {
            throw MalformedListing("a truncated listing without NextContinuationToken")
        }
        self.init(objects: objects, commonPrefixes: prefixes, nextContinuationToken: truncated ? token : nil)
    }
}

extension ListVersionsPage {
    /// One `ListObjectVersions` answer. Keys and `NextKeyMarker` are percent-decoded when the
    /// answer says `EncodingType` url (see ``ListingKeyEncoding/marker(_:field:lastKey:)`` for
    /// RGW's unencoded marker). A truncated page must name where the next one starts: without a
    /// marker the listing would end early and silently, and a planner would miss versions.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>.
    package init(xml: XMLNode) throws(MalformedListing) {
        let encoding = ListingKeyEncoding(answer: xml)
        var versions: [ObjectVersion] = []
        for node in xml.children where node.name == "Version" || node.name == "DeleteMarker" {
            guard var version = ObjectVersion(xml: node, isDeleteMarker: node.name == "DeleteMarker") else {
                throw MalformedListing("a version entry lacks Key or LastModified")
            }
            version.key = try encoding.decode(version.key, field: "Key")
            versions.append(version)
        }
        guard xml.string("IsTruncated") == "true" else {
            self.init(versions: versions, nextKeyMarker: nil, nextVersionIDMarker: nil)
            return
        }
        guard let next = xml.string("NextKeyMarker"), !next.isEmpty else {
            throw MalformedListing("a truncated listing without NextKeyMarker")
        }
        self.init(versions: versions,
                  nextKeyMarker: try encoding.marker(next, field: "NextKeyMarker", lastKey: versions.last?.key),
                  nextVersionIDMarker: xml.string("NextVersionIdMarker"))
    }
}

/// One page of `ListMultipartUploads`.
package struct MultipartUploadsPage: Sendable {
    /// The incomplete uploads, by key.
    package var uploads: [MultipartUpload]
    /// Where the next page starts (`key-marker`), when truncated.
    package var nextKeyMarker: String?
    /// `upload-id-marker` for the next page, when truncated.
    package var nextUploadIDMarker: String?

    /// One `ListMultipartUploads` answer. An entry without key, id or start time is skipped;
    /// keys and `NextKeyMarker` are percent-decoded when the answer says `EncodingType` url, and
    /// a truncated page must name where the next one starts.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>.
    package init(xml: XMLNode) throws(MalformedListing) {
        let encoding = ListingKeyEncoding(answer: xml)
        var uploads: [MultipartUpload] = []
        for node in xml.children("Upload") {
            guard let key = node.string("Key"), let id = node.string("UploadId"),
                  let initiated = node.string("Initiated").flatMap(HTTPDate.parseISO8601) else { continue }
            uploads.append(MultipartUpload(key: try encoding.decode(key, field: "Key"), uploadID: id, initiated: initiated,
                                           storageClass: node.string("StorageClass") ?? "STANDARD"))
        }
        self.uploads = uploads
        guard xml.string("IsTruncated") == "true" else {
            nextKeyMarker = nil
            nextUploadIDMarker = nil
            return
        }
        guard let next = xml.string("NextKeyMarker"), !next.isEmpty else {
            throw MalformedListing("a truncated listing without NextKeyMarker")
        }
        nextKeyMarker = try encoding.marker(next, field: "NextKeyMarker", lastKey: uploads.last?.key)
        nextUploadIDMarker = xml.string("NextUploadIdMarker")
    }
}
