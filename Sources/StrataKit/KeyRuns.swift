import Foundation

/// Each key's items together, keys in ascending order of their bytes (the order S3 lists keys
/// in), each key's items in the order given: a stable sort by key bytes. What a key's versions
/// are judged in (one run per key), whatever order a server's page or an inventory report's rows
/// came in. Keys are told apart by their bytes, as S3 tells them apart, not by Swift's `String`
/// equality, which takes two spellings of an accent for one key.
enum KeyRuns {
    /// The positions of `items` in key runs (of the key `key` gives each item).
    static func order<Item>(_ items: [Item], key: (Item) -> String) -> [Int] {
        // The keys taken out once, contiguous: the sort compares them about n log n times.
        let keys = items.map { item in
            var key = key(item)
            key.makeContiguousUTF8()
            return key
        }
        return keys.indices.sorted { a, b in
            let order = compare(keys[a], keys[b])
            return order == 0 ? a < b : order < 0
        }
    }

    /// The byte order of two keys' UTF-8: negative, zero or positive.
    static func compare(_ a: String, _ b: String) -> Int {
        var (a, b) = (a, b)
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let shared = min(x.count, y.count)
                let order = shared == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, shared)
                return order != 0 ? Int(order) : x.count - y.count
            }
        }
    }

    /// `items` in key runs; `items` themselves when already in them, with no sort.
    static func sorted<Item>(_ items: [Item], key: (Item) -> String) -> [Item] {
        let inOrder = zip(items, items.dropFirst()).allSatisfy { compare(key($0), key($1)) <= 0 }
        guard !inOrder else { return items }
        return order(items, key: key).map { items[$0] }
    }
}
