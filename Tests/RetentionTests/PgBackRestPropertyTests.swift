import Foundation
import PropertyBased
import Testing
@testable import Retention

/// pgBackRest properties: whatever the chain and the rules, a kept set can be restored.
@Suite struct PgBackRestPropertyTests {
    static let now = Fixtures.date("2026-11-25T12:00:00Z")
    /// One backup per day, going back in time: 0 = full, 1 = diff, 2 = incr; the oldest becomes a full.
    static let chainGen = Gen.int(in: 0...2).array(of: 1...40)
    /// keep_last, keep_within (days), keep_weekly, keep_yearly; 0 = off.
    static let rulesGen = Gen.int(in: 0...4).array(of: 4)

    struct Chain {
        var objects: [InventoryObject] = []
        var info = "[backup:current]\n"
        /// Label -> WAL range.
        var ranges: [String: ClosedRange<UInt64>] = [:]
    }

    static func chain(_ kinds: [Int]) -> Chain {
        var chain = Chain()
        var full = "", prior = ""
        var references: [String] = []
        let days = kinds.count
        for (i, rawKind) in kinds.reversed().enumerated() {
            let day = Self.now.addingTimeInterval(Double(i - days) * 86_400)
            let stamp = String(CivilTime.iso8601(Int64(day.timeIntervalSince1970)).filter(\.isNumber).prefix(8)) + "-020000"
            let kind = full.isEmpty ? 0 : rawKind
            let label: String
            switch kind {
            case 0: label = stamp + "F"; full = label; references = []
            case 1: label = full + "_" + stamp + "D"; references = [full]
            default: label = full + "_" + stamp + "I"; references = Array(Set(references + [prior])).sorted()
            }
            let priorOfThis = kind == 0 ? nil : (kind == 1 ? full : prior)
            let start = UInt64(i * 10 + 1), stop = UInt64(i * 10 + 2)
            chain.ranges[label] = start...stop
            let refs = kind == 0 ? "null" : "[" + references.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            chain.info += "\(label)={\"backup-archive-start\":\"\(SyntheticInventory.segmentName(start))\",\"backup-archive-stop\":\"\(SyntheticInventory.segmentName(stop))\",\"backup-prior\":\(priorOfThis.map { "\"\($0)\"" } ?? "null"),\"backup-reference\":\(refs),\"backup-type\":\"\(["full", "diff", "incr"][kind])\"}\n"
            if kind == 1 { references = [full] }
            prior = label
            chain.objects += PgBackRestTests.setObjects(label)
        }
        for position in 0...UInt64(days * 10 + 5) { chain.objects.append(PgBackRestTests.wal(position)) }
        return chain
    }

    static func rules(_ v: [Int]) -> RetentionRules {
        var rules = RetentionRules(keepLast: v[0] == 0 ? nil : v[0], keepWithin: v[1] == 0 ? nil : .days(Int64(v[1] * 3)),
                                   keepWeekly: v[2] == 0 ? nil : v[2], keepYearly: v[3] == 0 ? nil : v[3])
        if !rules.hasKeepRule { rules.keepLast = 1 }
        return rules
    }

    @Test func keptSetsKeepWhatTheyNeedToRestore() async throws {
        await propertyCheck(input: Self.chainGen, Self.rulesGen, Gen.bool) { kinds, values, withInfo in
            let chain = Self.chain(kinds)
            let planner = Planner(policies: try PgBackRestTests.policies(Self.rules(values)))
            let documents = withInfo ? [PgBackRestTests.base + "backup.info": chain.info] : [:]
            let plan = planner.plan(inventory: Inventory(objects: chain.objects), now: Self.now, documents: documents)
            let kept = Set(Fixtures.kept(plan))
            let deleted = Set(plan.actions.compactMap { if case .delete(let key, _, _) = $0 { key } else { nil } })
            for label in kept {
                let full = String(label.prefix(16))
                #expect(kept.contains(full), "\(label) needs its full \(full)")
                if label.hasSuffix("I") {
                    // Every older set of the chain up to this one: the prior incrementals and their diff.
                    // The full, the last diff before this incr, and every incr after that diff.
                    let older = plan.components[0].sets.map(\.id).filter { $0.hasPrefix(full) && $0 < label }
                    let lastDiff = older.last { $0.hasSuffix("D") } ?? full
                    let needed = older.filter { $0 >= lastDiff || $0 == full }
                    for dependency in needed { #expect(kept.contains(dependency), "\(label) needs \(dependency)") }
                }
                // Its WAL range survives.
                if let range = chain.ranges[label] {
                    for position in range {
                        let name = SyntheticInventory.segmentName(position)
                        #expect(!deleted.contains { $0.contains("/\(name)-") }, "WAL \(name) of kept \(label)")
                    }
                }
            }
            if !withInfo { #expect(!deleted.contains { $0.contains("/archive/") }, "no WAL deleted without backup.info") }
        }
    }
}
