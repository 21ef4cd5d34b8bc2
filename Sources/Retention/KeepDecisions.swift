import Foundation

/// The keep verdicts of one component's sets, live and hidden, series by series.
///
/// Two kinds of set never compete for the rules' slots in a way that could cost a real backup
/// its place:
/// - A **future-dated** set (its time after `now` + `future_tolerance`) is kept and counts for
///   no rule: it is not the `keep_within` anchor, holds no `keep_last` or calendar slot, and is
///   not the series' newest. restic anchors keep-within on the newest snapshot that is not in the
///   future for the same reason.
/// - A **hidden** set (delete markers over every key, data versions behind them) is judged
///   together with the live sets, so a hidden backup the policy would keep is kept. Live sets
///   are judged once without the hidden ones too, and a live set is kept if either judgement
///   keeps it: delete markers placed by someone else can only keep more, never less.
struct KeepDecisions {
    /// The verdicts, index for index with the grouping's `sets` and `hidden`.
    var live: [KeepEvaluator.Verdict]
    var hidden: [KeepEvaluator.Verdict]
    /// Whether each live / hidden set is future-dated.
    var liveFuture: [Bool]
    var hiddenFuture: [Bool]

    /// Decides every set of `grouping`. `candidate` reads a set's tags and locks.
    init(grouping: SetGrouping, evaluator: KeepEvaluator, futureCutoff: Int64,
         candidate: (SetRecord) -> KeepEvaluator.Candidate) {
        live = Array(repeating: .init(), count: grouping.sets.count)
        hidden = Array(repeating: .init(), count: grouping.hidden.count)
        liveFuture = grouping.sets.map { $0.epoch > futureCutoff }
        hiddenFuture = grouping.hidden.map { $0.epoch > futureCutoff }
        var bySeries: [String: (live: [Int], hidden: [Int])] = [:]
        for (i, set) in grouping.sets.enumerated() { bySeries[set.series, default: ([], [])].live.append(i) }
        for (i, set) in grouping.hidden.enumerated() { bySeries[set.series, default: ([], [])].hidden.append(i) }
        for (_, members) in bySeries {
            decideSeries(live: members.live, hidden: members.hidden, grouping: grouping, evaluator: evaluator, candidate: candidate)
        }
        for i in live.indices where liveFuture[i] { live[i] = Self.futureVerdict(grouping.sets[i], cutoff: futureCutoff, now: evaluator.now) }
        for i in hidden.indices where hiddenFuture[i] { hidden[i] = Self.futureVerdict(grouping.hidden[i], cutoff: futureCutoff, now: evaluator.now) }
    }

    /// A member of one series: live or hidden, and its index there.
    private enum Member: Hashable {
        case live(Int)
        case hidden(Int)
    }

    private mutating func decideSeries(live liveMembers: [Int], hidden hiddenMembers: [Int], grouping: SetGrouping,
                                       evaluator: KeepEvaluator, candidate: (SetRecord) -> KeepEvaluator.Candidate) {
        func record(_ member: Member) -> SetRecord {
            switch member {
            case .live(let i): grouping.sets[i]
            case .hidden(let i): grouping.hidden[i]
            }
        }
        func newestFirst(_ members: [Member]) -> [Member] {
            members.sorted {
                let a = record($0), b = record($1)
                return a.epoch != b.epoch ? a.epoch > b.epoch : a.id > b.id
            }
        }
        let liveOnly = newestFirst(liveMembers.filter { !liveFuture[$0] }.map(Member.live))
        for (member, verdict) in zip(liveOnly, evaluator.evaluate(liveOnly.map { candidate(record($0)) })) {
            if case .live(let i) = member { live[i] = verdict }
        }
        let hiddenPresent = hiddenMembers.filter { !hiddenFuture[$0] }
        guard !hiddenPresent.isEmpty else { return }
        let all = newestFirst(liveOnly + hiddenPresent.map(Member.hidden))
        for (member, verdict) in zip(all, evaluator.evaluate(all.map { candidate(record($0)) })) {
            switch member {
            case .live(let i): live[i].merge(verdict)
            case .hidden(let i): hidden[i] = verdict
            }
        }
    }

    private static func futureVerdict(_ set: SetRecord, cutoff: Int64, now: Int64) -> KeepEvaluator.Verdict {
        var verdict = KeepEvaluator.Verdict()
        let tolerance = PolicyDuration(seconds: max(cutoff &- now, 1))
        verdict.reasons.append(KeepReason(.future, "dated \(CivilTime.iso8601(set.epoch)), more than future_tolerance \(tolerance) after now: kept, counts for no rule"))
        verdict.expiry = KeepEvaluator.indefinite
        return verdict
    }
}

extension KeepEvaluator.Verdict {
    /// Adds `other`'s reasons (without repeating one) and keeps the later expiry.
    mutating func merge(_ other: KeepEvaluator.Verdict) {
        for reason in other.reasons where !reasons.contains(reason) { reasons.append(reason) }
        if !other.reasons.isEmpty { extend(other.expiry) }
    }
}
