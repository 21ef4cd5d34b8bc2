import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// `Verifier` against the local servers: objects uploaded with their checksum verify; an object
/// overwritten behind the checksum's back is corrupt; a deleted one is missing.
@Suite(.enabled(if: TestServers.shouldRun, "needs tools/s3-server (RGW)"))
struct VerifyTests {
    static let policy = """
        component: snap
        prefix: snap/
        layout: "snap/{time:%Y%m%d_%H%M%S}/{file}"
        retention:
          keep_within: 30d
        """
    static let now = Date(timeIntervalSince1970: 1_795_593_600)  // 2026-11-25T08:00:00Z
    /// Small parts so a 6 MiB file is a two-part upload.
    static let transfer = TransferConfiguration(multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024)
    static let bigSize = 6 * 1024 * 1024 + 123

    /// Two sets: `big.bin` (multipart, checksum recorded) and `small.bin` (single PUT, checksum
    /// recorded) in each; the newer set also has `plain.bin` (putObject: MD5 ETag only) and
    /// `cold.bin` in GLACIER.
    static func seed(_ bucket: ScratchBucket) async throws -> StrataContext {
        let directory = try makeScratchDirectory("verify-seed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (index, stamp) in ["20261120_020000", "20261124_020000"].enumerated() {
            for (name, size) in [("big.bin", bigSize), ("small.bin", 40_000)] {
                let path = "\(directory)/\(stamp)-\(name)"
                try Data(testBytes(count: size, seed: UInt64(index * 10 + size))).write(to: URL(fileURLWithPath: path))
                _ = try await bucket.client.uploadFile(bucket: bucket.name, key: "snap/\(stamp)/\(name)", path: path)
            }
        }
        try await bucket.client.putObject(bucket: bucket.name, key: "snap/20261124_020000/plain.bin",
                                          body: testBytes(count: 70_000, seed: 99))
        try await bucket.client.putObject(bucket: bucket.name, key: "snap/20261124_020000/cold.bin",
                                          body: testBytes(count: 1_000, seed: 98), options: PutOptions(storageClass: "GLACIER"))
        return try bucket.context(policies: ["snap.yaml": policy], now: now)
    }

    static func state(_ report: Verifier.Report, _ key: String) -> Verifier.State? {
        report.sets.flatMap(\.objects).first { $0.key == key }?.state
    }

    /// On every server: deep, each object's content matches; an archived object is not read
    /// (verify never restores) unless the server has no archive tier, where it reads as it is
    /// (issue 18). Without deep, where the server stored the CRC-32C Strata sent, it is compared
    /// with the one recorded at upload, without downloading.
    @Test(arguments: TestServer.allCases)
    func intactBucketVerifiesDeepAndArchivedObjectsAreNotChecked(server: TestServer) async throws {
        try await ScratchBucket.with(server, purpose: "verify-ok", transfer: Self.transfer) { bucket in
            let context = try await Self.seed(bucket)
            let big = try await bucket.client.headObject(bucket: bucket.name, key: "snap/20261124_020000/big.bin")
            #expect(ContentChecksum(metadata: big.metadata) != nil, "the premise: uploadFile recorded a checksum")
            var verifier = Verifier(context: context)
            verifier.deep = true
            let report = try await verifier.verify()
            #expect(report.isHealthy)
            #expect(report.sets.map(\.setID) == ["2026-11-20T02:00:00Z", "2026-11-24T02:00:00Z"])
            let objects = report.sets.flatMap(\.objects)
            #expect(objects.count == 6)
            #expect(objects.filter { $0.detail == "sha256-parts match" }.count == 4)
            #expect(objects.first { $0.key.hasSuffix("plain.bin") }?.detail == "md5-etag match")
            let cold = objects.first { $0.key.hasSuffix("cold.bin") }
            if server.lacks(.noArchiveTier) {
                #expect(cold?.state == .ok)
                #expect(cold?.detail == "md5-etag match (GLACIER reads without a restore: the server has no archive tier)")
            } else {
                #expect(cold?.state == .archived)
            }

            let shallow = try await Verifier(context: context).verify().sets.flatMap(\.objects)
            #expect(shallow.allSatisfy { $0.state == .ok })
            let byStoredChecksum = shallow.filter { $0.detail.hasSuffix("the server's stored checksum matches the upload's") }
            // Two single PUTs and two multipart uploads; moto's multipart checksums say nothing.
            let comparable = server.lacks(.ignoresChecksumHeaders) ? 0 : server.lacks(.unusableMultipartChecksums) ? 2 : 4
            #expect(byStoredChecksum.count == comparable, "\(shallow)")
        }
    }

    /// tools/bench-verify on moto: every 16 MiB object (a one-part multipart upload) was
    /// reported corrupt, because moto's checksum of a multipart object is neither S3's
    /// composite nor the content's CRC, and has no `-N`. Such a checksum is not compared.
    @Test(arguments: TestServer.allCases)
    func aOnePartMultipartUploadVerifiesOnEveryServer(server: TestServer) async throws {
        try await ScratchBucket.with(server, purpose: "verify-one-part", transfer: Self.transfer) { bucket in
            let context = try bucket.context(policies: ["snap.yaml": Self.policy], now: Self.now)
            let directory = try makeScratchDirectory("verify-one-part")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try Data(testBytes(count: 5 * 1024 * 1024, seed: 77)).write(to: URL(fileURLWithPath: directory + "/f"))
            let upload = try await bucket.client.uploadFile(bucket: bucket.name, key: "snap/20261124_020000/one.bin",
                                                            path: directory + "/f")
            // One part, uploaded as a multipart upload (its size is the threshold).
            #expect(upload.parts == 1)
            let head = try await bucket.client.headObject(bucket: bucket.name, key: "snap/20261124_020000/one.bin")
            #expect(ETag.isMultipart(head.eTag))
            let shallow = try await Verifier(context: context).verify()
            #expect(shallow.isHealthy, "\(shallow.sets)")
        }
    }

    /// Content replaced behind Strata's back, with the old object's checksum claim put back on
    /// it: where the server stored a checksum of what it holds, `verify` without `--deep` finds
    /// the difference from the HEAD alone.
    @Test(arguments: TestServer.implementations(without: .ignoresChecksumHeaders))
    func aStoredChecksumThatContradictsTheRecordedOneIsCorrupt(server: TestServer) async throws {
        try await ScratchBucket.with(server, purpose: "verify-stored", transfer: Self.transfer) { bucket in
            let context = try await Self.seed(bucket)
            let victim = "snap/20261124_020000/small.bin"
            let claim = try await bucket.client.headObject(bucket: bucket.name, key: victim).metadata
            let directory = try makeScratchDirectory("verify-stored")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try Data(testBytes(count: 40_000, seed: 12_345)).write(to: URL(fileURLWithPath: directory + "/other"))
            _ = try await bucket.client.uploadFile(bucket: bucket.name, key: victim, path: directory + "/other")
            try await bucket.client.copyObject(sourceBucket: bucket.name, sourceKey: victim, bucket: bucket.name, key: victim,
                                               replacing: PutOptions(metadata: claim))
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: victim).metadata == claim)
            let shallow = try await Verifier(context: context).verify()
            #expect(Self.state(shallow, victim) == .corrupt)
            #expect(shallow.corruptSets.map(\.setID) == ["2026-11-24T02:00:00Z"])
            #expect(Self.state(shallow, "snap/20261120_020000/small.bin") == .ok)
        }
    }

    @Test func overwrittenContentIsCorruptAndDeletedObjectIsMissing() async throws {
        try await ScratchBucket.with(.rgw, purpose: "verify-bad", transfer: Self.transfer) { bucket in
            let context = try await Self.seed(bucket)
            let plan = try await PlanMaker(context: context).makePlan(now: Self.now).plan
            // Same size, different bytes, and the old object's checksum claim copied over.
            let victim = "snap/20261120_020000/big.bin"
            let claim = try await bucket.client.headObject(bucket: bucket.name, key: victim).metadata
            var tampered = testBytes(count: Self.bigSize, seed: UInt64(Self.bigSize))
            tampered[Self.bigSize - 5] ^= 0xFF
            try await bucket.client.putObject(bucket: bucket.name, key: victim, body: tampered,
                                              options: PutOptions(metadata: claim))
            try await bucket.client.deleteObject(bucket: bucket.name, key: "snap/20261124_020000/small.bin")

            var verifier = Verifier(context: context)
            verifier.deep = true
            let report = try await verifier.verify(plan: plan)
            #expect(!report.isHealthy)
            #expect(Self.state(report, victim) == .corrupt)
            #expect(report.corruptSets.map(\.setID) == ["2026-11-20T02:00:00Z"])
            #expect(Self.state(report, "snap/20261124_020000/small.bin") == .missing)
            #expect(report.missingSets.map(\.setID) == ["2026-11-24T02:00:00Z"])
            #expect(Self.state(report, "snap/20261120_020000/small.bin") == .ok)

            // Without --deep only existence is checked: the tampered object passes.
            let shallow = try await Verifier(context: context).verify(plan: plan)
            #expect(Self.state(shallow, victim) == .ok)
            #expect(shallow.missingSets.map(\.setID) == ["2026-11-24T02:00:00Z"])
        }
    }

    /// `strata verify` of a bucket without versioning goes set by set from the streaming
    /// planner's placements: the same sets and results, in the same order, as the report in
    /// memory, with sets that straddle a batch.
    @Test(arguments: [1, 4, 1_000])
    func streamedVerificationEqualsTheReport(batchSize: Int) async throws {
        try await ScratchBucket.with(.rgw, purpose: "verify-streamed", transfer: Self.transfer) { bucket in
            let context = try await Self.seed(bucket)
            let victim = "snap/20261124_020000/big.bin"
            let claim = try await bucket.client.headObject(bucket: bucket.name, key: victim).metadata
            try await bucket.client.putObject(bucket: bucket.name, key: victim, body: testBytes(count: Self.bigSize, seed: 5),
                                              options: PutOptions(metadata: claim))
            var verifier = Verifier(context: context)
            verifier.deep = true
            verifier.batchSize = batchSize
            let report = try await verifier.verify()
            var sets: [Verifier.SetResult] = []
            var skipped: [String]?
            let tally = try await verifier.verifyStreamed(skipped: { skipped = $0 }, body: { sets.append($0) })
            #expect(sets == report.sets)
            #expect(skipped == report.skippedExpired)
            #expect(tally == Verifier.Tally(deep: true, sets: 2, objects: 6, missingSets: 0, corruptSets: 1))
            #expect(report.corruptSets.map(\.setID) == ["2026-11-24T02:00:00Z"])
        }
    }

    /// Issue 16, row 1: `strata-part-size` of 2^63-1 crashed `verify --deep`. It is reported
    /// as corrupt (no Strata upload records it), and the run goes on.
    @Test func anImplausibleRecordedPartSizeIsCorruptNotACrash() async throws {
        try await ScratchBucket.with(.rgw, purpose: "verify-planted", transfer: Self.transfer) { bucket in
            let context = try await Self.seed(bucket)
            let victim = "snap/20261124_020000/small.bin"
            var claim = try await bucket.client.headObject(bucket: bucket.name, key: victim).metadata
            claim[ContentChecksum.partSizeKey] = "9223372036854775807"
            try await bucket.client.putObject(bucket: bucket.name, key: victim, body: testBytes(count: 40_000, seed: 1),
                                              options: PutOptions(metadata: claim))
            var verifier = Verifier(context: context)
            verifier.deep = true
            let report = try await verifier.verify()
            #expect(Self.state(report, victim) == .corrupt)
            #expect(report.sets.flatMap(\.objects).first { $0.key == victim }?.detail.contains("cannot describe 40000 bytes") == true)
            #expect(Self.state(report, "snap/20261124_020000/big.bin") == .ok)
        }
    }
}
