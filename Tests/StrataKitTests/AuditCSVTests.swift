import Foundation
import Retention
@testable import StrataKit
import Testing

/// `strata audit --format csv` opened in a spreadsheet. Issue 16, row 14: text from the bucket
/// (series, set ids, keys) that starts with `=`, `+`, `-` or `@` was written as is, and a
/// spreadsheet runs it as a formula (CSV injection,
/// <https://owasp.org/www-community/attacks/CSV_Injection>).
@Suite struct AuditCSVTests {
    static let now = Date(timeIntervalSince1970: 1_798_588_800)  // 2026-12-30T00:00:00Z
    static let policies = try! PolicySet.load(files: [PolicySource(path: "nats.yaml", contents: """
        component: nats
        prefix: nats/
        layout: "nats/{series}/{time:%Y%m%d_%H%M%S}.tar.gz"
        retention:
          keep_last: 5
        """)])

    /// The CSV of an audit of one set per series, each of one object.
    static func csv(series: [String], size: Int64 = 100, written: Date = now.addingTimeInterval(-86_400)) -> [String] {
        let objects = series.map {
            InventoryObject(key: "nats/\($0)/20261229_000000.tar.gz", size: size, lastModified: written)
        }
        let inventory = Inventory(objects: objects)
        let plan = Planner(policies: policies).plan(inventory: inventory, now: now)
        let report = AuditReport(plan: plan, inventory: inventory, pricing: .usEast1, now: now)
        return report.csv.split(separator: "\n").map(String.init)
    }

    /// (series as written to the bucket, how its `series` field reads in the CSV)
    static let fields: [(String, String)] = [
        // A series is one path segment: no '/'.
        ("=HYPERLINK(\"x.example\";\"y\")", #""'=HYPERLINK(""x.example"";""y"")""#),
        ("+1+cmd|' -C calc'!A0", #""'+1+cmd|' -C calc'!A0""#),
        ("-2+3", #""'-2+3""#),
        ("@SUM(A1)", #""'@SUM(A1)""#),
        ("\tx", #""'\x09x""#),
        ("\rx", #""'\x0dx""#),
        ("a=b", "a=b"),
        ("plain", "plain"),
        ("with,comma", #""with,comma""#),
    ]

    @Test(arguments: fields)
    func aFieldFromTheBucketCannotBeAFormula(_ series: String, _ shown: String) throws {
        let lines = Self.csv(series: [series])
        #expect(lines.count == 2)
        let row = try #require(lines.last)
        // component,set,series,key,...
        #expect(row.hasPrefix("nats,"), "\(row)")
        #expect(row.contains("," + shown + ","), "\(row)")
    }

    /// Numbers are Strata's own: a negative age (an object written after --now) stays a number.
    @Test func numbersStayNumbers() throws {
        let row = try #require(Self.csv(series: ["s"], written: Self.now.addingTimeInterval(3 * 86_400)).last)
        let fields = row.split(separator: ",", omittingEmptySubsequences: false)
        #expect(fields[5] == "100", "size")
        #expect(fields[8] == "-3", "age_days")
    }
}

/// One CSV field, as ``CSVField`` writes it.
@Suite struct CSVFieldTests {
    /// (text from outside, the field)
    static let cases: [(String, String)] = [
        ("=1+1", #""'=1+1""#), ("+1", #""'+1""#), ("-1", #""'-1""#), ("@A1", #""'@A1""#),
        ("\t=1", #""'\x09=1""#), ("\r=1", #""'\x0d=1""#), ("=\"x\"", #""'=""x""""#),
        ("vault/2026", "vault/2026"), ("a,b", #""a,b""#), ("say \"hi\"", #""say ""hi""""#),
        ("line\nbreak", #"line\x0abreak"#), ("\u{1B}[2J", #"\x1b[2J"#), (" =1", " =1"), ("", ""),
    ]

    @Test(arguments: cases)
    func text(_ text: String, _ field: String) {
        #expect(CSVField.text(text) == field)
    }

    @Test(arguments: ["-3", "0.000123", "2026-11-25T02:00:00Z", ""])
    func formattedValuesAreWrittenAsTheyAre(_ value: String) {
        #expect(CSVField.formatted(value) == value)
    }
}
