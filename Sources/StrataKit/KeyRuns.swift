import Foundation

/// Each key's items together, keys in ascending order of their bytes (the order S3 lists keys
/// in), each key's items in the order given: a stable sort by key bytes. What a key's versions
/// are judged in (one run per key), whatever order a server's page or an inventory report's rows
/// came in. Keys are told apart by their bytes, as S3 tells them apart, not by Swift's `String`
/// equality, which takes two spellings of an accent for one key.
enum KeyRuns {
    /// The positions of `items` in key runs (of the key `key` gives each item).
    static func order<Item>(_ items: [Item], key: (Item) -> String) -> [Int] {
        items.indices.sorted { a, b in
            let (x, y) = (key(items[a]).utf8, key(items[b]).utf8)
            return x.elementsEqual(y) ? a < b : x.lexicographicallyPrecedes(y)
        }
    }

    /// `items` in key runs; `items` themselves when already in them, with no sort.
    static func sorted<Item>(_ items: [Item], key: (Item) -> String) -> [Item] {
        let inOrder = zip(items, items.dropFirst()).allSatisfy { !key($1).utf8.lexicographicallyPrecedes(key($0).utf8) }
        guard !inOrder else { return items }
        return order(items, key: key).map { items[$0] }
    }
}
