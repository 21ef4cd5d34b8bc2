import SigV4

/// How a listing answer spells keys. Strata asks for `encoding-type=url`, since a key may hold
/// characters XML 1.0 cannot carry; S3 then percent-encodes the keys (and the prefixes, markers
/// and delimiter that echo them) and says so with `<EncodingType>url</EncodingType>`. A server
/// that ignores the parameter says nothing and sends keys as they are: they are then taken as
/// they are, since decoding them would turn a key's own `%41` or `+` into something else.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html> (`EncodingType`),
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html>.
package struct ListingKeyEncoding: Sendable, Equatable {
    /// Whether the answer's keys are percent-encoded.
    package var isURL: Bool

    /// The answer's encoding, from its `EncodingType` element.
    package init(answer: XMLNode) {
        isURL = answer.string("EncodingType") == "url"
    }

    /// An encoding, for tests.
    package init(isURL: Bool) { self.isURL = isURL }

    /// `text` from `field` as the key it names.
    package func decode(_ text: String, field: String) throws(MalformedListing) -> String {
        guard isURL else { return text }
        guard let key = URIEncoding.formDecoded(text) else {
            throw MalformedListing("\(field) '\(text)' is not URL-encoded although the answer says EncodingType url")
        }
        return key
    }

    /// The key a truncated page's `NextKeyMarker` names, for the next page's `key-marker`. Under
    /// `encoding-type=url` S3 encodes it, but Ceph RGW 16 sends it as it is (while encoding the
    /// keys): the marker names the page's last key, so the spelling that equals `lastKey` is
    /// taken; otherwise it is decoded.
    package func marker(_ text: String, field: String, lastKey: String?) throws(MalformedListing) -> String {
        if isURL, let lastKey, text == lastKey { return text }
        return try decode(text, field: field)
    }
}
