import Foundation
import NIOHTTP1
import Retention
import S3
import StrataKit
import StrataTestSupport
import Testing

/// Issue 16, row 15, as a sweep meets it on the real RGW: objects a transition cannot copy as
/// they are stay in their class, each a failure line naming the key, and the other transitions
/// are made.
@Suite(.enabled(if: TestServers.shouldRun, "local S3 servers not configured: run tools/test"), .serialized)
struct TransitionRefusalSweepTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T...
    static let policy = """
        component: vault
        prefix: vault/
        layout: "vault/{time:%Y%m%d_%H%M%S}.snap"
        retention:
          keep_last: 10
        tiers:
          - after: 30d
            storage_class: STANDARD_IA
        """
    static let plain = "vault/20260901_020000.snap"
    /// Encrypted by RGW with a customer-provided key: its HEAD without the key answers 400.
    static let sealed = "vault/20260902_020000.snap"
    /// Described by its HEAD (through the proxy) as an SSE-C object, as a lenient server might.
    static let describedSealed = "vault/20260903_020000.snap"
    static let body = [UInt8](repeating: 0x42, count: 256 * 1024)

    @Test func anObjectThatCannotBeCopiedAsItIsStaysAndTheRestMove() async throws {
        let servers = try TestServers.require()
        try await ScratchBucket.with(.rgw, purpose: "transition-refused") { bucket in
            for key in [Self.plain, Self.describedSealed] {
                try await bucket.client.putObject(bucket: bucket.name, key: key, body: Self.body)
            }
            let put = try ProcessRunner(environment: [
                "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey,
                "AWS_DEFAULT_REGION": servers.region,
            ]).run(["python3", "-c", """
                import boto3, sys
                s3 = boto3.client("s3", endpoint_url=sys.argv[1])
                s3.put_object(Bucket=sys.argv[2], Key=sys.argv[3], Body=b"B" * 262144,
                              SSECustomerAlgorithm="AES256", SSECustomerKey=b"k" * 32)
                """, servers.rgwEndpoint, bucket.name, Self.sealed])
            try #require(put.status == 0, "\(put.stderr)")

            try await FaultProxy.with(upstream: servers.rgwEndpoint, chooser: { head in
                head.method == .HEAD && head.uri.hasSuffix(Self.describedSealed)
                    ? .addAnswerHeaders(["x-amz-server-side-encryption-customer-algorithm": "AES256"]) : .forward
            }) { _, url in
                var configuration = bucket.client.configuration
                configuration.endpoint = try S3Endpoint(url: url)
                let credentials = EnvironmentCredentialProvider(environment: [
                    "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey])
                try await S3Client.withClient(configuration: configuration, credentials: credentials,
                                              logger: ScratchBucket.logger) { client in
                    let set = try PolicySet.load(files: [PolicySource(path: "vault.yaml", contents: Self.policy)])
                    let context = StrataContext(client: client, bucket: bucket.name, policies: set,
                                                logger: ScratchBucket.logger, now: { Self.now })
                    let maker = PlanMaker(context: context)
                    let plan = try await maker.makePlan(now: Self.now).plan
                    let moves = plan.actions.compactMap { if case .transition(let key, _, _, _) = $0 { key } else { nil } }
                    #expect(moves.sorted() == [Self.plain, Self.sealed, Self.describedSealed])
                    let journal = SweepJournal(context: context, location: .directory(try makeScratchDirectory("transition-refused")))
                    let outcome = try await SweepExecutor(context: context).apply(plan: plan, runID: "refused", journal: journal) {
                        let (fresh, inventory) = try await maker.makePlan(now: Self.now)
                        return SweepExecutor.Replanned(plan: fresh, inventory: inventory)
                    }
                    #expect(outcome.done.transitions == 1)
                    #expect(outcome.failures.count == 2, "\(outcome.failures)")
                    #expect(outcome.failures.contains { $0.hasPrefix("transition \(Self.sealed) ") && $0.contains("SSE-C") })
                    #expect(outcome.failures.contains {
                        $0 == "transition \(Self.describedSealed) to STANDARD_IA: \(CopyRefusal.customerProvidedKey(key: Self.describedSealed))"
                    })
                }
            }
            var classes: [String: String] = [:]
            for try await page in bucket.client.listObjects(bucket: bucket.name, prefix: "vault/") {
                for object in page.objects { classes[object.key] = object.storageClass }
            }
            #expect(classes == [Self.plain: "STANDARD_IA", Self.sealed: "STANDARD", Self.describedSealed: "STANDARD"])
        }
    }

    /// Issue 18: "applied: N transitions" counted objects already in the target class, or gone,
    /// as moved. Between planning and applying, one object is moved by hand and one deleted:
    /// one transition is made, and the other two are counted apart.
    @Test func onlyObjectsThatMovedAreCountedAsTransitions() async throws {
        try await ScratchBucket.with(.rgw, purpose: "transition-count") { bucket in
            let keys = ["vault/20260901_020000.snap", "vault/20260902_020000.snap", "vault/20260903_020000.snap"]
            for key in keys { try await bucket.client.putObject(bucket: bucket.name, key: key, body: Self.body) }
            let context = try bucket.context(policies: ["vault.yaml": Self.policy], now: Self.now)
            let maker = PlanMaker(context: context)
            let plan = try await maker.makePlan(now: Self.now).plan
            let planned = plan.actions.filter { if case .transition = $0 { true } else { false } }
            #expect(planned.count == 3)
            try await bucket.client.transition(bucket: bucket.name, key: keys[1], to: "STANDARD_IA")
            try await bucket.client.deleteObject(bucket: bucket.name, key: keys[2])
            let outcome = try await SweepExecutor(context: context).applyReplanning(plan, maker: maker, now: Self.now,
                                                                                    runID: "transition-count")
            #expect(outcome.done.transitions == 1)
            #expect(outcome.done.transitionsAlreadyThere == 1)
            #expect(outcome.done.transitionsGone == 1)
            #expect(outcome.failures.isEmpty)
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: keys[0]).storageClass == "STANDARD_IA")
        }
    }

    /// Issue 18: RGW answers a copy to a storage class its placement lacks (ONEZONE_IA here)
    /// with a bare InvalidArgument. The failure says the server does not offer the class and
    /// names the policy that asks for it; the object stays where it is.
    @Test func aStorageClassTheServerDoesNotOfferIsNamedWithItsPolicy() async throws {
        try await ScratchBucket.with(.rgw, purpose: "transition-class") { bucket in
            let key = "vault/20260901_020000.snap"
            try await bucket.client.putObject(bucket: bucket.name, key: key, body: Self.body)
            let policy = Self.policy.replacingOccurrences(of: "STANDARD_IA", with: "ONEZONE_IA")
            let context = try bucket.context(policies: ["vault.yaml": policy], now: Self.now)
            let maker = PlanMaker(context: context)
            let plan = try await maker.makePlan(now: Self.now).plan
            let outcome = try await SweepExecutor(context: context).applyReplanning(plan, maker: maker, now: Self.now,
                                                                                    runID: "transition-class")
            #expect(outcome.done.transitions == 0)
            #expect(outcome.failures == [
                "transition \(key) to ONEZONE_IA: the server does not offer storage class ONEZONE_IA, which policy vault (vault.yaml) asks for (InvalidArgument 400)"])
            #expect(try await bucket.client.headObject(bucket: bucket.name, key: key).storageClass == "STANDARD")
        }
    }
}
