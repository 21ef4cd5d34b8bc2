/// The S3 servers `tools/s3-server` runs, and the table of what each does differently from AWS.
///
/// Tests that hold for every S3 implementation take `TestServer.allCases` as arguments. Where a
/// server lacks a feature, the test asks `server.lacks(_:)` and asserts what Strata does instead,
/// so each limitation is written once, here, and never as a skip scattered through the tests.
public enum TestServer: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Ceph RADOS Gateway 16 (Pacific), a single-node cluster with extra storage classes.
    case rgw
    /// moto server 5: AWS's Glacier semantics (an archived object reads as InvalidObjectState until
    /// RestoreObject), but an in-memory store.
    case moto
    /// SeaweedFS 4.48's S3 gateway (`weed server -s3`).
    case seaweedfs

    /// A feature of AWS S3 that a server does not have or does differently.
    public enum Gap: Sendable, CaseIterable {
        /// Accepts `x-amz-checksum-crc32c` on PutObject (and UploadPart) without checking it, and
        /// stores no checksum of a single PUT (HEAD with checksum mode returns none).
        case ignoresChecksumHeaders
        /// GetObjectAttributes is missing or answers without checksums.
        case noObjectAttributesChecksums
        /// Does not check the body against the signed `x-amz-content-sha256`.
        case ignoresPayloadHash
        /// Refuses a CopyObject onto the same key that changes only the storage class (400
        /// InvalidRequest) in a bucket without versioning; `REPLACE` works.
        case refusesInPlaceClassChange
        /// Storage classes are labels: an archived object is readable at once and RestoreObject
        /// is refused (405 or 501).
        case noArchiveTier
        /// Lifecycle Transition rules are refused with 501 NotImplemented.
        case noLifecycleTransitions
        /// A key ending in `/` is stored as a directory: PutObject answers 200, but the body and
        /// the metadata are dropped (HEAD says 0 bytes, GET returns nothing).
        case keysEndingInSlashAreDirectories
        /// A key with a `.` or `..` path segment is refused (400 InvalidRequest).
        case refusesDotSegments
        /// Control characters in keys come back as U+FFFD in ListObjectVersions (which ignores
        /// `encoding-type=url`) and in ListObjectsV2's continuation token, so a page boundary
        /// after such a key ends the listing early.
        case mangledControlCharacterKeys
        /// Does not check request signatures (any secret is accepted).
        case noAuthentication
        /// ListObjectVersions does not list keys in order.
        case unorderedVersionListing
        /// Reports a multipart object's checksum without its `-N` part count, and not as S3
        /// composes it (neither the composite nor the content's CRC): it cannot be compared.
        case unusableMultipartChecksums
    }

    /// What this server lacks, measured against it (see ../shared/notes/ for SeaweedFS and RGW).
    public var gaps: Set<Gap> {
        switch self {
        // RGW 16.2: x-amz-checksum-* accepted and ignored, GetObjectAttributes answers 500.
        // Its storage classes are placement targets, readable at once; RestoreObject is refused.
        case .rgw: [.ignoresChecksumHeaders, .noObjectAttributesChecksums, .noArchiveTier]
        // moto 5: a plain x-amz-checksum-crc32c header on PutObject is neither checked nor stored
        // (it keeps checksums sent as aws-chunked trailers); a multipart object's checksum is its
        // own invention, without `-N`.
        case .moto: [.ignoresChecksumHeaders, .ignoresPayloadHash, .noAuthentication, .unorderedVersionListing,
                     .unusableMultipartChecksums]
        // SeaweedFS 4.48: checks Content-MD5 and x-amz-checksum-crc32c (400 BadDigest), stores the
        // checksum and returns it on HEAD with checksum mode; GetObjectAttributes omits it.
        case .seaweedfs: [.ignoresPayloadHash, .refusesInPlaceClassChange, .noArchiveTier,
                          .noLifecycleTransitions, .noObjectAttributesChecksums, .keysEndingInSlashAreDirectories,
                          .refusesDotSegments, .mangledControlCharacterKeys]
        }
    }

    /// The S3 implementations users keep backups on, which the S3 client's round trips and the
    /// end-to-end sweep run against. moto is not one: it stands in for AWS's archive semantics
    /// only (its store does not authenticate, and it lists versions out of order).
    public static let implementations: [TestServer] = [.rgw, .seaweedfs]

    /// The implementations without `gap`: for a test of behaviour that a server with the gap
    /// cannot show at all.
    public static func implementations(without gap: Gap) -> [TestServer] {
        implementations.filter { !$0.lacks(gap) }
    }

    /// Whether this server lacks `gap`.
    public func lacks(_ gap: Gap) -> Bool { gaps.contains(gap) }

    /// The server's name in test output.
    public var description: String { rawValue }
}
