import Foundation

/// A deterministic, realistic inventory of the six default components, for benchmarks and tests:
/// pgBackRest (weekly full + daily incr at 02:00 UTC, WAL every 15 minutes, `backup.info`),
/// FalkorDB hourly, Qdrant daily per collection, NATS hourly per stream, Temporal daily per
/// namespace, Vault daily. Pure: builds values only.
public struct SyntheticInventory: Sendable {
    /// The objects and incomplete uploads.
    public var inventory: Inventory
    /// `backup.info` text by key, as the executor would fetch it.
    public var documents: [String: String]

    /// Builds `days` days of backups ending at `end`, sizing pgBackRest sets so the total is about
    /// `targetObjects` objects (at least 4 files per pgBackRest set).
    public static func make(end: Date, days: Int, targetObjects: Int) -> SyntheticInventory {
        let endSeconds = Int64(end.timeIntervalSince1970) / 3_600 * 3_600
        let hours = days * 24
        var objects: [InventoryObject] = []
        objects.reserveCapacity(targetObjects + 1_000)
        func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
        func size(_ n: Int, _ base: Int64) -> Int64 { base + Int64((n &* 2_654_435_761) & 0xFFFF) * (base / 65_536 + 1) }
        let templates = (
            falkor: try? KeyTemplate(parsing: "falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb"),
            qdrant: try? KeyTemplate(parsing: "qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot"),
            nats: try? KeyTemplate(parsing: "nats/{series}/{time:%Y%m%d_%H%M%S}.tar.gz"),
            temporal: try? KeyTemplate(parsing: "temporal/{series}/{time:%Y%m%d_%H%M%S}.export"),
            vault: try? KeyTemplate(parsing: "vault/{time:%Y%m%d_%H%M%S}.snap"))

        for h in 0..<hours {
            let t = endSeconds - Int64(h) * 3_600
            if let falkor = templates.falkor {
                objects.append(InventoryObject(key: compact(falkor.render(date: date(t))), size: size(h, 50 << 20), lastModified: date(t + 60), storageClass: .standardIA))
            }
            for stream in ["MIND_EVENTS", "MIND_COMMANDS", "MIND_AUDIT"] {
                if let nats = templates.nats {
                    objects.append(InventoryObject(key: compact(nats.render(date: date(t), series: stream)), size: size(h, 8 << 20), lastModified: date(t + 30)))
                }
            }
        }
        for d in 0..<days {
            let t = (endSeconds / 86_400 - Int64(d)) * 86_400 + 3 * 3_600
            for collection in ["mind_memories", "mind_patterns", "mind_decisions"] {
                if let qdrant = templates.qdrant {
                    objects.append(InventoryObject(key: compact(qdrant.render(date: date(t), series: collection)), size: size(d, 200 << 20), lastModified: date(t + 120)))
                }
            }
            for namespace in ["default", "mind-workflows", "mind-batch"] {
                if let temporal = templates.temporal {
                    objects.append(InventoryObject(key: compact(temporal.render(date: date(t), series: namespace)), size: size(d, 4 << 20), lastModified: date(t + 60)))
                }
            }
            if let vault = templates.vault {
                objects.append(InventoryObject(key: compact(vault.render(date: date(t))), size: size(d, 96 << 10), lastModified: date(t + 10)))
            }
        }

        // pgBackRest: one set per day, a full every Sunday, incrementals between.
        let base = "postgresql/backup/mind/"
        let others = objects.count
        let walPerDay = 96
        let pgFiles = max(4, (targetObjects - others - days * walPerDay - 6) / max(days, 1))
        var info = "[backrest]\nbackrest-format=5\nbackrest-version=\"2.45\"\n\n[backup:current]\n"
        var currentFull = ""
        var prior = ""
        var chain: [String] = []
        let firstDay = endSeconds / 86_400 - Int64(days) + 1
        for dayNumber in firstDay..<(firstDay + Int64(days)) {
            let start = dayNumber * 86_400 + 2 * 3_600
            let stamp = Self.stamp(start)
            let weekday = ((dayNumber + 3) % 7 + 7) % 7
            let label: String
            if currentFull.isEmpty || weekday == 6 {
                label = stamp + "F"
                currentFull = label
                chain = [label]
            } else {
                label = currentFull + "_" + stamp + "I"
            }
            let segment = UInt64(dayNumber - firstDay) * UInt64(walPerDay) + 8
            let type = label.hasSuffix("F") ? "full" : "incr"
            let references = type == "full" ? "null" : "[" + chain.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            info += "\(label)={\"backup-archive-start\":\"\(Self.segmentName(segment))\",\"backup-archive-stop\":\"\(Self.segmentName(segment + 1))\","
                + "\"backup-prior\":\(type == "full" ? "null" : "\"\(prior)\""),\"backup-reference\":\(references),\"backup-type\":\"\(type)\"}\n"
            if type == "incr" { chain.append(label) }
            prior = label
            let modified = date(start + 600)
            for file in 0..<(pgFiles - 2) {
                objects.append(InventoryObject(key: compact("\(base)\(label)/pg_data/base/16384/\(16_384 + file).gz"), size: size(file, 1 << 20), lastModified: modified))
            }
            objects.append(InventoryObject(key: compact("\(base)\(label)/backup.manifest"), size: 300_000, lastModified: modified))
            objects.append(InventoryObject(key: compact("\(base)\(label)/backup.manifest.copy"), size: 300_000, lastModified: modified))
            for w in 0..<walPerDay {
                let name = Self.segmentName(segment + UInt64(w))
                objects.append(InventoryObject(key: compact("postgresql/archive/mind/15-1/\(name.prefix(16))/\(name)-\(String(repeating: "a", count: 40)).gz"),
                                               size: 16 << 20, lastModified: date(start + Int64(w) * 900)))
            }
        }
        for name in ["backup/mind/backup.info", "backup/mind/backup.info.copy", "archive/mind/archive.info", "archive/mind/archive.info.copy"] {
            objects.append(InventoryObject(key: compact("postgresql/" + name), size: 4_096, lastModified: date(endSeconds)))
        }
        let uploads = [MultipartUploadRecord(key: "falkordb/partial/dump.rdb", uploadID: "u1", initiated: date(endSeconds - 10 * 86_400))]
        return SyntheticInventory(inventory: Inventory(objects: objects, uploads: uploads), documents: [base + "backup.info": info])
    }

    /// A copy whose storage is exactly as long as the text, as a listing parser decoding bytes
    /// would produce (interpolation leaves spare capacity, which would inflate the benchmark).
    static func compact(_ text: String) -> String {
        var text = text
        return text.withUTF8 { source in
            String(unsafeUninitializedCapacity: source.count) { target in
                _ = target.initialize(from: source)
                return source.count
            }
        }
    }

    static func stamp(_ seconds: Int64) -> String {
        let days = CivilTime.floorDiv(seconds, 86_400)
        let rest = seconds - days * 86_400
        let (y, m, d) = CivilTime.civilFromDays(days)
        return "\(CivilTime.pad(y, 4))\(CivilTime.pad(m, 2))\(CivilTime.pad(d, 2))-\(CivilTime.pad(rest / 3600, 2))\(CivilTime.pad(rest / 60 % 60, 2))\(CivilTime.pad(rest % 60, 2))"
    }

    static func segmentName(_ position: UInt64) -> String {
        let hex = String(position, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        return "00000001" + padded.prefix(8) + padded.suffix(8)
    }
}
