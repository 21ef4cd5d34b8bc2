import Foundation
import Retention
@testable import StrataKit
import StrataTestSupport
import Testing

/// Deletions sorted on disk come back in S3's key order, and two plans' deletions merge into
/// exactly those both make, whatever the run length: what the streamed executor deletes.
@Suite struct DeletionSorterTests {
    /// Random refs: keys from a small alphabet (so plans share many), some with versions, some
    /// with multi-byte characters.
    static func refs(_ count: Int, seed: UInt64) -> [DeletionRef] {
        var generator = SplitMix(seed: seed)
        let parts = ["a", "b", "é", "e\u{301}", "/", "z", "0", "漢"]
        return (0..<count).map { _ in
            let key = (0..<Int.random(in: 1...6, using: &generator)).map { _ in parts.randomElement(using: &generator)! }.joined()
            let version = Bool.random(using: &generator) ? nil : String(Int.random(in: 0...3, using: &generator))
            let reported = Bool.random(using: &generator) ? nil
                : ReportedIdentity(eTag: Bool.random(using: &generator) ? nil : "etag-\(key)",
                                   lastModified: Date(timeIntervalSince1970: Double(Int.random(in: 0...(1 << 40), using: &generator)) / 3),
                                   isDeleteMarker: Bool.random(using: &generator))
            return DeletionRef(key: key, versionID: version, reported: reported)
        }
    }

    /// The refs as byte strings, for an order and an equality that are plainly S3's.
    static func bytes(_ ref: DeletionRef) -> [UInt8] { Array(ref.key.utf8) + [0] + (ref.versionID.map { [1] + Array($0.utf8) } ?? []) }

    static func sorted(_ refs: [DeletionRef], runLength: Int) throws -> [DeletionRef] {
        let directory = NSTemporaryDirectory()
        let sorter = DeletionSorter(directory: directory, runLength: runLength)
        for ref in refs { try sorter.add(ref) }
        try sorter.finish()
        var iterator = try sorter.makeIterator()
        var out: [DeletionRef] = []
        while let ref = try iterator.next() { out.append(ref) }
        return out
    }

    @Test("sorted into byte order of key, then version", arguments: [1, 7, 100, 1_000_000])
    func sortsIntoByteOrder(runLength: Int) throws {
        let refs = Self.refs(3_000, seed: UInt64(runLength))
        let out = try Self.sorted(refs, runLength: runLength)
        #expect(out.map(Self.bytes) == refs.map(Self.bytes).sorted { $0.lexicographicallyPrecedes($1) })
        // What a report said of each deletion travels with it, exact, through runs on disk.
        #expect(Set(out) == Set(refs))
    }

    @Test("a precomposed and a decomposed accent are two keys")
    func canonicallyEquivalentKeysStayApart() {
        let precomposed = DeletionRef(key: "caf\u{E9}", versionID: nil), decomposed = DeletionRef(key: "cafe\u{301}", versionID: nil)
        #expect(precomposed.key == decomposed.key)  // Swift's String equality says one
        #expect(!DeletionRef.same(precomposed, decomposed))
    }

    @Test("the agreement is the intersection; the rest of the proposal is skipped", arguments: [1, 13, 1_000_000])
    func agreementIsTheIntersection(runLength: Int) throws {
        // Unique refs per plan, as a plan's deletions are.
        func unique(_ refs: [DeletionRef]) -> [DeletionRef] {
            var seen = Set<[UInt8]>()
            return refs.filter { seen.insert(Self.bytes($0)).inserted }
        }
        let proposed = unique(Self.refs(2_000, seed: 1)), fresh = unique(Self.refs(2_000, seed: 2))
        let directory = NSTemporaryDirectory()
        let a = DeletionSorter(directory: directory, runLength: runLength), b = DeletionSorter(directory: directory, runLength: runLength)
        for ref in proposed { try a.add(ref) }
        for ref in fresh { try b.add(ref) }
        try a.finish()
        try b.finish()
        var agreement = DeletionAgreement()
        var agreed: [[UInt8]] = []
        try agreement.join(a, b) { agreed.append(Self.bytes($0)) }
        let expected = Set(proposed.map(Self.bytes)).intersection(fresh.map(Self.bytes))
        #expect(agreed == expected.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(agreement.agreed == expected.count)
        #expect(agreement.skipped == proposed.count - expected.count)
        #expect(!expected.isEmpty)
    }
}
