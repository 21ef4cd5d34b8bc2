import Foundation

/// How a download cuts an object into ranged GETs: ranges of `rangeSize` bytes from byte 0, the
/// last one shorter; an empty object is one GET without a range.
///
/// Both numbers come from outside: the size from the object's HEAD (`Content-Length`), the range
/// size from its recorded ``ContentChecksum`` (`x-amz-meta-strata-part-size`) or the transfer
/// configuration. They are bounded before any arithmetic, by S3's limits: an object is at most
/// 5 TiB and a part at most 5 GiB, so no sum or product below can overflow.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>.
public struct DownloadRanges: Sendable, Hashable {
    /// S3's largest object: 5 TiB.
    public static let maximumObjectSize: Int64 = 5 << 40

    /// The object's size in bytes.
    public let objectSize: Int64
    /// Bytes per range (the last may be shorter).
    public let rangeSize: Int64
    /// How many GETs: at least one, also for an empty object.
    public let count: Int

    /// The ranges of an object of `objectSize` bytes, or `nil` when either number is outside
    /// S3's limits (a size below 0 or above 5 TiB; a range size below 1 byte or above 5 GiB).
    public init?(objectSize: Int64, rangeSize: Int64) {
        guard (0...Self.maximumObjectSize).contains(objectSize),
              (1...ContentChecksum.maximumPartSize).contains(rangeSize) else { return nil }
        self.objectSize = objectSize
        self.rangeSize = rangeSize
        // Both bounded above: the sum stays below 2^43.
        self.count = objectSize == 0 ? 1 : Int((objectSize + rangeSize - 1) / rangeSize)
    }

    /// The bytes of GET number `index` (`0..<count`), inclusive; `nil` for the one GET of an
    /// empty object, which asks for no range.
    public func range(at index: Int) -> ClosedRange<Int64>? {
        precondition((0..<count).contains(index), "range \(index) of \(count)")
        guard objectSize > 0 else { return nil }
        let start = Int64(index) * rangeSize
        return start...(min(start + rangeSize, objectSize) - 1)
    }

    /// How an object as its HEAD describes it is downloaded, named `key` in errors.
    public struct Choice: Sendable, Hashable {
        /// The ranges.
        public var ranges: DownloadRanges
        /// The recorded checksum the ranges follow and the content is checked against, if any.
        public var checksum: ContentChecksum?
        /// A recorded checksum that cannot describe the object (not from a Strata upload): ignored.
        public var ignored: ContentChecksum?
    }

    /// The ranges for an object of `size` bytes with user `metadata`: the recorded checksum's
    /// part size when it fits the object (``ContentChecksum/fits(objectSize:)``), else
    /// `configuredRangeSize`. Throws ``TransferError/implausibleObject(key:detail:)`` for a size
    /// outside S3's limits or a configured range size outside 1 byte to 5 GiB.
    public static func choose(key: String, size: Int64, metadata: [String: String],
                              configuredRangeSize: Int64) throws(TransferError) -> Choice {
        guard (0...maximumObjectSize).contains(size) else {
            throw .implausibleObject(key: key, detail: "its size \(size) is outside S3's 0 to \(maximumObjectSize) bytes")
        }
        var checksum = ContentChecksum(metadata: metadata)
        var ignored: ContentChecksum?
        if let recorded = checksum, !recorded.fits(objectSize: size) {
            ignored = recorded
            checksum = nil
        }
        let rangeSize = checksum?.partSize ?? configuredRangeSize
        guard let ranges = DownloadRanges(objectSize: size, rangeSize: rangeSize) else {
            throw .implausibleObject(key: key, detail: "range size \(rangeSize) is outside 1 byte to \(ContentChecksum.maximumPartSize)")
        }
        return Choice(ranges: ranges, checksum: checksum, ignored: ignored)
    }
}
