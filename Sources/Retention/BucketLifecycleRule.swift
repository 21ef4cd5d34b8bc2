import Foundation

/// A rule of the bucket's lifecycle configuration, as the planner weighs it against the
/// policies (``OutsideLifecycleRules``). The application reads the configuration and hands the
/// rules Strata did not write here: the engine does no I/O.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html>.
public struct BucketLifecycleRule: Sendable, Hashable {
    /// A `Transition` element: objects move to `storageClass` `days` after upload.
    public struct Transition: Sendable, Hashable {
        /// Days after upload.
        public var days: Int
        /// Target class.
        public var storageClass: StorageClass

        /// Creates a transition.
        public init(days: Int, storageClass: StorageClass) {
            self.days = days
            self.storageClass = storageClass
        }
    }

    /// The rule's `ID`.
    public var id: String
    /// `Status` is `Enabled`.
    public var enabled: Bool
    /// The filter's prefix (`""`: every key).
    public var prefix: String
    /// Whether the filter also names tags (the rule then acts on tagged objects only).
    public var filteredByTag: Bool
    /// `Expiration` after this many days.
    public var expirationDays: Int?
    /// `Expiration` on this date.
    public var expirationDate: Date?
    /// `Transition` elements.
    public var transitions: [Transition]
    /// `NoncurrentVersionExpiration` after this many days.
    public var noncurrentExpirationDays: Int?
    /// `AbortIncompleteMultipartUpload` after this many days.
    public var abortIncompleteUploadDays: Int?
    /// Elements the application could not read or does not model (`NoncurrentVersionTransition`,
    /// a `Days` that is no number, ...): the rule may act in ways the planner cannot weigh.
    public var unrecognized: [String] = []

    /// Creates a rule.
    public init(id: String, enabled: Bool = true, prefix: String, filteredByTag: Bool = false,
                expirationDays: Int? = nil, expirationDate: Date? = nil, transitions: [Transition] = [],
                noncurrentExpirationDays: Int? = nil, abortIncompleteUploadDays: Int? = nil) {
        self.id = id
        self.enabled = enabled
        self.prefix = prefix
        self.filteredByTag = filteredByTag
        self.expirationDays = expirationDays
        self.expirationDate = expirationDate
        self.transitions = transitions
        self.noncurrentExpirationDays = noncurrentExpirationDays
        self.abortIncompleteUploadDays = abortIncompleteUploadDays
    }

    /// Whether the rule can act on keys under `prefix` (one prefix contains the other).
    public func overlaps(prefix other: String) -> Bool {
        prefix.utf8.starts(with: other.utf8) || other.utf8.starts(with: prefix.utf8)
    }
}
