import Foundation
import Testing
@testable import Retention

/// Key templates: the strftime subset, `{series}`, `{file}`, matched byte by byte.
@Suite struct KeyTemplateTests {
    /// Template, key, expected series and UTC time (nil: no match).
    static let matches: [(String, String, String?, String?)] = [
        ("falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb", "falkordb/20250115_120000/dump.rdb", "", "2025-01-15T12:00:00Z"),
        ("falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb", "falkordb/20250115_120000/dump.rdb.tmp", nil, nil),
        ("falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb", "falkordb/2025011_1200000/dump.rdb", nil, nil),
        ("falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb", "falkordb/20250230_120000/dump.rdb", nil, nil),
        ("falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb", "falkordb/20251315_120000/dump.rdb", nil, nil),
        ("falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb", "falkordb/20250115_250000/dump.rdb", nil, nil),
        ("qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot", "qdrant/mind_memories-2025-01-15-12-00-00.snapshot", "mind_memories", "2025-01-15T12:00:00Z"),
        ("qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot", "qdrant/mind-memories-v2-2025-01-15-12-00-00.snapshot", "mind-memories-v2", "2025-01-15T12:00:00Z"),
        ("qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot", "qdrant/a/b-2025-01-15-12-00-00.snapshot", nil, nil),
        ("qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot", "qdrant/-2025-01-15-12-00-00.snapshot", nil, nil),
        ("nats/{series}/{time:%Y%m%d_%H%M%S}.tar.gz", "nats/MIND_EVENTS/20251124_230000.tar.gz", "MIND_EVENTS", "2025-11-24T23:00:00Z"),
        ("nats/{series}_{time:%Y%m%d}.tar.gz", "nats/MIND_EVENTS_20251124.tar.gz", "MIND_EVENTS", "2025-11-24T00:00:00Z"),
        ("pg/{time:%Y%m%d}/{file}", "pg/20240229/base/1/2/3", "", "2024-02-29T00:00:00Z"),
        ("pg/{time:%Y%m%d}/{file}", "pg/20230229/base", nil, nil),
        ("pg/{time:%Y%m%d}/{file}", "pg/20240229/", nil, nil),
        ("doy/{time:%Y-%j}.bak", "doy/2024-366.bak", "", "2024-12-31T00:00:00Z"),
        ("doy/{time:%Y-%j}.bak", "doy/2023-366.bak", nil, nil),
        ("epoch/{time:%s}.bak", "epoch/1736942400.bak", "", "2025-01-15T12:00:00Z"),
        ("pct/{time:%Y%%%m%d}.bak", "pct/2025%0115.bak", "", "2025-01-15T00:00:00Z"),
    ]

    @Test(arguments: matches)
    func matchesKeys(_ template: String, _ key: String, _ series: String?, _ time: String?) throws {
        let parsed = try KeyTemplate(parsing: template)
        let result = parsed.match(key)
        #expect(result?.series == series)
        #expect(result.map { CivilTime.iso8601($0.epochSeconds) } == time)
    }

    @Test func timeIsReadInThePolicyZone() throws {
        let template = try KeyTemplate(parsing: "x/{time:%Y%m%d_%H%M%S}")
        let berlin = PolicyTimeZone(try #require(TimeZone(identifier: "Europe/Berlin")))
        #expect(template.match("x/20250115_120000", zone: berlin).map { CivilTime.iso8601($0.epochSeconds) } == "2025-01-15T11:00:00Z")
        #expect(template.match("x/20250715_120000", zone: berlin).map { CivilTime.iso8601($0.epochSeconds) } == "2025-07-15T10:00:00Z")
        // 02:30 does not exist on 2025-03-30 in Berlin: read with the offset before the gap (CET).
        #expect(template.match("x/20250330_023000", zone: berlin).map { CivilTime.iso8601($0.epochSeconds) } == "2025-03-30T01:30:00Z")
        // 02:30 happens twice on 2025-10-26: the later (CET) instant.
        #expect(template.match("x/20251026_023000", zone: berlin).map { CivilTime.iso8601($0.epochSeconds) } == "2025-10-26T01:30:00Z")
    }

    @Test(arguments: [
        "x/{time:%Y%m%d}/{series}{file}", "x/{series}/{series}/{time:%Y%m%d}", "x/{time:%Y%m%d}{time:%H}",
        "x/{time:%Y%m%d", "x/}{time:%Y%m%d}", "x/{name}/{time:%Y%m%d}", "x/{time:%Y%m%d%}", "x/{time:%Y%Y%m%d}",
        "x/{time:%s%Y}", "x/{time:%Y%j%m%d}", "x/{time:%m%d}",
    ])
    func invalidTemplatesAreRejected(_ text: String) {
        #expect(throws: TemplateError.self) { try KeyTemplate(parsing: text) }
    }

    @Test func renderIsTheInverseOfMatch() throws {
        let template = try KeyTemplate(parsing: "qdrant/{series}-{time:%Y-%m-%d-%H-%M-%S}.snapshot")
        let date = Fixtures.date("2024-02-29T23:59:58Z")
        let key = template.render(date: date, series: "mind_memories")
        #expect(key == "qdrant/mind_memories-2024-02-29-23-59-58.snapshot")
        #expect(template.match(key)?.epochSeconds == Int64(date.timeIntervalSince1970))
        #expect(try KeyTemplate(parsing: "e/{time:%s}").render(date: date) == "e/1709251198")
        #expect(try KeyTemplate(parsing: "d/{time:%Y-%j}").render(date: date) == "d/2024-060")
    }
}

/// Calendar arithmetic without `Calendar`: checked against Foundation's.
@Suite struct CivilTimeTests {
    @Test(arguments: [(1970, 1, 1), (2000, 2, 29), (2024, 2, 29), (2024, 3, 1), (2100, 3, 1), (1969, 12, 31), (2026, 11, 25)])
    func daysFromCivilMatchesFoundation(_ year: Int, _ month: Int, _ day: Int) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let date = try #require(calendar.date(from: DateComponents(year: year, month: month, day: day)))
        let days = CivilTime.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day))
        #expect(days * 86_400 == Int64(date.timeIntervalSince1970))
        #expect(CivilTime.civilFromDays(days) == (Int64(year), Int64(month), Int64(day)))
    }

    /// ISO weeks at year boundaries: the week belongs to the year of its Thursday.
    @Test(arguments: [
        ("2024-12-29T00:00:00Z", "2024-W52"), ("2024-12-30T00:00:00Z", "2025-W01"), ("2025-01-05T00:00:00Z", "2025-W01"),
        ("2021-01-03T00:00:00Z", "2020-W53"), ("2020-12-31T00:00:00Z", "2020-W53"), ("2026-12-31T00:00:00Z", "2026-W53"),
        ("2027-01-03T00:00:00Z", "2026-W53"), ("2027-01-04T00:00:00Z", "2027-W01"),
    ])
    func isoWeeks(_ time: String, _ week: String) {
        let seconds = Int64(Fixtures.date(time).timeIntervalSince1970)
        #expect(CalendarPeriod.weekly.label(CalendarPeriod.weekly.bucket(ofLocal: seconds)) == week)
    }

    @Test(arguments: CalendarPeriod.allCases)
    func periodStartsAreBucketBoundaries(_ period: CalendarPeriod) {
        for time in ["2024-02-29T13:45:00Z", "2024-12-30T00:00:00Z", "2020-12-31T23:59:59Z", "2025-06-15T06:00:00Z"] {
            let seconds = Int64(Fixtures.date(time).timeIntervalSince1970)
            let bucket = period.bucket(ofLocal: seconds)
            let start = period.start(ofBucket: bucket, plus: 0)
            let next = period.start(ofBucket: bucket, plus: 1)
            #expect(start <= seconds && seconds < next, "\(period) \(time)")
            #expect(period.bucket(ofLocal: start) == bucket)
            #expect(period.bucket(ofLocal: next) != bucket)
            #expect(period.bucket(ofLocal: start - 1) != bucket)
        }
    }
}
