import Foundation

/// Object Lock state of one object version, as S3 reports it.
public struct ObjectLockState: Sendable, Hashable, Codable {
    /// Retention mode.
    public enum Mode: String, Sendable, Hashable, Codable {
        /// `GOVERNANCE`: deletable only with a bypass permission; the planner never bypasses.
        case governance = "GOVERNANCE"
        /// `COMPLIANCE`: not deletable by anyone until `retainUntil`.
        case compliance = "COMPLIANCE"
    }

    /// Retention mode, if retention is set.
    public var mode: Mode?
    /// Retain-until date, if retention is set.
    public var retainUntil: Date?
    /// Whether a legal hold is on.
    public var legalHold: Bool

    /// Creates a lock state.
    public init(mode: Mode? = nil, retainUntil: Date? = nil, legalHold: Bool = false) {
        self.mode = mode
        self.retainUntil = retainUntil
        self.legalHold = legalHold
    }
}

/// One object version, as an S3 listing (ListObjectVersions / ListObjectsV2) or an S3 Inventory
/// report gives it.
public struct InventoryObject: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// Last-Modified time.
    public var lastModified: Date
    /// Storage class.
    public var storageClass: StorageClass
    /// ETag, if known.
    public var eTag: String?
    /// Version ID, for versioned buckets; `nil` (or `"null"`) otherwise.
    public var versionID: String?
    /// Whether this is the current version of the key.
    public var isLatest: Bool
    /// Whether this version is a delete marker.
    public var isDeleteMarker: Bool
    /// Tags and lock state are rare and large; keeping them out of line keeps a million-object
    /// inventory about 20% smaller.
    private var extras: Extras?

    /// Object tags, if the listing included them; `nil` means unknown.
    public var tags: [String: String]? {
        get { extras?.tags }
        set { extras = Extras.make(tags: newValue, objectLock: objectLock) }
    }

    /// Object Lock state, if the listing included it.
    public var objectLock: ObjectLockState? {
        get { extras?.objectLock }
        set { extras = Extras.make(tags: tags, objectLock: newValue) }
    }

    /// Creates an object record. The defaults describe the current version in an unversioned bucket.
    public init(
        key: String, size: Int64, lastModified: Date, storageClass: StorageClass = .standard,
        eTag: String? = nil, versionID: String? = nil, isLatest: Bool = true, isDeleteMarker: Bool = false,
        tags: [String: String]? = nil, objectLock: ObjectLockState? = nil
    ) {
        self.key = key
        self.size = size
        self.lastModified = lastModified
        self.storageClass = storageClass
        self.eTag = eTag
        self.versionID = versionID
        self.isLatest = isLatest
        self.isDeleteMarker = isDeleteMarker
        self.extras = Extras.make(tags: tags, objectLock: objectLock)
    }

    /// Whether this version is the live object a reader gets for the key.
    public var isCurrent: Bool { isLatest && !isDeleteMarker }

    /// Immutable out-of-line storage; setters replace it, so value semantics hold.
    private final class Extras: Sendable, Hashable {
        let tags: [String: String]?
        let objectLock: ObjectLockState?

        private init(tags: [String: String]?, objectLock: ObjectLockState?) {
            self.tags = tags
            self.objectLock = objectLock
        }

        static func make(tags: [String: String]?, objectLock: ObjectLockState?) -> Extras? {
            tags == nil && objectLock == nil ? nil : Extras(tags: tags, objectLock: objectLock)
        }

        static func == (lhs: Extras, rhs: Extras) -> Bool { lhs.tags == rhs.tags && lhs.objectLock == rhs.objectLock }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tags)
            hasher.combine(objectLock)
        }
    }
}
