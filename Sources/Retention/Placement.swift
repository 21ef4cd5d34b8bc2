import Foundation

/// One object's place in a plan, as the streaming planner's second pass finds it: which set (or
/// the log) of which component it belongs to and what the plan does to it. Sorted by
/// ``precedes(_:_:)``, placements give the plan's actions and its sets' members in the order the
/// in-memory planner writes them; reasons are not carried, the outline has them per set.
public struct Placement: Sendable, Hashable {
    /// What the plan does to the object.
    public enum Action: Sendable, Hashable {
        /// Nothing: a member listed in its set.
        case none
        /// Delete it (its version, in a versioned bucket).
        case delete
        /// Copy it onto itself in a colder class.
        case transition(from: StorageClass, to: StorageClass)
    }

    /// Position of the component in the plan.
    public var component: Int
    /// Position of the set in the component's plan, or the component's set count for a log
    /// object (log deletions follow every set's actions).
    public var group: Int
    /// The object key.
    public var key: String
    /// The version, in a versioned bucket.
    public var versionID: String?
    /// Whether the object is listed among its set's members (current members are).
    public var isMember: Bool
    /// Its size, for the totals of what the actions delete and move.
    public var size: Int64
    /// What the plan does to it.
    public var action: Action
    /// What the inventory report said the object is, carried with a deletion planned from a
    /// report so that the executor can check, just before deleting, that the key still holds it
    /// (``ReportedIdentity``); `nil` otherwise.
    public var reported: ReportedIdentity?
    /// Whether the object is a delete marker: deleting one frees nothing, so it is not counted
    /// among the plan's deletions.
    public var isDeleteMarker = false
    /// In a versioned bucket, the position of a noncurrent version's entry among its key's
    /// (oldest first): the order the plan lists them in.
    public var rank: UInt32 = 0
    /// In a versioned bucket, the entry of a noncurrent version or delete marker no set's
    /// deletion takes: the plan lists it (``ComponentPlan/noncurrent``), and its action follows
    /// its decision.
    public var noncurrent: NoncurrentVersion?

    /// Creates a placement.
    public init(component: Int, group: Int, key: String, versionID: String?, isMember: Bool, size: Int64, action: Action) {
        self.component = component
        self.group = group
        self.key = key
        self.versionID = versionID
        self.isMember = isMember
        self.size = size
        self.action = action
    }

    /// The plan's order: component, group, then key, rank and version as the in-memory planner
    /// sorts them (keys as ``KeyOrder`` orders them, a missing version as empty).
    public static func precedes(_ a: Placement, _ b: Placement) -> Bool {
        if a.component != b.component { return a.component < b.component }
        if a.group != b.group { return a.group < b.group }
        if !KeyOrder.same(a.key, b.key) { return KeyOrder.precedes(a.key, b.key) }
        if a.rank != b.rank { return a.rank < b.rank }
        return (a.versionID ?? "") < (b.versionID ?? "")
    }
}
