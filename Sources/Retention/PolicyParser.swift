import Foundation
import Yams

/// Turns one composed policy file into a `Policy`, recording every problem in the reader.
enum PolicyParser {
    static let topKeys = ["component", "prefix", "layout", "stanza", "time_zone", "retention", "tiers", "upload",
                          "expect_every", "guards", "abort_incomplete_after", "noncurrent", "cipher_pass",
                          "acknowledge_lifecycle_rules"]
    static let retentionKeys = ["keep_last", "keep_within", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly",
                                "keep_yearly", "keep_tagged", "anchor"]

    /// Returns the policy with its component and prefix nodes (for cross-file messages), or nil.
    static func parse(_ file: PolicySource, reader: inout YAMLReader) -> (Policy, Node?, Node?)? {
        guard let root = reader.compose(file.contents) else { return nil }
        guard let top = reader.mapping(root, context: "the policy", allowed: topKeys) else { return nil }
        let before = reader.errors.count
        func required(_ name: String) -> Node? {
            if let node = top[name]?.value { return node }
            reader.fail(root, "missing key '\(name)', expected it in every policy")
            return nil
        }

        let componentNode = required("component")
        let component = componentNode.flatMap { reader.string($0, "component") }
        if let component, let componentNode, component.isEmpty || component.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            reader.fail(componentNode, "component '\(component)' has characters other than letters, digits, '-' and '_', expected a simple name")
        }
        let prefixNode = required("prefix")
        let prefix = prefixNode.flatMap { reader.string($0, "prefix") }
        if let prefix, let prefixNode, prefix.isEmpty || !prefix.hasSuffix("/") || prefix.hasPrefix("/") {
            reader.fail(prefixNode, "prefix '\(prefix)' is not a key prefix, expected text like 'falkordb/' ending in '/' and not starting with '/'")
        }

        var zone = PolicyTimeZone.utc
        if let node = top["time_zone"]?.value, let name = reader.string(node, "time_zone") {
            if let timeZone = TimeZone(identifier: name) { zone = PolicyTimeZone(timeZone) } else {
                reader.fail(node, "unknown time zone '\(name)', expected an IANA name such as UTC or Europe/Berlin")
            }
        }

        var layout: Policy.Layout?
        if let node = required("layout"), let text = reader.string(node, "layout") {
            if text == "pgbackrest" {
                if let stanzaNode = top["stanza"]?.value {
                    if let stanza = reader.string(stanzaNode, "stanza") {
                        if stanza.isEmpty || stanza.contains("/") {
                            reader.fail(stanzaNode, "stanza '\(stanza)' is not a stanza name, expected a name without '/'")
                        } else {
                            layout = .pgbackrest(stanza: stanza)
                        }
                    }
                } else {
                    reader.fail(node, "layout pgbackrest needs a stanza, expected a top-level key 'stanza' (e.g. stanza: mind)")
                }
            } else {
                do {
                    let template = try KeyTemplate(parsing: text)
                    if let prefix, !template.literalPrefix.hasPrefix(prefix) {
                        reader.fail(node, "layout '\(text)' does not start with the prefix '\(prefix)', expected a template for keys under the prefix")
                    } else {
                        layout = .template(template)
                    }
                } catch {
                    reader.fail(node, error.message)
                }
                if let stanzaNode = top["stanza"]?.key {
                    reader.fail(stanzaNode, "stanza is only meaningful with layout: pgbackrest, expected no stanza for a template layout")
                }
            }
        }

        let cipherPass = top["cipher_pass"].flatMap { parseCipherPass($0, layout: layout, reader: &reader) }
        let retention = required("retention").flatMap { parseRetention($0, reader: &reader) }

        var tiers: [TierRule] = []
        if let node = top["tiers"]?.value {
            if let list = node.sequence {
                for item in list {
                    guard let entries = reader.mapping(item, context: "a tier", allowed: ["after", "storage_class"]) else { continue }
                    guard let after = entries["after"], let cls = entries["storage_class"] else {
                        reader.fail(item, "tier is incomplete, expected both 'after' and 'storage_class'")
                        continue
                    }
                    guard let age = reader.duration(after.value, "after"), let target = reader.storageClass(cls.value, "storage_class") else { continue }
                    guard let coldness = target.coldness, coldness > 0 else {
                        reader.fail(cls.value, "tier class \(target) is not colder than STANDARD, expected STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE")
                        continue
                    }
                    if let last = tiers.last, !(age > last.after && coldness > (last.storageClass.coldness ?? 0)) {
                        reader.fail(item, "tier \(age) \(target) does not follow \(last.after) \(last.storageClass), expected tiers by increasing age, each colder than the one before")
                        continue
                    }
                    tiers.append(TierRule(after: age, storageClass: target))
                }
            } else {
                reader.fail(node, "tiers is \(YAMLReader.kind(node)), expected a list of {after: <duration>, storage_class: <class>}")
            }
        }

        var upload = UploadSpec()
        if let node = top["upload"]?.value, let entries = reader.mapping(node, context: "upload", allowed: ["storage_class", "key"]) {
            if let cls = entries["storage_class"] {
                if let value = reader.storageClass(cls.value, "upload.storage_class") { upload.storageClass = value }
            } else {
                reader.fail(node, "upload has no storage_class, expected e.g. storage_class: STANDARD")
            }
            if let keyNode = entries["key"]?.value, let text = reader.string(keyNode, "upload.key") {
                do {
                    let template = try KeyTemplate(parsing: text)
                    if let prefix, !template.literalPrefix.hasPrefix(prefix) {
                        reader.fail(keyNode, "upload key '\(text)' does not start with the prefix '\(prefix)', expected a template for keys under the prefix")
                    } else {
                        upload.key = template
                    }
                } catch {
                    reader.fail(keyNode, error.message)
                }
            }
        } else if top["upload"] == nil, case .template(let template)? = layout {
            upload.key = template
        }
        if upload.key == nil, case .template(let template)? = layout { upload.key = template }

        let expectEvery = top["expect_every"].flatMap { reader.duration($0.value, "expect_every") }
        let abortAfter = top["abort_incomplete_after"].flatMap { reader.duration($0.value, "abort_incomplete_after") } ?? .days(7)
        var noncurrentAfter: PolicyDuration?
        if let node = top["noncurrent"]?.value {
            if node.scalar?.string == "keep" {
                noncurrentAfter = nil
            } else if node.mapping != nil, let entries = reader.mapping(node, context: "noncurrent", allowed: ["expire_after"]) {
                if let after = entries["expire_after"] {
                    noncurrentAfter = reader.duration(after.value, "noncurrent.expire_after")
                } else {
                    reader.fail(node, "noncurrent has no expire_after, expected 'noncurrent: keep' or 'noncurrent: {expire_after: 7d}'")
                }
            } else if node.mapping == nil {
                reader.fail(node, "noncurrent is '\(node.scalar?.string ?? YAMLReader.kind(node))', expected 'keep' or a mapping {expire_after: <duration>}")
            }
        }
        var guards = GuardSettings()
        if let node = top["guards"]?.value, let entries = reader.mapping(node, context: "guards", allowed: ["max_delete_fraction", "future_tolerance"]) {
            if let fraction = entries["max_delete_fraction"], let value = reader.fraction(fraction.value, "max_delete_fraction") {
                guards.maxDeleteFraction = value
            }
            if let tolerance = entries["future_tolerance"], let value = reader.duration(tolerance.value, "guards.future_tolerance") {
                guards.futureTolerance = value
            }
        }

        let acknowledged = top["acknowledge_lifecycle_rules"].map { parseAcknowledgedRules($0.value, reader: &reader) } ?? []

        guard reader.errors.count == before, let component, let prefix, let layout, let retention else { return nil }
        var policy = Policy(
            component: component, prefix: prefix, layout: layout, timeZone: zone, retention: retention, tiers: tiers,
            upload: upload, expectEvery: expectEvery, guards: guards, abortIncompleteAfter: abortAfter,
            noncurrentExpireAfter: noncurrentAfter, cipherPass: cipherPass, sourcePath: file.path)
        policy.acknowledgedLifecycleRules = acknowledged
        return (policy, componentNode, prefixNode)
    }

    /// `acknowledge_lifecycle_rules: [ID, ...]`: bucket lifecycle rule ids, each 1 to 255
    /// characters as S3 allows, none a Strata rule id (`strata-...`, which the sweep checks
    /// against what it renders instead).
    static func parseAcknowledgedRules(_ node: Node, reader: inout YAMLReader) -> [String] {
        guard let list = node.sequence else {
            reader.fail(node, "acknowledge_lifecycle_rules is \(YAMLReader.kind(node)), expected a list of lifecycle rule ids")
            return []
        }
        var ids: [String] = []
        for item in list {
            guard let id = reader.string(item, "a lifecycle rule id") else { continue }
            guard (1...255).contains(id.count) else {
                reader.fail(item, "lifecycle rule id of \(id.count) characters, expected 1 to 255")
                continue
            }
            guard !id.hasPrefix("strata-") else {
                reader.fail(item, "'\(id)' is a Strata rule id, expected the id of a rule Strata did not write (Strata's own rules need no acknowledgement)")
                continue
            }
            ids.append(id)
        }
        return ids
    }

    /// `cipher_pass: {file: PATH}` or `{env: NAME}`: where an encrypted pgBackRest repository's
    /// passphrase is. A scalar is refused: a passphrase written into a policy is a leaked secret.
    static func parseCipherPass(_ entry: (key: Node, value: Node), layout: Policy.Layout?, reader: inout YAMLReader) -> SecretSource? {
        if case .template? = layout {
            reader.fail(entry.key, "cipher_pass is only meaningful with layout: pgbackrest, expected no cipher_pass for a template layout")
            return nil
        }
        let node = entry.value
        guard node.mapping != nil else {
            // A scalar here is likely the passphrase itself: described, never echoed.
            let what = node.scalar != nil ? "a value (not shown: it may be the passphrase)" : YAMLReader.kind(node)
            reader.fail(node, "cipher_pass is \(what), expected {file: PATH} or {env: NAME} naming where the passphrase is, never the passphrase itself")
            return nil
        }
        guard let entries = reader.mapping(node, context: "cipher_pass", allowed: ["file", "env"]) else { return nil }
        guard entries.count == 1 else {
            reader.fail(node, "cipher_pass has \(entries.isEmpty ? "neither" : "both") file and env, expected exactly one")
            return nil
        }
        if let file = entries["file"], let path = reader.string(file.value, "cipher_pass.file") {
            guard path.hasPrefix("/") else {
                reader.fail(file.value, "cipher_pass.file '\(path)' is not an absolute path, expected a path such as /etc/pgbackrest/cipher-pass")
                return nil
            }
            return .file(path)
        }
        if let env = entries["env"], let name = reader.string(env.value, "cipher_pass.env") {
            let valid = !name.isEmpty && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
                && !(name.utf8.first.map { $0 >= 48 && $0 <= 57 } ?? true)
            guard valid else {
                reader.fail(env.value, "cipher_pass.env '\(name)' is not an environment variable name, expected letters, digits and '_' such as PGBACKREST_REPO1_CIPHER_PASS")
                return nil
            }
            return .environment(name)
        }
        return nil
    }

    static func parseRetention(_ node: Node, reader: inout YAMLReader) -> RetentionRules? {
        guard let entries = reader.mapping(node, context: "retention", allowed: retentionKeys) else { return nil }
        var rules = RetentionRules()
        func count(_ name: String) -> Int? { entries[name].flatMap { reader.int($0.value, name, minimum: 1, maximum: YAMLReader.maximumCount) } }
        rules.keepLast = count("keep_last")
        rules.keepHourly = count("keep_hourly")
        rules.keepDaily = count("keep_daily")
        rules.keepWeekly = count("keep_weekly")
        rules.keepMonthly = count("keep_monthly")
        rules.keepYearly = count("keep_yearly")
        rules.keepWithin = entries["keep_within"].flatMap { reader.duration($0.value, "keep_within") }
        if let tagged = entries["keep_tagged"], let value = reader.bool(tagged.value, "keep_tagged") { rules.keepTagged = value }
        if let anchor = entries["anchor"], let text = reader.string(anchor.value, "anchor") {
            if let value = Policy.Anchor(rawValue: text) { rules.anchor = value } else {
                reader.fail(anchor.value, "anchor is '\(text)', expected newest or now")
            }
        }
        if !rules.hasKeepRule && entries.keys.allSatisfy({ !$0.hasPrefix("keep_") || $0 == "keep_tagged" }) {
            reader.fail(node, "retention has no keep rule, expected at least one of keep_last, keep_within, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly")
        }
        return rules
    }
}
