import Foundation
import StrataKit
import Testing

/// The sweep lease's decisions, as a rule table: what acquiring does given what `.strata/lock`
/// holds, and where a run stands given the record read back after a write or at a fence check.
struct SweepLeaseRuleTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func record(_ runID: String, expiresIn seconds: TimeInterval) -> SweepLease.Record {
        SweepLease.Record(holder: "host:1", runID: runID, acquiredAt: now.addingTimeInterval(-600),
                          expiresAt: now.addingTimeInterval(seconds))
    }

    /// One row: what the GET found (`nil`: no object; a nil record: an object that is not a lease).
    struct AcquireCase: Sendable, CustomTestStringConvertible {
        var name: String
        var observed: SweepLease.Observed?
        var expected: SweepLease.AcquireStep
        var testDescription: String { name }
    }

    static let acquireCases: [AcquireCase] = [
        AcquireCase(name: "no lease: create", observed: nil, expected: .create),
        AcquireCase(name: "another run's live lease: refuse without writing",
                    observed: .init(record: record("other", expiresIn: 60), eTag: "e1"), expected: .refuse(record("other", expiresIn: 60))),
        AcquireCase(name: "another run's expired lease: take over that version",
                    observed: .init(record: record("other", expiresIn: -1), eTag: "e2"), expected: .takeOver(eTag: "e2")),
        AcquireCase(name: "a lease expiring this instant is expired",
                    observed: .init(record: record("other", expiresIn: 0), eTag: "e3"), expected: .takeOver(eTag: "e3")),
        AcquireCase(name: "an object that is not a lease: take over that version",
                    observed: .init(record: nil, eTag: "e4"), expected: .takeOver(eTag: "e4")),
        AcquireCase(name: "our own record (a lost answer that landed): confirm",
                    observed: .init(record: record("ours", expiresIn: 60), eTag: "e5"), expected: .confirm),
    ]

    @Test(arguments: acquireCases)
    func acquireStep(_ row: AcquireCase) {
        #expect(SweepLease.step(for: row.observed, runID: "ours", now: Self.now) == row.expected)
    }

    /// One row of the read-back rule.
    struct StandingCase: Sendable, CustomTestStringConvertible {
        var name: String
        var observed: SweepLease.Observed?
        var expected: SweepLease.Standing
        var testDescription: String { name }
    }

    static let standingCases: [StandingCase] = [
        StandingCase(name: "our run id: held", observed: .init(record: record("ours", expiresIn: 60), eTag: "e1"),
                     expected: .held(record("ours", expiresIn: 60), eTag: "e1")),
        StandingCase(name: "our run id, expired: still held (nobody took it over)",
                     observed: .init(record: record("ours", expiresIn: -5), eTag: "e2"),
                     expected: .held(record("ours", expiresIn: -5), eTag: "e2")),
        StandingCase(name: "another run id: lost to it", observed: .init(record: record("other", expiresIn: 60), eTag: "e3"),
                     expected: .lost(to: record("other", expiresIn: 60))),
        StandingCase(name: "not a lease: lost", observed: .init(record: nil, eTag: "e4"), expected: .lost(to: nil)),
        StandingCase(name: "no object: absent (released or unlocked)", observed: nil, expected: .absent),
    ]

    @Test(arguments: standingCases)
    func standing(_ row: StandingCase) {
        #expect(SweepLease.standing(of: row.observed, runID: "ours") == row.expected)
    }

    @Test func theDefaultLeaseIsRenewedEveryMinute() {
        #expect(SweepLease.Timing(ttl: 180).renewEvery == .seconds(60))
        #expect(SweepLease.Timing(ttl: 180).settle == .seconds(1))
    }
}
