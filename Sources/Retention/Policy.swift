import Foundation

/// The retention policy of one component (one `policies/*.yaml` file).
public struct Policy: Sendable, Hashable {
    /// How keys under the prefix are grouped into backup sets.
    public enum Layout: Sendable, Hashable {
        /// A key template with `{time:...}`, optionally `{series}` and `{file}`.
        case template(KeyTemplate)
        /// A pgBackRest repository (`backup/<stanza>/...`, `archive/<stanza>/...` under the prefix).
        case pgbackrest(stanza: String)
    }

    /// Where retention measures from.
    public enum Anchor: String, Sendable, Hashable, Codable {
        /// The newest set of the series: when backups stop, nothing more expires.
        case newest
        /// The planning time: old sets keep expiring even when backups stop (lint warns).
        case now
    }

    /// Component name, unique across the policy set.
    public var component: String
    /// Key prefix the component owns; prefixes of different policies never overlap.
    public var prefix: String
    /// Key layout.
    public var layout: Layout
    /// Zone that key times are read in and calendar periods are drawn in (default UTC).
    public var timeZone: PolicyTimeZone
    /// Keep rules.
    public var retention: RetentionRules
    /// Storage-class tiers, by ascending age, each colder than the one before.
    public var tiers: [TierRule]
    /// How new backups are uploaded.
    public var upload: UploadSpec
    /// Expected backup cadence; a series whose newest set is older than twice this is stale.
    public var expectEvery: PolicyDuration?
    /// Safety limits.
    public var guards: GuardSettings
    /// Incomplete multipart uploads older than this are aborted (default 7d).
    public var abortIncompleteAfter: PolicyDuration
    /// Versioned buckets: noncurrent versions and delete markers are deleted once they have been
    /// noncurrent this long; `nil` (`noncurrent: keep`, the default) keeps them.
    public var noncurrentExpireAfter: PolicyDuration?
    /// Where the cipher passphrase of an encrypted pgBackRest repository comes from (`cipher_pass`);
    /// `nil` when none is configured. Only a place is named: the passphrase is never in a policy.
    public var cipherPass: SecretSource?
    /// Ids of bucket lifecycle rules Strata did not write that the operator has checked and
    /// accepts acting on this component (`acknowledge_lifecycle_rules`): the sweep does not
    /// block on them (``OutsideLifecycleRules``).
    public var acknowledgedLifecycleRules: [String] = []
    /// The file the policy came from, for messages.
    public var sourcePath: String

    /// Creates a policy in code (tests, tools); files go through `PolicySet.load`.
    public init(
        component: String, prefix: String, layout: Layout, timeZone: PolicyTimeZone = .utc,
        retention: RetentionRules, tiers: [TierRule] = [], upload: UploadSpec = UploadSpec(),
        expectEvery: PolicyDuration? = nil, guards: GuardSettings = GuardSettings(),
        abortIncompleteAfter: PolicyDuration = .days(7), noncurrentExpireAfter: PolicyDuration? = nil,
        cipherPass: SecretSource? = nil, sourcePath: String = "<code>"
    ) {
        self.component = component
        self.prefix = prefix
        self.layout = layout
        self.timeZone = timeZone
        self.retention = retention
        self.tiers = tiers
        self.upload = upload
        self.expectEvery = expectEvery
        self.guards = guards
        self.abortIncompleteAfter = abortIncompleteAfter
        self.noncurrentExpireAfter = noncurrentExpireAfter
        self.cipherPass = cipherPass
        self.sourcePath = sourcePath
    }
}

/// Move kept sets to `storageClass` once they are `after` old.
public struct TierRule: Sendable, Hashable, Codable {
    /// Age of the set (from its time) at which the rule applies.
    public var after: PolicyDuration
    /// Target class.
    public var storageClass: StorageClass

    /// Creates a tier rule.
    public init(after: PolicyDuration, storageClass: StorageClass) {
        self.after = after
        self.storageClass = storageClass
    }
}

/// How the uploader stores new backups of the component.
public struct UploadSpec: Sendable, Hashable {
    /// Storage class of new uploads.
    public var storageClass: StorageClass
    /// Key template for new uploads (defaults to the layout's template).
    public var key: KeyTemplate?

    /// Creates an upload spec.
    public init(storageClass: StorageClass = .standard, key: KeyTemplate? = nil) {
        self.storageClass = storageClass
        self.key = key
    }
}

/// Safety limits of a component.
public struct GuardSettings: Sendable, Hashable {
    /// A plan that would delete more than this fraction of the component's sets or bytes is
    /// blocked unless forced (default 0.5).
    public var maxDeleteFraction: Double
    /// A set dated more than this after `now` is future-dated: clock skew on a backup host, a
    /// mistyped `upload --time`, or a planted key. It is kept, never deleted, and counts for no
    /// rule: not `keep_within`'s anchor, not a `keep_last` or calendar slot (default 1h).
    public var futureTolerance: PolicyDuration

    /// Creates guard settings.
    public init(maxDeleteFraction: Double = 0.5, futureTolerance: PolicyDuration = .hours(1)) {
        self.maxDeleteFraction = maxDeleteFraction
        self.futureTolerance = futureTolerance
    }
}
