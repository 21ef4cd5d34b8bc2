/// An S3 storage class, by its raw S3 name. Names this module does not know are kept verbatim
/// in `.other` so that an unfamiliar listing never crashes the planner; such objects are
/// never transitioned.
public enum StorageClass: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// `STANDARD`
    case standard
    /// `STANDARD_IA`
    case standardIA
    /// `ONEZONE_IA`
    case onezoneIA
    /// `INTELLIGENT_TIERING`
    case intelligentTiering
    /// `GLACIER_IR` (Glacier Instant Retrieval)
    case glacierIR
    /// `GLACIER` (Glacier Flexible Retrieval)
    case glacier
    /// `DEEP_ARCHIVE`
    case deepArchive
    /// `REDUCED_REDUNDANCY`
    case reducedRedundancy
    /// `EXPRESS_ONEZONE`
    case expressOnezone
    /// Any other name, kept as given.
    case other(String)

    /// Classes a policy may name, in the order they are listed in error messages.
    public static let known: [StorageClass] = [
        .standard, .standardIA, .onezoneIA, .intelligentTiering, .glacierIR, .glacier, .deepArchive,
        .reducedRedundancy, .expressOnezone,
    ]

    /// Position in `known`, for array-indexed tallies; nil for `.other`.
    var knownIndex: Int? {
        switch self {
        case .standard: 0
        case .standardIA: 1
        case .onezoneIA: 2
        case .intelligentTiering: 3
        case .glacierIR: 4
        case .glacier: 5
        case .deepArchive: 6
        case .reducedRedundancy: 7
        case .expressOnezone: 8
        case .other: nil
        }
    }

    /// Parses an S3 name; unknown names become `.other`.
    public init(rawValue: String) {
        switch rawValue {
        case "STANDARD", "": self = .standard
        case "STANDARD_IA": self = .standardIA
        case "ONEZONE_IA": self = .onezoneIA
        case "INTELLIGENT_TIERING": self = .intelligentTiering
        case "GLACIER_IR": self = .glacierIR
        case "GLACIER": self = .glacier
        case "DEEP_ARCHIVE": self = .deepArchive
        case "REDUCED_REDUNDANCY": self = .reducedRedundancy
        case "EXPRESS_ONEZONE": self = .expressOnezone
        default: self = .other(rawValue)
        }
    }

    /// Parses an S3 name from its UTF-8 bytes, as ``init(rawValue:)`` does, without building a
    /// `String` for the known names (a report names a class on each of millions of rows).
    init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        for known in Self.known where InventoryFieldBytes.equals(bytes, known.staticName) {
            self = known
            return
        }
        self.init(rawValue: InventoryFieldBytes.text(bytes))
    }

    /// The S3 name of a known class, without a `String`; `.other`'s is empty.
    private var staticName: StaticString {
        switch self {
        case .standard: "STANDARD"
        case .standardIA: "STANDARD_IA"
        case .onezoneIA: "ONEZONE_IA"
        case .intelligentTiering: "INTELLIGENT_TIERING"
        case .glacierIR: "GLACIER_IR"
        case .glacier: "GLACIER"
        case .deepArchive: "DEEP_ARCHIVE"
        case .reducedRedundancy: "REDUCED_REDUNDANCY"
        case .expressOnezone: "EXPRESS_ONEZONE"
        case .other: ""
        }
    }

    /// The S3 name.
    public var rawValue: String {
        if case .other(let name) = self { return name }
        return staticName.description
    }

    /// Whether this is one of the names S3 documents (not `.other`).
    public var isKnown: Bool {
        if case .other = self { return false }
        return true
    }

    /// How cold the class is on the transition ladder STANDARD -> STANDARD_IA -> GLACIER_IR ->
    /// GLACIER -> DEEP_ARCHIVE; `nil` for classes the planner never moves objects out of,
    /// because S3 lifecycle cannot (EXPRESS_ONEZONE) or their cost is unknown (`.other`).
    public var coldness: Int? {
        switch self {
        case .standard, .reducedRedundancy: 0
        case .standardIA, .onezoneIA, .intelligentTiering: 1
        case .glacierIR: 2
        case .glacier: 3
        case .deepArchive: 4
        case .expressOnezone, .other: nil
        }
    }

    /// Whether reading an object of this class first needs a restore request.
    public var needsRestore: Bool { self == .glacier || self == .deepArchive }

    /// The S3 name.
    public var description: String { rawValue }

    /// Orders by coldness, then by name, so sorting is total and deterministic.
    public static func < (lhs: StorageClass, rhs: StorageClass) -> Bool {
        let l = lhs.coldness ?? 99, r = rhs.coldness ?? 99
        return l != r ? l < r : lhs.rawValue < rhs.rawValue
    }

    /// Decodes the S3 name.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the S3 name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
