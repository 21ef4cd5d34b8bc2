/// A listing answer that cannot be read as S3 documents it: what is wrong, in words (naming the
/// field and text at fault). The client reports it as ``S3TransportError`` of kind
/// `malformedResponse`, with the operation and bucket.
package struct MalformedListing: Error, Sendable, Equatable {
    /// What is wrong with the answer.
    package var detail: String

    /// An error saying `detail`.
    package init(_ detail: String) { self.detail = detail }
}
