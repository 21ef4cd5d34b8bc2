import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// `strata audit` is written as it is made, from the streaming planner's spool: the same bytes, in
/// every format, as the report built in memory from the whole listing. On moto, for archived
/// objects with and without a restored copy, in a bucket without versioning and in one with
/// overwritten keys and a delete marker (whose kept noncurrent versions are rows too).
@Suite(.enabled(if: TestServers.shouldRun, "needs tools/s3-server (moto)"))
struct StreamedAuditTests {
    static let policy = """
        component: falkordb
        prefix: falkordb/
        layout: "falkordb/{series}/{time:%Y%m%d_%H%M%S}/dump.rdb"
        retention:
          keep_last: 3
        """
    static let now = Date(timeIntervalSince1970: 1_795_593_600)  // 2026-11-25T08:00:00Z
    /// Series as written to the bucket: one with text a terminal acts on, one not ASCII.
    static let series = ["graph", "tab\there", "grüße"]
    static let stamps = ["20261121_020000", "20261122_020000", "20261123_020000", "20261124_020000"]

    static func key(_ series: String, _ stamp: String) -> String { "falkordb/\(series)/\(stamp)/dump.rdb" }

    /// Four sets per series: the oldest expires (in STANDARD: moto refuses the hold check's
    /// GetObjectTagging on an archived object), the next two are archived and one of those restored.
    static func seed(_ bucket: ScratchBucket, versioned: Bool = false) async throws -> StrataContext {
        _ = try TestServers.require()
        if versioned { try await bucket.client.putBucketVersioning(bucket.name, enabled: true) }
        for series in series {
            for (index, stamp) in stamps.enumerated() {
                try await bucket.client.putObject(bucket: bucket.name, key: key(series, stamp), body: testBytes(count: 1_000 + index, seed: 7),
                                                  options: PutOptions(storageClass: (1...2).contains(index) ? "GLACIER" : "STANDARD"))
            }
            _ = try await bucket.client.restoreObject(bucket: bucket.name, key: key(series, stamps[1]), days: 2, tier: .standard)
            guard versioned else { continue }
            // An archived set written again (its archived version now noncurrent), and the
            // newest set's key deleted (a delete marker over it).
            try await bucket.client.putObject(bucket: bucket.name, key: key(series, stamps[2]), body: testBytes(count: 500, seed: 8))
            try await bucket.client.deleteObject(bucket: bucket.name, key: key(series, stamps[3]))
        }
        return try bucket.context(policies: ["falkordb.yaml": policy], now: now)
    }

    /// The audit in memory, as `strata audit` made it of a versioned bucket before it streamed.
    static func inMemory(_ context: StrataContext) async throws -> AuditReport {
        var maker = PlanMaker(context: context)
        maker.documentFailure = .planWithout
        let (plan, inventory) = try await maker.makePlan(now: now)
        var restoreStates: [String: RestoreStatus?] = [:]
        for object in inventory.objects where object.isCurrent && object.storageClass.needsRestore {
            restoreStates[object.key] = try await context.client.headObject(bucket: context.bucket, key: object.key).restore
        }
        return AuditReport(plan: plan, inventory: inventory, pricing: .usEast1, now: now, restoreStates: restoreStates)
    }

    @Test(arguments: [false, true]) func streamedAuditEqualsTheReportInMemoryInEveryFormat(versioned: Bool) async throws {
        try await ScratchBucket.with(.moto, purpose: "streamed-audit") { bucket in
            let context = try await Self.seed(bucket, versioned: versioned)
            var report = try await Self.inMemory(context)
            report.strataFiles = try await StrataFiles(context: context).tally()
            // The premise: kept archived rows, one restored, and an expired set left out. In the
            // versioned bucket the hidden newest set keeps the oldest one too (live sets are
            // judged with the hidden ones as well), and its data version, its marker and the
            // archived noncurrent version are rows.
            #expect(report.rows.count == Self.series.count * (versioned ? 6 : 3))
            #expect(report.rows.contains { $0.restore.hasPrefix("restored until") })
            #expect(report.rows.contains { $0.restore == "archived" })
            #expect(!report.rows.contains { $0.key.contains(Self.stamps[0]) } || versioned)
            #expect(report.rows.contains { $0.set == "(noncurrent)" } == versioned)
            #expect(report.rows.contains { $0.set == "(delete marker)" || $0.set.hasPrefix("(hidden") } == versioned)
            let json = String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self) + "\n"
            for (format, expected) in [(AuditWriter.Format.table, report.table), (.csv, report.csv), (.json, json)] {
                var written = ""
                try await AuditReport.writeStreamed(maker: PlanMaker(context: context), now: Self.now, format: format) {
                    written += $0
                }
                #expect(firstDifference(Data(written.utf8), Data(expected.utf8)) == nil, "\(format)")
            }
        }
    }
}

/// ``AuditWriter`` writes a report's rows, one at a time, as the report in memory prints them.
@Suite struct AuditWriterTests {
    static let now = Date(timeIntervalSince1970: 1_798_588_800)  // 2026-12-30T00:00:00Z

    static func row(_ key: String, restore: String = "not archived", size: Int64 = 100, reasons: [String] = ["keep_last 5 (policies/x.yaml)"]) -> AuditReport.Row {
        AuditReport.Row(component: key.split(separator: "/").first.map(String.init) ?? "", set: "2026-12-29T00:00:00Z", series: "", key: key,
                        versionID: nil, size: size, storageClass: restore == "not archived" ? "STANDARD" : "GLACIER", targetClass: nil,
                        ageDays: 1, restore: restore, lock: nil, reasons: reasons, projectedExpiry: now.addingTimeInterval(86_400 * 9),
                        monthlyCost: Double(size) * 1e-9)
    }

    static let reports: [[AuditReport.Row]] = [
        [],
        [row("vault/a")],
        [row("nats/\u{1b}[2Jx", size: 5_000_000_000), row("nats/b\u{202e}c", restore: "restored until Sat, 02 Jan 2027 00:00:00 GMT"),
         row("nats/z", restore: "archived", reasons: ["keep_last 5 (policies/nats.yaml)", "keep_daily 7 (policies/nats.yaml)"]),
         row("vault/ü", size: Int64.max)],
    ]

    static func written(_ rows: [AuditReport.Row], _ format: AuditWriter.Format) throws -> String {
        var text = ""
        var writer = try AuditWriter(format: format, generatedAt: now) { text += $0 }
        for row in rows { try writer.write(row) }
        try writer.finish()
        return text
    }

    @Test("each format, row by row, equals the report's", arguments: reports)
    func rowByRowEqualsTheReport(rows: [AuditReport.Row]) throws {
        var totals = AuditReport.TotalsTally()
        for row in rows { totals.add(row) }
        let report = AuditReport(generatedAt: Self.now, rows: rows, totals: totals.totals)
        #expect(try Self.written(rows, .csv) == report.csv)
        #expect(try Self.written(rows, .table) == report.table)
        #expect(try Self.written(rows, .json) == String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self) + "\n")
        // The JSON reads back as the report.
        let decoded = try JSONCoding.decoder.decode(AuditReport.self, from: Data(try Self.written(rows, .json).utf8))
        #expect(decoded.rows == rows)
    }

    @Test func totalsSaturateInsteadOfTrapping() {
        var totals = AuditReport.TotalsTally()
        totals.add(Self.row("vault/a", size: Int64.max))
        totals.add(Self.row("vault/b", size: Int64.max))
        #expect(totals.totals.map(\.bytes) == [Int64.max])
        #expect(totals.totals.map(\.objects) == [2])
    }
}
