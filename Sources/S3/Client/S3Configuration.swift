import Foundation

/// Where and how an ``S3Client`` talks to S3: endpoint, region, addressing style, timeouts,
/// retries and transfer sizes. A value type: make one, adjust it, hand it to the client.
public struct S3Configuration: Sendable {
    /// The region requests are signed for, e.g. `us-east-1`.
    public var region: String
    /// The endpoint, or `nil` for AWS's regional endpoint (`https://s3.<region>.amazonaws.com`).
    public var endpoint: S3Endpoint?
    /// Path-style (`host/bucket/key`) instead of virtual-hosted style (`bucket.host/key`).
    /// Custom endpoints (RGW, MinIO, Ceph) default to path style.
    public var usePathStyle: Bool
    /// Allow plain `http://` to a host that is not a loopback address. Off by default: signed
    /// requests and backup data should not cross a network in the clear.
    public var allowInsecureHTTP: Bool
    /// Whether the server takes aws-chunked bodies with checksum trailers
    /// (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`). AWS does; Ceph RGW does not.
    public var supportsChecksumTrailers: Bool
    /// Time allowed to establish a connection.
    public var connectTimeout: Duration
    /// Time allowed between two reads of a response, and between two writes of a request
    /// body, before the attempt is abandoned (and retried, if the request allows).
    public var readTimeout: Duration
    /// How failed requests are retried.
    public var retry: RetryPolicy
    /// Connections kept per host: the ceiling for parallel requests.
    public var maxConnectionsPerHost: Int
    /// Part size and parallelism for multipart uploads and ranged downloads.
    public var transfer: TransferConfiguration
    /// Skip TLS certificate verification (only for a test server with a self-signed certificate).
    public var insecureSkipTLSVerify: Bool

    /// A configuration for `region`, against AWS unless `endpoint` is given.
    public init(
        region: String,
        endpoint: S3Endpoint? = nil,
        usePathStyle: Bool? = nil,
        allowInsecureHTTP: Bool = false,
        supportsChecksumTrailers: Bool? = nil,
        connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(60),
        retry: RetryPolicy = RetryPolicy(),
        maxConnectionsPerHost: Int = 16,
        transfer: TransferConfiguration = TransferConfiguration(),
        insecureSkipTLSVerify: Bool = false
    ) {
        self.region = region
        self.endpoint = endpoint
        self.usePathStyle = usePathStyle ?? (endpoint != nil)
        self.allowInsecureHTTP = allowInsecureHTTP
        self.supportsChecksumTrailers = supportsChecksumTrailers ?? (endpoint == nil)
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.retry = retry
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.transfer = transfer
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }
}

/// Part sizes and parallelism for large transfers.
///
/// Memory stays near `partSize x concurrency`: no transfer buffers a whole file.
public struct TransferConfiguration: Sendable {
    /// Objects at least this large are uploaded with multipart upload.
    public var multipartThreshold: Int64
    /// Size of each part (S3: 5 MiB to 5 GiB, at most 10,000 parts).
    public var partSize: Int64
    /// Parts in flight at once, for uploads and ranged downloads.
    public var concurrency: Int
    /// Copies of objects larger than this use UploadPartCopy (S3's limit for CopyObject is 5 GiB).
    public var multipartCopyThreshold: Int64
    /// Part size for UploadPartCopy.
    public var copyPartSize: Int64
    /// Whether file bodies sent over plain HTTP go out with sendfile(2): the kernel moves the
    /// file into the socket, with no copy through the process (measured on a 1 GiB upload: peak
    /// RSS 80 to 37 MiB, CPU a few percent lower). Over TLS, and when off, files are read in
    /// 1 MiB blocks around the page cache.
    public var sendfile: Bool

    /// Defaults measured on the local RGW (see docs/architecture.md, "Transfers").
    public init(
        multipartThreshold: Int64 = 16 * 1024 * 1024,
        partSize: Int64 = 16 * 1024 * 1024,
        concurrency: Int = 8,
        multipartCopyThreshold: Int64 = 5 * 1024 * 1024 * 1024,
        copyPartSize: Int64 = 512 * 1024 * 1024,
        sendfile: Bool = true
    ) {
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.concurrency = concurrency
        self.multipartCopyThreshold = multipartCopyThreshold
        self.copyPartSize = copyPartSize
        self.sendfile = sendfile
    }

    /// The part size to use for an object of `size` bytes: `partSize`, grown if needed so the
    /// object fits in S3's 10,000 parts.
    public func partSize(forObjectOfSize size: Int64) -> Int64 {
        let minimumForCount = (size + 9_999) / 10_000
        let mib: Int64 = 1024 * 1024
        let rounded = (max(partSize, minimumForCount) + mib - 1) / mib * mib
        return max(rounded, 5 * mib)
    }
}
