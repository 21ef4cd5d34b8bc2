import Foundation
import Retention
import S3
import StrataKit
import StrataTestSupport
import Testing

/// A dry run planned by the streaming planner, from a listing of a real bucket spooled to disk,
/// is the plan the in-memory planner makes of the same bucket: the same JSON, byte for byte, and
/// the same totals, guards and action count for the table and the metrics.
@Suite(.serialized) struct StreamedDryRunTests {
    static let now = "2026-11-25T12:00:00Z"

    /// A bucket seeded with a month of the six components' backups (tools/seed-backups).
    static func seeded(_ bucket: ScratchBucket) throws -> StrataContext {
        let servers = try TestServers.require()
        let output = try ProcessRunner(environment: [
            "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey, "AWS_REGION": servers.region,
        ]).run(["python3", RepositoryPaths.root.appendingPathComponent("tools/seed-backups").path, bucket.name,
                "--now", now, "--years", "0.1", "--endpoint", servers.rgwEndpoint])
        guard output.status == 0 else { throw HarnessError(message: "seeding failed: \(output.stderr)") }
        return try bucket.context(policies: try policies(), now: ISO8601DateFormatter().date(from: now)!)
    }

    /// The shipped policies, by file name.
    static func policies() throws -> [String: String] {
        let directory = RepositoryPaths.root.appendingPathComponent("policies")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        return try Dictionary(uniqueKeysWithValues: files.map {
            ("policies/\($0)", try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8))
        })
    }

    /// An S3 Inventory report of `bucket` as it is (of every version, with `versions`), written
    /// under `directory`, with rows for the `phantoms` too (objects that are not there), and the
    /// latest data version of each of `forgedMarkers` listed as a noncurrent delete marker;
    /// returns its manifest's path.
    static func makeReport(_ bucket: ScratchBucket, in directory: String, phantoms: [String] = [], versions: Bool = false,
                           forgedMarkers: [String] = []) throws -> String {
        let servers = try TestServers.require()
        let made = try ProcessRunner(environment: [
            "AWS_ACCESS_KEY_ID": servers.accessKey, "AWS_SECRET_ACCESS_KEY": servers.secretKey, "AWS_REGION": servers.region,
        ]).run(["python3", RepositoryPaths.fixtures.appendingPathComponent("make_inventory_report.py").path,
                servers.rgwEndpoint, bucket.name, directory + "/report"] + phantoms.flatMap { ["--phantom", $0] }
                + (versions ? ["--versions"] : []) + forgedMarkers.flatMap { ["--as-noncurrent-marker", $0] })
        try #require(made.status == 0, "making the report failed: \(made.stderr)")
        return made.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `sweep`'s dry run planned in memory and streamed (spooled to `spoolDirectory`), and the
    /// streamed plan's JSON.
    static func dryRunBothWays(_ sweep: Sweep, spoolDirectory: String) async throws -> (inMemory: Plan, streamed: StreamedPlan, json: Data) {
        let inMemory = try await sweep.run(apply: false).plan
        let streamed = try await sweep.streamedDryRun(spoolDirectory: spoolDirectory)
        var json = Data()
        try streamed.writeJSON { json.append(contentsOf: $0) }
        return (inMemory, streamed, json)
    }

    @Test("the streamed dry run equals the in-memory plan", arguments: [false, true])
    func streamedEqualsInMemory(force: Bool) async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed") { bucket in
            let context = try Self.seeded(bucket)
            let journal = try makeScratchDirectory("streamed-journal")
            defer { try? FileManager.default.removeItem(atPath: journal) }
            let sweep = Sweep(context: context, options: PlanOptions(force: force), now: context.now(), journal: .directory(journal))
            let (inMemory, streamed, json) = try await Self.dryRunBothWays(sweep, spoolDirectory: journal)
            #expect(json == (try inMemory.jsonData()))
            #expect(streamed.actionCount == inMemory.actions.count)
            #expect(streamed.summary.totals == inMemory.totals)
            #expect(streamed.summary.blockedComponents == inMemory.blockedComponents)
            #expect(inMemory.actions.contains { if case .delete = $0 { true } else { false } })
            // The spool is unnamed: nothing is left in the directory.
            #expect(try FileManager.default.contentsOfDirectory(atPath: journal).allSatisfy { !$0.hasPrefix(".strata-spool") })
        }
    }

    @Test("metrics from the streamed summary are the in-memory plan's")
    func metricsFromTheSummary() async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed-metrics") { bucket in
            let context = try Self.seeded(bucket)
            let scratch = try makeScratchDirectory("streamed-metrics")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let maker = PlanMaker(context: context)
            let summary = try await maker.makeSummary(now: context.now(), spoolDirectory: scratch)
            let inMemory = try await maker.makePlan(now: context.now()).plan
            #expect(summary.actions.isEmpty && !inMemory.actions.isEmpty)
            let sweep = MetricsTextfile.SweepSummary(at: context.now(), applied: true, done: .init(), failures: 0)
            // The registry orders its families as it likes: compare the lines.
            func lines(_ plan: Plan) -> [Substring] { MetricsTextfile.render(plan: plan, sweep: sweep).split(separator: "\n").sorted() }
            #expect(lines(summary) == lines(inMemory))
            #expect(lines(summary).contains { $0.hasPrefix("backup_size_bytes{component=\"vault\"}") })
        }
    }

    @Test("a hold on an object of an expiring set keeps the set in the streamed plan too")
    func holdsKeepSetsInTheStreamedPlan() async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed-hold") { bucket in
            let context = try Self.seeded(bucket)
            let journal = try makeScratchDirectory("streamed-hold")
            defer { try? FileManager.default.removeItem(atPath: journal) }
            let sweep = Sweep(context: context, options: PlanOptions(force: true), now: context.now(), journal: .directory(journal))
            let before = try await sweep.streamedDryRun(spoolDirectory: journal)
            let expiring = try #require(before.summary.components.first { $0.component == "falkordb" }?.sets.first { $0.decision == .expire })
            let falkordb = try #require(try context.requirePolicies().policy(named: "falkordb"))
            let key = try #require(try await bucket.keys(prefix: falkordb.prefix).first { falkordb.setID(ofKey: $0) == expiring.id })
            try await bucket.client.putObjectTagging(bucket: bucket.name, key: key, tags: [Planner.holdTag: "audit"])
            let after = try await sweep.streamedDryRun(spoolDirectory: journal)
            let held = try #require(after.summary.components.first { $0.component == "falkordb" }?.sets.first { $0.id == expiring.id })
            #expect(held.decision == .keep)
            #expect(held.reasons.contains { $0.kind == .tagged })
            var json = Data()
            try after.writeJSON { json.append(contentsOf: $0) }
            #expect(json == (try await sweep.run(apply: false).plan.jsonData()))
        }
    }

    @Test("a dry run from an inventory report streams the plan the in-memory planner makes of it")
    func reportDryRunEqualsInMemory() async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed-report") { bucket in
            let context = try Self.seeded(bucket)
            let out = try makeScratchDirectory("streamed-report")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let manifest = try Self.makeReport(bucket, in: out)
            // The report is made now: its age is judged by the clock, the plan is for the seeded instant.
            let clock = try bucket.context(policies: try Self.policies(), now: Date())
            var sweep = Sweep(context: clock, options: PlanOptions(force: true), now: context.now(), journal: .directory(out))
            sweep.source = .report(.file(manifest), maximumAge: 1e9)
            let inMemory = try await sweep.run(apply: false).plan
            let streamed = try await sweep.streamedDryRun(spoolDirectory: out)
            var json = Data()
            try streamed.writeJSON { json.append(contentsOf: $0) }
            #expect(json == (try inMemory.jsonData()))
            #expect(inMemory.actions.count > 10)
        }
    }

    @Test("an unknown component stops a streamed dry run before anything is read")
    func unknownComponent() async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed-unknown") { bucket in
            let context = try Self.seeded(bucket)
            let sweep = Sweep(context: context, options: PlanOptions(components: ["mongodb"]), now: context.now(),
                              journal: .directory(NSTemporaryDirectory()))
            await #expect { try await sweep.streamedDryRun() } throws: { error in
                (error as? StrataError)?.kind == .configuration && "\(error)".contains("unknown component mongodb")
            }
        }
    }

    @Test("a versioned bucket's listing is planned key by key: the in-memory plan, its table and its metrics")
    func versionedBucketPlansTheSame() async throws {
        try await ScratchBucket.with(.rgw, purpose: "streamed-v") { bucket in
            try await bucket.client.putBucketVersioning(bucket.name, enabled: true)
            let context = try Self.seeded(bucket)
            // Overwritten keys, deleted keys (delete markers), and a whole set hidden.
            var keys: [String] = []
            for try await page in bucket.client.listObjects(bucket: bucket.name, prefix: "") { keys += page.objects.map(\.key) }
            let vault = keys.filter { $0.hasPrefix("vault/") }.sorted()
            let qdrant = keys.filter { $0.hasPrefix("qdrant/") }.sorted()
            try #require(vault.count > 4 && qdrant.count > 4)
            for key in [vault[0], vault[2], qdrant[1]] { try await bucket.client.putObject(bucket: bucket.name, key: key, body: Array("again".utf8)) }
            for key in [vault[1], vault[vault.count - 1], qdrant[3]] { try await bucket.client.deleteObject(bucket: bucket.name, key: key) }
            let scratch = try makeScratchDirectory("streamed-v")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let sweep = Sweep(context: context, options: PlanOptions(), now: context.now(), journal: .directory(scratch))
            let (inMemory, streamed, json) = try await Self.dryRunBothWays(sweep, spoolDirectory: scratch)
            #expect(json == (try inMemory.jsonData()))
            #expect(streamed.actionCount == inMemory.actions.count)
            #expect(PlanTable.render(streamed.summary, maxSetsPerComponent: 12) == PlanTable.render(inMemory, maxSetsPerComponent: 12))
            // The bucket has what the comparison is for.
            #expect(inMemory.components.contains { !$0.noncurrent.isEmpty })
            #expect(inMemory.components.contains { !$0.hiddenSets.isEmpty })
            let summary = try await PlanMaker(context: context).makeSummary(now: context.now(), spoolDirectory: scratch)
            let metrics = MetricsTextfile.SweepSummary(at: context.now(), applied: true, done: .init(), failures: 0)
            func lines(_ plan: Plan) -> [Substring] { MetricsTextfile.render(plan: plan, sweep: metrics).split(separator: "\n").sorted() }
            #expect(lines(summary) == lines(inMemory))
        }
    }
}
