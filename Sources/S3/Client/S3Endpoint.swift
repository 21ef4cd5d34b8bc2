import Foundation
import SigV4

/// A validated S3 endpoint: scheme, host and port, parsed once from a URL such as
/// `http://127.0.0.1:7480` or `https://s3.eu-west-1.amazonaws.com`.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// Port, when it is not the scheme's default.
    public var port: Int?

    /// Parses `url`. Throws ``S3ConfigurationError`` when it is not an absolute http(s) URL
    /// without path, query or credentials.
    public init(url: String) throws(S3ConfigurationError) {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else {
            throw .invalidEndpoint(url, "expected an absolute URL such as https://s3.example.com or http://127.0.0.1:7480")
        }
        guard components.user == nil, components.password == nil else {
            throw .invalidEndpoint("<redacted>", "credentials do not belong in the endpoint URL")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil else {
            throw .invalidEndpoint(url, "the endpoint must not have a path or query")
        }
        self.scheme = scheme
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port
    }

    /// AWS's regional endpoint for `region`.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil)
    }

    init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Whether the host is a loopback address: `localhost`, or an IP address (parsed as one, not
    /// matched as text) in `127.0.0.0/8` or `::1`. `127.attacker.example` is a name, not loopback.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    /// Whether `host` (a name, an IPv4 address, or an IPv6 address with or without brackets) is loopback.
    public static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host == "localhost" { return true }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            // In network order, the first octet is the lowest byte in memory.
            return withUnsafeBytes(of: &v4) { $0[0] } == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { bytes in bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1 }
    }

    /// `host[:port]` as sent in the `Host` header (and signed).
    public func hostHeader(bucketSubdomain: String? = nil) -> String {
        var name = host.contains(":") ? "[\(host)]" : host
        if let bucketSubdomain { name = "\(bucketSubdomain).\(name)" }
        if let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            return "\(name):\(port)"
        }
        return name
    }

    /// `scheme://host[:port]`.
    public var description: String { "\(scheme)://\(hostHeader())" }
}

/// A client configuration that cannot work, said before any request is made.
public enum S3ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint URL is malformed.
    case invalidEndpoint(String, String)
    /// Plain HTTP to a non-loopback host without `allowInsecureHTTP`.
    case insecureEndpoint(String)
    /// A bucket name S3 would refuse.
    case invalidBucketName(String, String)
    /// An object key S3 would refuse.
    case invalidKey(String, String)

    /// One line naming what is wrong and what is expected.
    public var description: String {
        switch self {
        case .invalidEndpoint(let url, let why): return "invalid endpoint '\(url)': \(why)"
        case .insecureEndpoint(let url):
            return "refusing plain http to \(url): use https, or allow insecure http explicitly (only loopback endpoints may use http by default)"
        case .invalidBucketName(let name, let why): return "invalid bucket name '\(name)': \(why)"
        case .invalidKey(let key, let why): return "invalid object key '\(key)': \(why)"
        }
    }
}

extension S3Configuration {
    /// The effective endpoint: the custom one or AWS's for the region.
    var resolvedEndpoint: S3Endpoint { endpoint ?? .aws(region: region) }

    /// Checks the configuration can be used; called once by the client.
    public func validate() throws(S3ConfigurationError) {
        let endpoint = resolvedEndpoint
        if endpoint.scheme == "http", !endpoint.isLoopback, !allowInsecureHTTP {
            throw .insecureEndpoint(endpoint.description)
        }
    }

    /// The URL (as sent, percent-encoded) and `Host` header for a request.
    ///
    /// Keys are encoded with SigV4's `UriEncode` keeping `/`, so the wire path is exactly the
    /// canonical URI S3 expects (no double encoding). See
    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>.
    func target(bucket: String?, key: String?, query: [(name: String, value: String)]) -> RequestTarget {
        let endpoint = resolvedEndpoint
        var path = "/"
        var host = endpoint.hostHeader()
        if let bucket {
            // Virtual-hosted style needs a DNS-compatible name; dotted names break TLS wildcards.
            if usePathStyle || bucket.contains(".") {
                path += URIEncoding.encode(bucket)
                if key != nil { path += "/" }
            } else {
                host = endpoint.hostHeader(bucketSubdomain: bucket)
            }
        }
        if let key { path += URIEncoding.encodePath(key) }
        let sortedQuery = query.sorted { ($0.name, $0.value) < ($1.name, $1.value) }
        let queryString = URIEncoding.query(sortedQuery)
        var url = "\(endpoint.scheme)://\(host)\(path)"
        if !queryString.isEmpty { url += "?" + queryString }
        return RequestTarget(url: url, host: host, path: path, query: queryString)
    }
}

/// Where one request goes, in the exact form that is both sent and signed.
struct RequestTarget: Sendable {
    /// The full URL handed to the HTTP client.
    var url: String
    /// The `Host` header value.
    var host: String
    /// The percent-encoded path.
    var path: String
    /// The encoded query string without `?`.
    var query: String
}
