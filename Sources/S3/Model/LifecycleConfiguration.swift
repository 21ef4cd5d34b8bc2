import Foundation

/// A bucket lifecycle configuration: the age-based rules S3 applies by itself.
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html>.
public struct LifecycleConfiguration: Sendable, Hashable {
    /// The rules, in order.
    public var rules: [LifecycleRule]
    /// Creates a configuration.
    public init(rules: [LifecycleRule]) { self.rules = rules }

    /// The XML body of `PutBucketLifecycleConfiguration`.
    public var xml: String {
        var writer = XMLWriter()
        writer.element("LifecycleConfiguration", namespace: true) { xml in
            for rule in rules { rule.write(to: &xml) }
        }
        return writer.output
    }

    /// Parses a `GetBucketLifecycleConfiguration` answer.
    public init(xml root: XMLNode) {
        rules = root.children("Rule").map(LifecycleRule.init(xml:))
    }
}

/// One lifecycle rule, limited to what Strata renders: a prefix (and optional tag) filter,
/// transitions, expiration, noncurrent-version expiration and incomplete-upload abort.
public struct LifecycleRule: Sendable, Hashable {
    /// A transition after a number of days.
    public struct Transition: Sendable, Hashable {
        /// Days after creation.
        public var days: Int
        /// Target storage class.
        public var storageClass: String
        /// Creates a transition.
        public init(days: Int, storageClass: String) {
            self.days = days
            self.storageClass = storageClass
        }
    }
    /// Rule id (at most 255 characters).
    public var id: String
    /// `Enabled` when true.
    public var enabled: Bool
    /// Key prefix the rule applies to.
    public var prefix: String
    /// Optional tag the objects must carry.
    public var tag: (key: String, value: String)? {
        get { tagKey.map { ($0, tagValue ?? "") } }
        set { tagKey = newValue?.key; tagValue = newValue?.value }
    }
    private var tagKey: String?
    private var tagValue: String?
    /// Transitions, by age.
    public var transitions: [Transition]
    /// Delete current versions this many days after creation.
    public var expirationDays: Int?
    /// Delete noncurrent versions this many days after they became noncurrent.
    public var noncurrentExpirationDays: Int?
    /// Abort incomplete multipart uploads this many days after they started.
    public var abortIncompleteUploadDays: Int?
    /// Delete current versions on this date (`Expiration/Date`), as read from a bucket.
    public var expirationDate: Date?
    /// What a rule read from a bucket holds that this model does not carry or could not read
    /// (`NoncurrentVersionTransition`, a `Transition` by `Date`, a `Days` that is no number, ...),
    /// by element path. A reader that weighs rules treats such a rule as acting in ways it
    /// cannot see. Never written.
    public var unrecognized: [String] = []

    /// Creates a rule.
    public init(id: String, enabled: Bool = true, prefix: String, tag: (key: String, value: String)? = nil,
                transitions: [Transition] = [], expirationDays: Int? = nil,
                noncurrentExpirationDays: Int? = nil, abortIncompleteUploadDays: Int? = nil) {
        self.id = id
        self.enabled = enabled
        self.prefix = prefix
        self.tagKey = tag?.key
        self.tagValue = tag?.value
        self.transitions = transitions
        self.expirationDays = expirationDays
        self.noncurrentExpirationDays = noncurrentExpirationDays
        self.abortIncompleteUploadDays = abortIncompleteUploadDays
    }

    init(xml: XMLNode) {
        id = xml.string("ID") ?? ""
        enabled = xml.string("Status") == "Enabled"
        let filter = xml.child("Filter")
        let and = filter?.child("And")
        prefix = and?.string("Prefix") ?? filter?.string("Prefix") ?? xml.string("Prefix") ?? ""
        let tagNode = and?.child("Tag") ?? filter?.child("Tag")
        tagKey = tagNode?.string("Key")
        tagValue = tagNode?.string("Value")
        transitions = xml.children("Transition").compactMap { node in
            guard let days = node.string("Days").flatMap({ Int($0) }), let cls = node.string("StorageClass") else { return nil }
            return Transition(days: days, storageClass: cls)
        }
        expirationDays = xml.child("Expiration")?.string("Days").flatMap { Int($0) }
        expirationDate = xml.child("Expiration")?.string("Date").flatMap(HTTPDate.parseISO8601)
        noncurrentExpirationDays = xml.child("NoncurrentVersionExpiration")?.string("NoncurrentDays").flatMap { Int($0) }
        abortIncompleteUploadDays = xml.child("AbortIncompleteMultipartUpload")?.string("DaysAfterInitiation").flatMap { Int($0) }
        unrecognized = Self.unrecognized(in: xml)
    }

    /// The elements of a `Rule` this model does not carry, or carries but could not read.
    static func unrecognized(in rule: XMLNode) -> [String] {
        let known: Set<String> = ["ID", "Filter", "Prefix", "Status", "Transition", "Expiration",
                                  "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"]
        var found = rule.children.map(\.name).filter { !known.contains($0) }
        func number(_ node: XMLNode?, _ name: String, _ path: String) {
            if let text = node?.string(name), Int(text) == nil { found.append("\(path)/\(name) '\(text.prefix(40))'") }
        }
        for transition in rule.children("Transition") {
            if transition.child("Days") == nil { found.append("Transition without Days") }
            number(transition, "Days", "Transition")
        }
        if let expiration = rule.child("Expiration") {
            number(expiration, "Days", "Expiration")
            if let date = expiration.string("Date"), HTTPDate.parseISO8601(date) == nil {
                found.append("Expiration/Date '\(date.prefix(40))'")
            }
        }
        number(rule.child("NoncurrentVersionExpiration"), "NoncurrentDays", "NoncurrentVersionExpiration")
        number(rule.child("AbortIncompleteMultipartUpload"), "DaysAfterInitiation", "AbortIncompleteMultipartUpload")
        return found
    }

    func write(to xml: inout XMLWriter) {
        xml.element("Rule") { xml in
            xml.element("ID", text: id)
            xml.element("Filter") { xml in
                if let tagKey {
                    xml.element("And") { xml in
                        xml.element("Prefix", text: prefix)
                        xml.element("Tag") { xml in
                            xml.element("Key", text: tagKey)
                            xml.element("Value", text: tagValue ?? "")
                        }
                    }
                } else {
                    xml.element("Prefix", text: prefix)
                }
            }
            xml.element("Status", text: enabled ? "Enabled" : "Disabled")
            for transition in transitions {
                xml.element("Transition") { xml in
                    xml.element("Days", text: String(transition.days))
                    xml.element("StorageClass", text: transition.storageClass)
                }
            }
            if let expirationDays {
                xml.element("Expiration") { xml in xml.element("Days", text: String(expirationDays)) }
            }
            if let noncurrentExpirationDays {
                xml.element("NoncurrentVersionExpiration") { xml in
                    xml.element("NoncurrentDays", text: String(noncurrentExpirationDays))
                }
            }
            if let abortIncompleteUploadDays {
                xml.element("AbortIncompleteMultipartUpload") { xml in
                    xml.element("DaysAfterInitiation", text: String(abortIncompleteUploadDays))
                }
            }
        }
    }

    /// Rules are equal when every field is.
    public static func == (lhs: LifecycleRule, rhs: LifecycleRule) -> Bool {
        lhs.id == rhs.id && lhs.enabled == rhs.enabled && lhs.prefix == rhs.prefix && lhs.tagKey == rhs.tagKey
            && lhs.tagValue == rhs.tagValue && lhs.transitions == rhs.transitions
            && lhs.expirationDays == rhs.expirationDays && lhs.noncurrentExpirationDays == rhs.noncurrentExpirationDays
            && lhs.abortIncompleteUploadDays == rhs.abortIncompleteUploadDays
            && lhs.expirationDate == rhs.expirationDate && lhs.unrecognized == rhs.unrecognized
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id); hasher.combine(prefix); hasher.combine(tagKey); hasher.combine(transitions)
        hasher.combine(expirationDays)
    }
}
