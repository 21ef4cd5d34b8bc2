import Foundation
import Retention

extension FuzzTargets {
    /// `policy-yaml`: policy files, as `strata lint` and every command load them.
    ///
    /// Input: up to four YAML files separated by NUL bytes (so cross-file checks run too), read
    /// with ``PolicySet/load(files:)``. A set that loads is linted and planned over a small
    /// inventory of keys rendered from its own layouts, so absurd but accepted values (huge
    /// durations, odd time zones) reach the code that computes with them.
    @Sendable public static func policyYAML(_ data: [UInt8]) {
        let parts = data.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        let files = parts.enumerated().map { index, bytes in
            PolicySource(path: "policies/fuzz\(index).yaml", contents: String(decoding: bytes, as: UTF8.self))
        }
        let policies: PolicySet
        do {
            policies = try PolicySet.load(files: files)
        } catch {
            _ = error.description
            return
        }
        _ = Lint(policies: policies).run()
        var objects: [InventoryObject] = []
        for policy in policies.policies {
            let keys: [String]
            switch policy.layout {
            case .template(let template):
                keys = (0..<12).map { day in
                    template.render(date: now.addingTimeInterval(Double(-day * 86_400 * 7)), series: "s", file: "f",
                                    zone: policy.timeZone)
                }
            case .pgbackrest(let stanza):
                keys = ["backup/\(stanza)/backup.info", "backup/\(stanza)/20251101-020000F/backup.manifest",
                        "archive/\(stanza)/17-1/0000000100000000/000000010000000000000001-0123456789abcdef0123456789abcdef01234567.gz"]
                    .map { policy.prefix + $0 }
            }
            for (index, key) in keys.enumerated() {
                objects.append(InventoryObject(key: key, size: Int64(index) * 1_000_000,
                                               lastModified: now.addingTimeInterval(Double(-index * 86_400 * 7))))
            }
        }
        let plan = Planner(policies: policies).plan(inventory: Inventory(objects: objects), now: now)
        _ = plan.totals
    }

    /// `key-template`: a layout's key template and the S3 keys matched against it.
    ///
    /// Input: the template on the first line, then up to 16 keys, one a line (each cut to 1,024
    /// bytes, S3's limit). A template that parses matches every key in UTC and in
    /// `Europe/Berlin` (DST gaps and overlaps), and each match is rendered back.
    @Sendable public static func keyTemplate(_ data: [UInt8]) {
        let lines = lines(data, limit: 17)
        guard let first = lines.first else { return }
        let template: KeyTemplate
        do {
            template = try KeyTemplate(parsing: first)
        } catch {
            _ = error.message
            return
        }
        _ = template.literalPrefix
        for line in lines.dropFirst() {
            let key = String(decoding: line.utf8.prefix(1024), as: UTF8.self)
            for zone in [PolicyTimeZone.utc, berlin] {
                guard let match = template.match(key, zone: zone) else { continue }
                _ = template.render(date: Date(timeIntervalSince1970: Double(match.epochSeconds)), series: match.series,
                                    file: "f", zone: zone)
            }
        }
    }

    /// A zone with daylight saving time.
    static let berlin = PolicyTimeZone(TimeZone(identifier: "Europe/Berlin") ?? TimeZone(secondsFromGMT: 3600)!)

    /// `inventory-manifest`: the `manifest.json` of an S3 Inventory report.
    ///
    /// Input: the JSON document, read with ``S3InventoryManifest/parse(_:file:)``; an accepted
    /// manifest's columns open a CSV reader, as `sweep --inventory` does.
    @Sendable public static func inventoryManifest(_ data: [UInt8]) {
        guard let manifest = try? S3InventoryManifest.parse(Data(data), file: "manifest.json") else { return }
        _ = manifest.creationDate
        _ = try? S3InventoryCSV(columns: manifest.columns, file: manifest.files[0].key)
    }

    /// `inventory-csv`: the rows of an S3 Inventory CSV data file.
    ///
    /// Input: the manifest's `fileSchema` on the first line (comma-separated column names), then
    /// the CSV data. The data is read twice, in one piece and in 7-byte chunks (as gzip output
    /// arrives); both readings must give the same objects or the same error.
    @Sendable public static func inventoryCSV(_ data: [UInt8]) {
        let newline = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        let columns = String(decoding: data[..<newline], as: UTF8.self)
            .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let body = Array(data[min(newline + 1, data.endIndex)...])
        func read(chunk: Int) -> Result<[InventoryObject], S3InventoryError> {
            do {
                var reader = try S3InventoryCSV(columns: columns, file: "data.csv")
                var start = 0
                while start < body.count {
                    let end = min(start + chunk, body.count)
                    try reader.consume(body[start..<end])
                    start = end
                }
                try reader.finish()
                return .success(reader.objects)
            } catch let error as S3InventoryError {
                return .failure(error)
            } catch {
                preconditionFailure("S3InventoryCSV threw \(type(of: error)), expected S3InventoryError")
            }
        }
        let whole = read(chunk: max(body.count, 1))
        let chunked = read(chunk: 7)
        precondition(whole == chunked, "S3InventoryCSV reads the same bytes differently in 7-byte chunks")
    }

    /// `planner`: a whole plan, as `strata sweep` makes it, from a policy, an inventory and an
    /// instant that all come from outside.
    ///
    /// Input: three parts separated by NUL bytes: one policy file (YAML); an S3 Inventory CSV
    /// whose first line names the columns (as `inventory-csv`); and `now` as decimal seconds
    /// since 1970, cut to the years `--now` accepts (1970 to 9999), 2026-11-25 when missing.
    /// A policy that loads and rows that read are planned, then the plan is checked: nothing
    /// traps; every deletion names a version the inventory holds; no current object of a kept
    /// set is deleted; the deletions of components the plan does not block keep every series at
    /// its floor (``DeletionFloor``); sums are not negative.
    @Sendable public static func planner(_ data: [UInt8]) {
        let parts = data.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return }
        let source = PolicySource(path: "policies/fuzz.yaml", contents: String(decoding: parts[0], as: UTF8.self))
        guard let policies = try? PolicySet.load(files: [source]) else { return }
        guard let objects = csvObjects(Array(parts[1])) else { return }
        let seconds = parts.count > 2 ? Double(String(decoding: parts[2].prefix(32), as: UTF8.self)) : nil
        let latest = 253_402_300_799.0  // 9999-12-31T23:59:59Z
        let now = seconds.map { Date(timeIntervalSince1970: $0.isFinite ? min(max($0, 0), latest).rounded(.down) : 0) } ?? Self.now
        let inventory = Inventory(objects: objects)
        let plan = Planner(policies: policies).plan(inventory: inventory, now: now)
        checkPlan(plan, inventory: inventory, policies: policies, now: now)
    }

    /// The rows of `data` (columns on the first line), `nil` when they do not read.
    static func csvObjects(_ data: [UInt8]) -> [InventoryObject]? {
        let newline = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
        let columns = String(decoding: data[..<newline], as: UTF8.self)
            .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard var reader = try? S3InventoryCSV(columns: columns, file: "data.csv") else { return nil }
        guard (try? reader.consume(data[min(newline + 1, data.endIndex)...])) != nil, (try? reader.finish()) != nil else { return nil }
        return reader.objects
    }

    /// The planner's promises, checked on one plan.
    static func checkPlan(_ plan: Plan, inventory: Inventory, policies: PolicySet, now: Date) {
        struct Version: Hashable { var key: String; var versionID: String? }
        func version(_ key: String, _ versionID: String?) -> Version {
            Version(key: key, versionID: versionID == "null" ? nil : versionID)
        }
        var current = Set<Version>(), held = Set<Version>()
        for object in inventory.objects {
            held.insert(version(object.key, object.versionID))
            if object.isCurrent { current.insert(version(object.key, object.versionID)) }
        }
        let kept = Set(plan.components.flatMap { $0.sets.filter { $0.decision == .keep }.flatMap(\.members) })
        for case .delete(let key, let versionID, _) in plan.actions {
            let named = version(key, versionID)
            precondition(held.contains(named), "a deletion of a version the inventory does not hold: \(key)")
            precondition(!(current.contains(named) && kept.contains(key)), "the current object of a kept set is deleted: \(key)")
        }
        let blocked = Set(plan.blockedComponents.map(\.component))
        let made = plan.actions.removingDeletions(of: blocked, policies: policies)
        let violations = DeletionFloor(policies: policies).violations(actions: made, inventory: inventory, now: now)
        precondition(violations.isEmpty, "below the floor: \(violations)")
        precondition(plan.totals.deleteBytes >= 0 && plan.totals.transitionBytes >= 0)
        _ = plan.cost
    }

    /// `pgbackrest-label`: backup labels and repository keys of a pgBackRest policy.
    ///
    /// Input: up to 64 lines; each is read as a label (`20250102-020000F_20250103-020000D`), in
    /// UTC and in `Europe/Berlin`, and classified as a key under the repository
    /// (`backup/mind/<label>/backup.manifest`, `archive/mind/.../<segment>`), stanza `mind`.
    @Sendable public static func pgBackRestLabel(_ data: [UInt8]) {
        for line in lines(data, limit: 64) {
            for zone in [PolicyTimeZone.utc, berlin] {
                _ = PgBackRest.Label(line, zone: zone)
            }
            _ = PgBackRest.classify(Substring(line), stanza: "mind")
        }
    }

    /// `pgbackrest-manifest`: the INI documents pgBackRest writes, whose values are JSON.
    ///
    /// Input: one document, read both as a `backup.manifest` (its `[backup]` section) and as
    /// `backup.info` (one JSON object per set under `[backup:current]`).
    @Sendable public static func pgBackRestManifest(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        _ = PgBackRest.parseManifest(text)
        _ = PgBackRest.parseBackupInfo(text)
    }
}
