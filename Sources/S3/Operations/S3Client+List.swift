import Foundation

extension S3Client {
    /// `ListObjectsV2`, one page. Keys come URL-encoded (`encoding-type=url`), since XML 1.0
    /// cannot carry every character a key may hold, and are decoded here: a page's keys,
    /// prefixes and `startAfter` are the keys themselves.
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>.
    public func listObjectsPage(bucket: String, prefix: String? = nil, delimiter: String? = nil,
                                startAfter: String? = nil, continuationToken: String? = nil,
                                maxKeys: Int? = nil) async throws -> ListObjectsPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("encoding-type", "url")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let startAfter { query.append(("start-after", startAfter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let request = S3Request(operation: "ListObjectsV2", method: .GET, bucket: bucket, query: query)
        let xml = try await execute(request).xml(request)
        do {
            return try ListObjectsPage(xml: xml)
        } catch {
            throw S3TransportError(kind: .malformedResponse, operation: request.operation, bucket: bucket, detail: error.detail)
        }
    }

    /// Every page of `ListObjectsV2` under `prefix`, fetched as the sequence is iterated.
    ///
    /// A page normally continues from the server's continuation token. A token holding U+FFFD
    /// was mangled: SeaweedFS returns the last key as the token with XML-illegal characters
    /// replaced, and continuing from it skips every key between the two spellings (issue 18).
    /// Such a page continues with `start-after` set to its last key instead, which every server
    /// takes as is.
    public func listObjects(bucket: String, prefix: String? = nil, delimiter: String? = nil,
                            startAfter: String? = nil, pageSize: Int? = nil) -> S3Pages<ListObjectsPage> {
        S3Pages { (resume: ListingResume?) in
            var after = startAfter
            var token: String?
            switch resume {
            case nil: break
            case .continuationToken(let value): after = nil; token = value
            case .startAfter(let key): after = key
            }
            let page = try await self.listObjectsPage(bucket: bucket, prefix: prefix, delimiter: delimiter,
                                                      startAfter: after, continuationToken: token, maxKeys: pageSize)
            return (page, try ListingResume.next(after: page, resumed: resume, bucket: bucket))
        }
    }

    /// `ListObjectVersions`, one page, with keys URL-encoded on the wire and decoded here (see
    /// ``listObjectsPage(bucket:prefix:delimiter:startAfter:continuationToken:maxKeys:)``).
    /// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>.
    public func listObjectVersionsPage(bucket: String, prefix: String? = nil, keyMarker: String? = nil,
                                       versionIDMarker: String? = nil, maxKeys: Int? = nil) async throws -> ListVersionsPage {
        var query: [(name: String, value: String)] = [("versions", ""), ("encoding-type", "url")]
        if let prefix, !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let keyMarker { query.append(("key-marker", keyMarker)) }
        if let versionIDMarker { query.append(("version-id-marker", versionIDMarker)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let request = S3Request(operation: "ListObjectVersions", method: .GET, bucket: bucket, query: query)
        let xml = try await execute(request).xml(request)
        do {
            return try ListVersionsPage(xml: xml)
        } catch {
            throw S3TransportError(kind: .malformedResponse, operation: request.operation, bucket: bucket, detail: error.detail)
        }
    }

    /// Every page of `ListObjectVersions` under `prefix`.
    public func listObjectVersions(bucket: String, prefix: String? = nil, pageSize: Int? = nil) -> S3Pages<ListVersionsPage> {
        S3Pages { (marker: VersionMarker?) in
            let page = try await self.listObjectVersionsPage(bucket: bucket, prefix: prefix, keyMarker: marker?.key,
                                                             versionIDMarker: marker?.versionID, maxKeys: pageSize)
            let next = page.nextKeyMarker.map { VersionMarker(key: $0, versionID: page.nextVersionIDMarker) }
            // A marker that does not move on would list the same page forever.
            if let next, next == marker {
                throw S3TransportError(kind: .malformedResponse, operation: "ListObjectVersions", bucket: bucket,
                                       detail: "the next page's marker is the one just listed (\(next.key))")
            }
            return (page, next)
        }
    }
}

/// Where the next `ListObjectsV2` page starts.
enum ListingResume: Sendable, Equatable {
    /// The server's `NextContinuationToken`.
    case continuationToken(String)
    /// After this key: when the server's token was mangled.
    case startAfter(String)

    /// Where the page after `page` starts, or `nil` after the last page.
    ///
    /// - Throws: a malformed-response error when the server would list the same page forever,
    ///   or mangled its token on a page whose last entry is a common prefix (starting after
    ///   a prefix would list its keys again).
    static func next(after page: ListObjectsPage, resumed: ListingResume?, bucket: String) throws -> ListingResume? {
        guard let token = page.nextContinuationToken else { return nil }
        let next: ListingResume
        if token.unicodeScalars.contains("\u{FFFD}") {
            guard page.commonPrefixes.isEmpty, let last = page.objects.last?.key else {
                throw S3TransportError(kind: .malformedResponse, operation: "ListObjectsV2", bucket: bucket,
                                       detail: "the server replaced characters in its continuation token (U+FFFD) on a page that ends with a common prefix; continuing would skip keys")
            }
            next = .startAfter(last)
        } else {
            next = .continuationToken(token)
        }
        // A token that does not move on would list the same page forever.
        if next == resumed {
            throw S3TransportError(kind: .malformedResponse, operation: "ListObjectsV2", bucket: bucket,
                                   detail: "the next page's continuation token is the one just used")
        }
        return next
    }
}

/// Where the next `ListObjectVersions` page starts.
public struct VersionMarker: Sendable, Hashable {
    /// `key-marker`.
    public var key: String
    /// `version-id-marker`.
    public var versionID: String?
}

/// Pages of a paginated S3 listing as an `AsyncSequence`: each `next()` fetches one page,
/// stopping when S3 gives no continuation marker.
public struct S3Pages<Page: Sendable>: AsyncSequence, Sendable {
    /// The element type: one page.
    public typealias Element = Page
    let fetch: @Sendable (AnySendableMarker?) async throws -> (Page, AnySendableMarker?)

    init<Marker: Sendable>(_ fetch: @escaping @Sendable (Marker?) async throws -> (Page, Marker?)) {
        self.fetch = { marker in
            let (page, next) = try await fetch(marker?.value as? Marker)
            return (page, next.map { AnySendableMarker(value: $0) })
        }
    }

    /// An iterator that starts at the first page.
    public func makeAsyncIterator() -> Iterator { Iterator(fetch: fetch) }

    /// Fetches pages one at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let fetch: @Sendable (AnySendableMarker?) async throws -> (Page, AnySendableMarker?)
        var marker: AnySendableMarker?
        var finished = false

        init(fetch: @escaping @Sendable (AnySendableMarker?) async throws -> (Page, AnySendableMarker?)) {
            self.fetch = fetch
        }

        /// The next page, or `nil` after the last.
        public mutating func next() async throws -> Page? {
            guard !finished else { return nil }
            let (page, next) = try await fetch(marker)
            marker = next
            finished = next == nil
            return page
        }
    }
}

/// A type-erased pagination marker.
public struct AnySendableMarker: Sendable {
    let value: any Sendable
}
