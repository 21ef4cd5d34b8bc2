import Foundation
import S3
import Testing
@testable import StrataKit

/// A page of `ListObjectVersions` as the streaming planner needs it: each key's versions in one
/// run, keys in byte order, whatever order the server gave them in.
@Suite struct ListingKeyRunsTests {
    static func version(_ key: String, _ id: String, marker: Bool = false) -> ObjectVersion {
        ObjectVersion(key: key, versionID: id, isLatest: false, isDeleteMarker: marker, lastModified: Date(timeIntervalSince1970: 0),
                      size: 0, eTag: "", storageClass: "STANDARD")
    }

    @Test("a page with its versions first and its delete markers after (moto) comes out in key runs, each key's versions in their order")
    func versionsThenMarkers() {
        let page = [Self.version("a", "1"), Self.version("a", "2"), Self.version("b", "3"), Self.version("c", "4"),
                    Self.version("a", "5", marker: true), Self.version("c", "6", marker: true)]
        let runs = InventoryBuilder.keyRuns(page)
        #expect(runs.map(\.versionID) == ["1", "2", "5", "3", "4", "6"])
    }

    @Test("a page in key order (S3, RGW) is left as it is; keys compare as bytes")
    func inOrder() {
        let page = [Self.version("a", "1"), Self.version("a", "2", marker: true), Self.version("e\u{301}", "3"), Self.version("\u{e9}", "4")]
        #expect(InventoryBuilder.keyRuns(page).map(\.versionID) == ["1", "2", "3", "4"])
        // Out of order, the two spellings of é are two keys, ordered by their bytes.
        let shuffled = [page[3], page[2], page[1], page[0]]
        #expect(InventoryBuilder.keyRuns(shuffled).map(\.versionID) == ["2", "1", "3", "4"])
    }
}
