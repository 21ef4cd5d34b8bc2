import Foundation

/// The parts of a URL that SigV4 signs, exactly as they go on the wire: the `Host` value
/// (with a port only when it is not the scheme's default), the percent-encoded path, the query.
///
/// See <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request>.
struct WireTarget: Sendable {
    var scheme: String
    var host: String
    var path: String
    var query: String

    init(_ url: URL) throws(SigV4Error) {
        guard let hostName = url.host(percentEncoded: true), !hostName.isEmpty else {
            throw .missingHost(url: url.absoluteString)
        }
        scheme = url.scheme.map(asciiLowercased) ?? "https"
        let defaultPort = scheme == "http" ? 80 : 443
        // An IPv6 literal comes back without its brackets; the Host header needs them.
        let isBareIPv6 = hostName.utf8.contains(UInt8(ascii: ":")) && hostName.utf8.first != UInt8(ascii: "[")
        let bracketed = asciiLowercased(isBareIPv6 ? "[\(hostName)]" : hostName)
        if let port = url.port, port != defaultPort {
            host = "\(bracketed):\(port)"
        } else {
            host = bracketed
        }
        path = url.path(percentEncoded: true)
        query = url.query(percentEncoded: true) ?? ""
    }

    /// `scheme://host` followed by the path; the base a presigned query is appended to.
    var base: String { "\(scheme)://\(host)\(path.isEmpty ? "/" : path)" }
}
