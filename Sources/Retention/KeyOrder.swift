import Foundation

/// S3 keys as the plan tells them apart and orders them. Swift's `String` takes two keys that
/// Unicode deems equivalent (`é` composed, and `e` with a combining accent) as one; S3 keeps them
/// as two keys, and anyone who can write to the bucket can plant the other spelling of a key.
/// Keys are told apart by their bytes, ordered by `String` order, and equivalent spellings by
/// their bytes.
enum KeyOrder {
    /// Whether `a` comes before `b`.
    static func precedes(_ a: String, _ b: String) -> Bool {
        if a != b { return a < b }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Whether `a` and `b` are the same S3 key: the same bytes.
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
}

/// A key that hashes and compares by its bytes: a dictionary key that keeps two equivalent
/// spellings apart (see ``KeyOrder``).
struct ExactKey: Hashable {
    let key: String

    static func == (a: ExactKey, b: ExactKey) -> Bool { KeyOrder.same(a.key, b.key) }

    func hash(into hasher: inout Hasher) {
        var key = key
        key.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
