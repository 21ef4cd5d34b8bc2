import Foundation

/// What pgBackRest writes under a repository path, and how the planner reads it.
package enum PgBackRest {
    /// A backup label: `20250102-020000F`, `20250102-020000F_20250103-020000D` (or `I`).
    package struct Label: Sendable, Hashable {
        enum Kind: String, Sendable { case full, diff, incr }
        let text: String
        let kind: Kind
        /// Label of the full backup this one builds on (itself for a full).
        let fullLabel: String
        /// Epoch seconds of the set's own timestamp, read in `zone`.
        let epochSeconds: Int64

        package init?(_ text: String, zone: PolicyTimeZone) {
            let utf8 = Array(text.utf8)
            guard utf8.count == 16 || utf8.count == 33 else { return nil }
            guard let full = Self.stamp(utf8[0..<16]), full.suffix == UInt8(ascii: "F") else { return nil }
            if utf8.count == 16 {
                kind = .full
                epochSeconds = zone.epoch(fromLocal: full.local)
            } else {
                guard utf8[16] == UInt8(ascii: "_"), let own = Self.stamp(utf8[17..<33]), own.local >= full.local else { return nil }
                switch own.suffix {
                case UInt8(ascii: "D"): kind = .diff
                case UInt8(ascii: "I"): kind = .incr
                default: return nil
                }
                epochSeconds = zone.epoch(fromLocal: own.local)
            }
            self.text = text
            fullLabel = String(decoding: utf8[0..<16], as: UTF8.self)
        }

        /// `YYYYMMDD-HHMMSS<suffix>` as wall-clock seconds.
        private static func stamp(_ bytes: ArraySlice<UInt8>) -> (local: Int64, suffix: UInt8)? {
            let b = Array(bytes)
            guard b.count == 16, b[8] == UInt8(ascii: "-") else { return nil }
            func number(_ range: Range<Int>) -> Int64? {
                var value: Int64 = 0
                for i in range {
                    guard b[i] >= 48, b[i] <= 57 else { return nil }
                    value = value * 10 + Int64(b[i] - 48)
                }
                return value
            }
            guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
                  let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
                  (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year: year, month: month),
                  hour < 24, minute < 60, second < 60 else { return nil }
            let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
            return (days * 86_400 + hour * 3_600 + minute * 60 + second, b[15])
        }
    }

    /// What a key under the repository is.
    package enum KeyKind: Sendable, Hashable {
        /// `backup.info`, `archive.info` (and copies), `backup.history/...`, timeline history files:
        /// always kept, never moved out of STANDARD.
        case metadata
        /// A file of backup set `label`; `isManifest` for `backup.manifest(.copy)`.
        case setFile(label: String, isManifest: Bool)
        /// A WAL segment (or `.backup` file) at a position (log << 32 | segment).
        case wal(position: UInt64)
        /// Anything else.
        case unrecognized
    }

    /// Classifies `relative`, the key with the policy prefix removed.
    package static func classify(_ relative: Substring, stanza: String) -> KeyKind {
        var text = String(relative)
        return text.withUTF8 { bytes in
            switch classify(bytes, from: 0, stanza: Array(stanza.utf8)) {
            case .metadata: return .metadata
            case .wal(let position): return .wal(position: position)
            case .unrecognized: return .unrecognized
            case .setFile(let range, let isManifest):
                return .setFile(label: String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self), isManifest: isManifest)
            }
        }
    }

    /// `KeyKind` with the label as a byte range, so classifying a million keys allocates nothing.
    enum RawKind {
        case metadata
        case setFile(label: Range<Int>, isManifest: Bool)
        case wal(position: UInt64)
        case unrecognized
    }

    /// Classifies the key bytes after `start` (the end of the policy prefix), scanning bytes.
    static func classify(_ key: UnsafeBufferPointer<UInt8>, from start: Int, stanza: [UInt8]) -> RawKind {
        func segment(from: Int) -> (range: Range<Int>, last: Bool) {
            var end = from
            while end < key.count, key[end] != UInt8(ascii: "/") { end += 1 }
            return (from..<end, end == key.count)
        }
        func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
            guard range.count == text.utf8CodeUnitCount else { return false }
            let pointer = text.utf8Start
            for i in 0..<range.count where key[range.lowerBound + i] != pointer[i] { return false }
            return true
        }
        let root = segment(from: start)
        guard !root.last else { return .unrecognized }
        let stanzaSegment = segment(from: root.range.upperBound + 1)
        guard !stanzaSegment.last, stanzaSegment.range.count == stanza.count,
              stanza.indices.allSatisfy({ key[stanzaSegment.range.lowerBound + $0] == stanza[$0] }) else { return .unrecognized }
        let third = segment(from: stanzaSegment.range.upperBound + 1)
        if equals(root.range, "backup") {
            if third.last {
                return equals(third.range, "backup.info") || equals(third.range, "backup.info.copy") ? .metadata : .unrecognized
            }
            let restStart = third.range.upperBound + 1
            guard restStart < key.count else { return .unrecognized }
            if equals(third.range, "backup.history") { return .metadata }
            let count = third.range.count
            guard count == 16 || count == 33, key[third.range.lowerBound] >= 48, key[third.range.lowerBound] <= 57 else { return .unrecognized }
            let rest = restStart..<key.count
            return .setFile(label: third.range, isManifest: equals(rest, "backup.manifest") || equals(rest, "backup.manifest.copy"))
        }
        guard equals(root.range, "archive") else { return .unrecognized }
        if third.last {
            return equals(third.range, "archive.info") || equals(third.range, "archive.info.copy") ? .metadata : .unrecognized
        }
        let fourth = segment(from: third.range.upperBound + 1)
        if fourth.last {
            let suffix = ".history"
            guard fourth.range.count > suffix.utf8.count else { return .unrecognized }
            let tail = (fourth.range.upperBound - suffix.utf8.count)..<fourth.range.upperBound
            return zip(tail, suffix.utf8).allSatisfy { key[$0] == $1 } ? .metadata : .unrecognized
        }
        guard fourth.range.count == 16, fourth.range.allSatisfy({ hexValue(key[$0]) != nil }) else { return .unrecognized }
        let fifth = segment(from: fourth.range.upperBound + 1)
        guard fifth.last, fifth.range.count >= 25 else { return .unrecognized }
        let separator = key[fifth.range.lowerBound + 24]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: ".") else { return .unrecognized }
        var position: UInt64 = 0
        for i in (fifth.range.lowerBound + 8)..<(fifth.range.lowerBound + 24) {
            guard let digit = hexValue(key[i]) else { return .unrecognized }
            position = position << 4 | UInt64(digit)
        }
        for i in fifth.range.lowerBound..<(fifth.range.lowerBound + 8) where hexValue(key[i]) == nil { return .unrecognized }
        return .wal(position: position)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
    }

    /// Position (log << 32 | segment) of a 24-hex segment name, ignoring the timeline: comparing
    /// across timelines this way keeps more, never less.
    package static func segmentPosition<S: StringProtocol>(_ name: S) -> UInt64? {
        guard isHex(name, count: 24) else { return nil }
        let log = UInt64(name.dropFirst(8).prefix(8), radix: 16)
        let segment = UInt64(name.dropFirst(16).prefix(8), radix: 16)
        guard let log, let segment else { return nil }
        return log << 32 | segment
    }

    static func isHex<S: StringProtocol>(_ text: S, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }
    }

    /// What `backup.info` or a manifest says about one set.
    package struct SetInfo: Sendable, Hashable {
        /// First WAL segment the set needs (`backup-archive-start`).
        package var archiveStart: String?
        /// Last WAL segment the set needs (`backup-archive-stop`).
        package var archiveStop: String?
        /// The set it was taken against (`backup-prior`).
        package var prior: String?
        /// Every other set whose files it uses (`backup-reference`).
        package var references: [String] = []
        /// full, diff or incr (`backup-type`).
        package var type: String?
        /// The database (`db-id`, the `N` of the archive id `15-N`) the set was taken of.
        package var databaseID: Int?
    }

    /// The first bytes of a file pgBackRest encrypted (OpenSSL's salted format).
    package static let encryptedMagic = "Salted__"

    /// Whether `text` is an encrypted document rather than pgBackRest's INI.
    package static func isEncrypted(_ text: String) -> Bool { text.utf8.starts(with: encryptedMagic.utf8) }

    /// Parses `backup.info`: INI, one JSON object per set under `[backup:current]`.
    package static func parseBackupInfo(_ text: String) -> [String: SetInfo] {
        var result: [String: SetInfo] = [:]
        for (label, json) in iniSection(text, named: "backup:current") {
            guard let data = json.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            result[label] = setInfo(object)
        }
        return result
    }

    /// Parses the `[backup]` section of a `backup.manifest`, whose values are JSON scalars
    /// (`backup-reference` is one comma-separated string there), and `[backup:db]`'s `db-id`:
    /// the same facts `backup.info` gives about the set.
    package static func parseManifest(_ text: String) -> SetInfo {
        var object: [String: Any] = [:]
        for (key, json) in iniSection(text, named: "backup") {
            guard let data = json.data(using: .utf8),
                  let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { continue }
            object[key] = value
        }
        if let references = object["backup-reference"] as? String {
            // The manifest's list names the set itself too; backup.info's does not.
            let own = object["backup-label"] as? String
            object["backup-reference"] = references.split(separator: ",").map(String.init).filter { $0 != own }
        }
        if let id = iniSection(text, named: "backup:db").first(where: { $0.0 == "db-id" }) {
            object["db-id"] = Int(id.1)
        }
        return setInfo(object)
    }

    private static func setInfo(_ object: [String: Any]) -> SetInfo {
        SetInfo(
            archiveStart: object["backup-archive-start"] as? String,
            archiveStop: object["backup-archive-stop"] as? String,
            prior: object["backup-prior"] as? String,
            references: object["backup-reference"] as? [String] ?? [],
            type: object["backup-type"] as? String,
            databaseID: object["db-id"] as? Int)
    }

    /// The passphrase a decrypted `backup.info`, `archive.info` or manifest gives the files that
    /// depend on it (`[cipher] cipher-pass`, a JSON string), or nil.
    package static func subPassphrase(in text: String) -> String? {
        guard let json = iniSection(text, named: "cipher").first(where: { $0.0 == "cipher-pass" })?.1,
              let value = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) as? String,
              !value.isEmpty else { return nil }
        return value
    }

    /// `text` without its `[cipher]` section: what is left holds no passphrase, so nothing that
    /// carries the document on (a plan, a log line, a test's failure message) can leak one.
    package static func removingCipherSection(_ text: String) -> String {
        var inCipher = false
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") && trimmed.hasSuffix("]") { inCipher = trimmed == "[cipher]" }
            if !inCipher { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }

    private static func iniSection(_ text: String, named name: String) -> [(String, String)] {
        var inSection = false
        var entries: [(String, String)] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                inSection = line == "[\(name)]"
                continue
            }
            guard inSection, let equals = line.firstIndex(of: "=") else { continue }
            entries.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
        return entries
    }
}
