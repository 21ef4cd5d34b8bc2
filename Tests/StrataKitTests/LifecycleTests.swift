import Foundation
import Retention
import S3
@testable import StrataKit
import StrataTestSupport
import Testing

/// What `LifecycleCompiler` makes of policies, without a server.
@Suite struct LifecycleCompilerTests {
    static func policies(_ files: [String: String]) throws -> PolicySet {
        try PolicySet.load(files: files.map { PolicySource(path: $0.key, contents: $0.value) })
    }

    static let ageOnly = """
        component: scratch
        prefix: scratch/
        layout: "scratch/{time:%Y%m%d_%H%M%S}.bin"
        abort_incomplete_after: 36h
        retention:
          keep_within: 10d
          anchor: now
          keep_tagged: false
        tiers:
          - after: 2d
            storage_class: STANDARD_IA
          - after: 5d
            storage_class: GLACIER
        """
    static let counted = """
        component: falkordb
        prefix: falkordb/
        layout: "falkordb/{time:%Y%m%d_%H%M%S}/dump.rdb"
        retention:
          keep_last: 3
          keep_within: 7d
        """
    static let pg = """
        component: postgresql
        prefix: postgresql/
        layout: pgbackrest
        stanza: mind
        retention:
          keep_within: 30d
        tiers:
          - after: 45d
            storage_class: GLACIER_IR
        """

    @Test func ageOnlyRetentionExpiresAndTransitions() throws {
        let result = try LifecycleCompiler(policies: Self.policies(["a.yaml": Self.ageOnly])).compile()
        let rule = try #require(result.configuration.rules.first)
        #expect(rule.id == "strata-scratch" && rule.prefix == "scratch/")
        #expect(rule.abortIncompleteUploadDays == 2)  // 36h rounds up
        #expect(rule.transitions == [.init(days: 2, storageClass: "STANDARD_IA"), .init(days: 5, storageClass: "GLACIER")])
        #expect(rule.expirationDays == 10)
        #expect(rule.noncurrentExpirationDays == nil)
        #expect(result.notes.contains { $0.text.contains("AWS requires at least 30") })
        let versioned = try LifecycleCompiler(policies: Self.policies(["a.yaml": Self.ageOnly])).compile(versioned: true)
        #expect(versioned.configuration.rules.first?.noncurrentExpirationDays == 1)
    }

    @Test func countedAnchoredTaggedAndPgBackRestRetentionGetNoExpiration() throws {
        var newest = Self.ageOnly.replacingOccurrences(of: "anchor: now", with: "anchor: newest")
        newest = newest.replacingOccurrences(of: "component: scratch", with: "component: newest")
            .replacingOccurrences(of: "scratch/", with: "newest/")
        let tagged = Self.ageOnly.replacingOccurrences(of: "keep_tagged: false", with: "keep_tagged: true")
            .replacingOccurrences(of: "component: scratch", with: "component: tagged")
            .replacingOccurrences(of: "scratch/", with: "tagged/")
        let result = try LifecycleCompiler(policies: Self.policies(
            ["f.yaml": Self.counted, "p.yaml": Self.pg, "n.yaml": newest, "t.yaml": tagged])).compile()
        #expect(result.configuration.rules.map(\.id) == ["strata-falkordb", "strata-newest", "strata-postgresql", "strata-tagged"])
        #expect(result.configuration.rules.allSatisfy { $0.expirationDays == nil })
        #expect(result.configuration.rules.map(\.abortIncompleteUploadDays) == [7, 2, 7, 2])  // default 7d; 36h rounds up
        let pgRule = try #require(result.configuration.rules.first { $0.id == "strata-postgresql" })
        #expect(pgRule.transitions.isEmpty)
        let notes = Dictionary(grouping: result.notes, by: \.ruleID).mapValues { $0.map(\.text).joined(separator: " | ") }
        #expect(notes["strata-falkordb"]?.contains("keep_last") == true)
        #expect(notes["strata-newest"]?.contains("anchor: newest") == true)
        #expect(notes["strata-tagged"]?.contains("keep_tagged: false") == true)
        #expect(notes["strata-postgresql"]?.contains("backup.info") == true)
        // The rendered XML carries the notes as comments, and S3's part is the plain configuration.
        let xml = result.renderedXML
        #expect(xml.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<!-- strata-falkordb: no expiration: keep_last"))
        #expect(xml.hasSuffix(result.configuration.xml.dropFirst(#"<?xml version="1.0" encoding="UTF-8"?>"#.count) + "\n"))
        #expect(throws: StrataError.self) { try LifecycleCompiler(policies: Self.policies(["f.yaml": Self.counted])).compile(components: ["nope"]) }
    }

    @Test func commentsNeverCloseEarly() {
        #expect(!LifecycleCompiler.commentSafe("a -- b --- c-").contains("--"))
        #expect(!LifecycleCompiler.commentSafe("x-").hasSuffix("-"))
    }
}

/// RGW's lifecycle engine carrying out a compiled configuration. The test RGW runs with
/// `rgw lc debug interval = 10`, so one lifecycle "day" lasts 10 seconds.
@Suite(.enabled(if: TestServers.shouldRun, "needs tools/s3-server (RGW)"))
struct LifecycleRGWTests {
    static let policies = [
        "lcexp.yaml": """
            component: lcexp
            prefix: lcexp/
            layout: "lcexp/{time:%Y%m%d_%H%M%S}.bin"
            retention:
              keep_within: 1d
              anchor: now
              keep_tagged: false
            """,
        "lctier.yaml": """
            component: lctier
            prefix: lctier/
            layout: "lctier/{time:%Y%m%d_%H%M%S}.bin"
            retention:
              keep_last: 100
            tiers:
              - after: 1d
                storage_class: STANDARD_IA
            """,
    ]

    // A bound on a hang only (it counts time spent queued behind other tests too).
    @Test(.timeLimit(.minutes(30)))
    func rgwExpiresAndTransitionsWhatWasRendered() async throws {
        try await ScratchBucket.with(.rgw, purpose: "lifecycle") { bucket in
            let context = try bucket.context(policies: Self.policies, now: Date())
            for index in 0..<3 {
                for prefix in ["lcexp", "lctier"] {
                    try await bucket.client.putObject(bucket: bucket.name, key: "\(prefix)/2026112\(index)_020000.bin",
                                                      body: testBytes(count: 2_000, seed: UInt64(index)))
                }
            }
            try await bucket.client.putObject(bucket: bucket.name, key: "outside/keep.bin", body: [1, 2, 3])
            let compiler = LifecycleCompiler(policies: try context.requirePolicies())
            let applied = try await compiler.apply(context: context)
            #expect(applied.replacedRules.isEmpty)
            let stored = try #require(try await bucket.client.getBucketLifecycle(bucket.name))
            #expect(stored.rules.map(\.id).sorted() == ["strata-lcexp", "strata-lctier"])
            #expect(stored.rules.first { $0.id == "strata-lcexp" }?.expirationDays == 1)
            #expect(stored.rules.first { $0.id == "strata-lctier" }?.transitions == [.init(days: 1, storageClass: "STANDARD_IA")])
            #expect(Set(stored.rules) == Set(try compiler.compile().configuration.rules))
            #expect(applied.appliedRules == ["strata-lcexp", "strata-lctier"])

            let started = Date()
            var expired = false
            var transitioned = false
            while Date().timeIntervalSince(started) < 120, !(expired && transitioned) {
                try await Task.sleep(for: .seconds(5))
                expired = try await bucket.keys(prefix: "lcexp/").isEmpty
                var classes: [String] = []
                for try await page in bucket.client.listObjects(bucket: bucket.name, prefix: "lctier/") {
                    classes += page.objects.map(\.storageClass)
                }
                transitioned = classes.count == 3 && classes.allSatisfy { $0 == "STANDARD_IA" }
            }
            let waited = Int(Date().timeIntervalSince(started))
            print("RGW lifecycle: expired=\(expired) transitioned=\(transitioned) after \(waited) s")
            #expect(expired, "RGW did not expire lcexp/ within 120 s")
            #expect(transitioned, "RGW did not move lctier/ to STANDARD_IA within 120 s")
            #expect(try await bucket.keys(prefix: "lctier/").count == 3)
            #expect(try await bucket.keys(prefix: "outside/") == ["outside/keep.bin"])
        }
    }

    /// Issue 18: SeaweedFS answers 501 NotImplemented to a configuration with Transition rules,
    /// with a message about "a header you provided". The error names the element and says that
    /// nothing changed; without transitions the rest applies.
    @Test func aServerWithoutTransitionsIsToldApartAndNothingChanges() async throws {
        try await ScratchBucket.with(.seaweedfs, purpose: "lifecycle-501") { bucket in
            #expect(TestServer.seaweedfs.lacks(.noLifecycleTransitions))
            let context = try bucket.context(policies: Self.policies, now: Date())
            let before = LifecycleConfiguration(rules: [LifecycleRule(id: "keep-me", prefix: "tmp/", expirationDays: 3)])
            try await bucket.client.putBucketLifecycle(bucket.name, configuration: before)
            let error = await #expect(throws: StrataError.self) {
                _ = try await LifecycleCompiler(policies: try context.requirePolicies()).apply(context: context)
            }
            let message = try #require(error?.message)
            #expect(message.hasPrefix("lifecycle apply: \(bucket.name): the server does not implement the Transition elements of strata-lctier; rerun with --no-transitions"), "\(message)")
            #expect(message.hasSuffix("Nothing was applied: the bucket keeps 1 rules: keep-me"), "\(message)")
            #expect(error?.kind == .failure)
            #expect(try await bucket.client.getBucketLifecycle(bucket.name)?.rules.map(\.id) == ["keep-me"])

            let applied = try await LifecycleCompiler(policies: try context.requirePolicies(), transitions: false)
                .apply(context: context)
            #expect(applied.replacedRules == ["keep-me"] && applied.removedForeignRules == ["keep-me"])
            #expect(applied.notes.contains(.init(rule: "strata-lctier", text: "no transitions (--no-transitions): strata sweep moves the sets")))
            let stored = try #require(try await bucket.client.getBucketLifecycle(bucket.name))
            #expect(stored.rules.map(\.id).sorted() == ["strata-lcexp", "strata-lctier"])
            #expect(stored.rules.allSatisfy { $0.transitions.isEmpty })
            #expect(stored.rules.first { $0.id == "strata-lcexp" }?.expirationDays == 1)
        }
    }
}
