import Foundation

/// What pgBackRest writes under a repository path, and how the planner reads it.
enum PgBackRest {
    /// A backup label: `20250102-020000F`, `20250102-020000F_20250103-020000D` (or `I`).
    struct Label: Sendable, Hashable {
        enum Kind: String, Sendable { case full, diff, incr }
        let text: String
        let kind: Kind
        /// Label of the full backup this one builds on (itself for a full).
        let fullLabel: String
        /// Epoch seconds of the set's own timestamp, read in `zone`.
        let epochSeconds: Int64

        init?(_ text: String, zone: PolicyTimeZone) {
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
    enum KeyKind: Sendable, Hashable {
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
    static func classify(_ relative: Substring, stanza: String) -> KeyKind {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[1] == stanza else { return .unrecognized }
        if parts[0] == "backup" {
            let name = parts[2]
            if parts.count == 3, name == "backup.info" || name == "backup.info.copy" { return .metadata }
            if name == "backup.history", parts.count >= 4 { return .metadata }
            guard parts.count >= 4, Label.isLabelShaped(name) else { return .unrecognized }
            let file = parts[3...].joined(separator: "/")
            return .setFile(label: String(name), isManifest: file == "backup.manifest" || file == "backup.manifest.copy")
        }
        guard parts[0] == "archive" else { return .unrecognized }
        if parts.count == 3 { return parts[2] == "archive.info" || parts[2] == "archive.info.copy" ? .metadata : .unrecognized }
        // archive/<stanza>/<version>-<id>/...
        if parts.count == 4, parts[3].hasSuffix(".history") { return .metadata }
        guard parts.count == 5, let position = walPosition(parts[4]), isHex(parts[3], count: 16) else { return .unrecognized }
        return .wal(position: position)
    }

    /// Position of a segment file name `<24 hex>-<sha1>[.gz|.lz4|.zst|.bz2]` or `<24 hex>.<8 hex>.backup`.
    static func walPosition<S: StringProtocol>(_ name: S) -> UInt64? {
        guard name.utf8.count >= 25 else { return nil }
        let head = name.prefix(24)
        guard isHex(head, count: 24) else { return nil }
        let separator = name.utf8[name.utf8.index(name.utf8.startIndex, offsetBy: 24)]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: ".") else { return nil }
        return segmentPosition(head)
    }

    /// Position (log << 32 | segment) of a 24-hex segment name, ignoring the timeline: comparing
    /// across timelines this way keeps more, never less.
    static func segmentPosition<S: StringProtocol>(_ name: S) -> UInt64? {
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
    struct SetInfo: Sendable, Hashable {
        var archiveStart: String?
        var archiveStop: String?
        var prior: String?
        var references: [String] = []
        var type: String?
    }

    /// Parses `backup.info`: INI, one JSON object per set under `[backup:current]`.
    static func parseBackupInfo(_ text: String) -> [String: SetInfo] {
        var result: [String: SetInfo] = [:]
        for (label, json) in iniSection(text, named: "backup:current") {
            guard let data = json.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            result[label] = setInfo(object)
        }
        return result
    }

    /// Parses the `[backup]` section of a `backup.manifest`, whose values are JSON scalars.
    static func parseManifest(_ text: String) -> SetInfo {
        var object: [String: Any] = [:]
        for (key, json) in iniSection(text, named: "backup") {
            guard let data = json.data(using: .utf8),
                  let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { continue }
            object[key] = value
        }
        return setInfo(object)
    }

    private static func setInfo(_ object: [String: Any]) -> SetInfo {
        SetInfo(
            archiveStart: object["backup-archive-start"] as? String,
            archiveStop: object["backup-archive-stop"] as? String,
            prior: object["backup-prior"] as? String,
            references: object["backup-reference"] as? [String] ?? [],
            type: object["backup-type"] as? String)
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

extension PgBackRest.Label {
    /// Cheap shape check before full parsing (16 or 33 characters starting with a digit).
    static func isLabelShaped<S: StringProtocol>(_ text: S) -> Bool {
        let count = text.utf8.count
        return (count == 16 || count == 33) && (text.utf8.first.map { $0 >= 48 && $0 <= 57 } ?? false)
    }
}
