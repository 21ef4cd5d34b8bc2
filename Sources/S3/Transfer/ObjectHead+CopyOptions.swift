import Foundation

extension ObjectHead {
    /// The options that write the object at `key` again as HEAD describes it: user metadata,
    /// `Content-Type`, `Cache-Control`, `Content-Encoding`, `Content-Disposition`,
    /// `Content-Language`, `Expires` and server-side encryption. A multipart copy needs them all
    /// on `CreateMultipartUpload`, which starts a new object: S3 copies none of them from the
    /// parts' source. See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html>.
    ///
    /// Every value is checked before it is sent on (HEAD's answer is outside input): throws
    /// ``CopyRefusal`` for one with a control character or over its length limit, and for an
    /// encryption that cannot be copied (see ``ServerSideEncryption/init(head:key:)``).
    public func copyOptions(key: String) throws(CopyRefusal) -> PutOptions {
        func checked(_ value: String?, _ header: String) throws(CopyRefusal) -> String? {
            guard let value else { return nil }
            return try CopyRefusal.checked(value, header: header, key: key)
        }
        var options = PutOptions()
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let header = "x-amz-meta-\(name)"
            // The name came as a header name, but a server's parser may be lenient about them.
            _ = try CopyRefusal.checked(name, header: header, key: key)
            options.metadata[name] = try CopyRefusal.checked(value, header: header, key: key)
        }
        options.contentType = try checked(contentType, "content-type")
        options.cacheControl = try checked(cacheControl, "cache-control")
        options.contentEncoding = try checked(contentEncoding, "content-encoding")
        options.contentDisposition = try checked(contentDisposition, "content-disposition")
        options.contentLanguage = try checked(contentLanguage, "content-language")
        options.expires = try checked(expires, "expires")
        options.serverSideEncryption = try ServerSideEncryption(head: self, key: key)
        return options
    }
}
