import Foundation

/// What a plan's table shows of a component's noncurrent versions: how many, their bytes, how
/// many expire, and the first few entries in the plan's order. A streamed plan counts it as its
/// entries are placed, without holding them.
public struct NoncurrentSummary: Sendable, Hashable {
    /// How many entries the table lists.
    public static let previewLength = 10

    /// Entries (versions and delete markers).
    public private(set) var count = 0
    /// Their bytes (saturating).
    public private(set) var bytes: Int64 = 0
    /// Entries whose decision is to expire.
    public private(set) var expiring = 0
    /// The first ``previewLength`` entries in the plan's order.
    public private(set) var first: [NoncurrentVersion] = []
    /// Each previewed entry's rank among its key's versions, for the order.
    private var ranks: [UInt32] = []

    /// An empty summary.
    public init() {}

    /// Equal when what the table shows is (the ranks only order the preview).
    public static func == (a: NoncurrentSummary, b: NoncurrentSummary) -> Bool {
        (a.count, a.bytes, a.expiring) == (b.count, b.bytes, b.expiring) && a.first == b.first
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(bytes)
        hasher.combine(expiring)
        hasher.combine(first)
    }

    /// The summary of `entries`, in the plan's order.
    public init(_ entries: [NoncurrentVersion]) {
        count = entries.count
        bytes = entries.saturatingSum(\.size)
        expiring = entries.count { $0.decision == .expire }
        first = Array(entries.prefix(Self.previewLength))
    }

    /// Counts `entry`, the `rank`th of its key's entries, met in any order of keys.
    mutating func add(_ entry: NoncurrentVersion, rank: UInt32) {
        count += 1
        bytes = bytes.saturatingAdd(entry.size)
        if entry.decision == .expire { expiring += 1 }
        func precedes(_ i: Int) -> Bool {
            KeyOrder.same(entry.key, first[i].key) ? rank < ranks[i] : KeyOrder.precedes(entry.key, first[i].key)
        }
        guard first.count < Self.previewLength || precedes(first.count - 1) else { return }
        let at = first.indices.first(where: precedes) ?? first.count
        first.insert(entry, at: at)
        ranks.insert(rank, at: at)
        if first.count > Self.previewLength {
            first.removeLast()
            ranks.removeLast()
        }
    }
}
