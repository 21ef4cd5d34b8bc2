import Crypto
import Foundation
import Logging
import Retention
import S3
import StrataKit
import StrataTestSupport

/// `strata-bench soak`: a demo-scale `sweep --apply` and parallel multipart uploads and
/// downloads, all through a fault-injecting proxy in front of the real RGW, then checks of what
/// the bucket holds. Prints faults injected, retries made and the outcome; exits 1 on any
/// failed check. Run by `tools/soak`, which brings the servers up.
enum SoakRun {
    struct Settings {
        var endpoint: String
        var accessKey: String
        var secretKey: String
        var region: String
        var faultRate = 0.3
        var years = 2.0
        var transfers = 20
        var fileMiB = 24
        var now = "2026-11-25T12:00:00Z"
        var repository: String

        init(environment: [String: String], arguments: [String]) throws {
            func required(_ name: String) throws -> String {
                guard let value = environment[name], !value.isEmpty else {
                    throw StrataError(.configuration, "\(name) is not set: run through tools/soak (or eval \"$(tools/s3-server env)\")")
                }
                return value
            }
            endpoint = try required("STRATA_TEST_RGW_ENDPOINT")
            accessKey = try required("STRATA_TEST_ACCESS_KEY")
            secretKey = try required("STRATA_TEST_SECRET_KEY")
            region = try required("STRATA_TEST_REGION")
            repository = environment["STRATA_REPOSITORY"] ?? FileManager.default.currentDirectoryPath
            var rest = arguments[...]
            while let flag = rest.popFirst() {
                guard let value = rest.popFirst() else { throw StrataError(.configuration, "\(flag) needs a value") }
                switch flag {
                case "--fault-rate": faultRate = Double(value) ?? faultRate
                case "--years": years = Double(value) ?? years
                case "--transfers": transfers = Int(value) ?? transfers
                case "--file-mib": fileMiB = Int(value) ?? fileMiB
                default: throw StrataError(.configuration, "unknown option \(flag); expected --fault-rate, --years, --transfers, --file-mib")
                }
            }
        }
    }

    static func run(arguments: [String]) async throws {
        let settings = try Settings(environment: ProcessInfo.processInfo.environment, arguments: arguments)
        var logger = Logger(label: "strata.soak")
        logger.logLevel = .error
        let bucket = "strata-soak-\(UUID().uuidString.lowercased().prefix(8))"
        let started = Date()
        try await withClient(settings, endpoint: settings.endpoint, readTimeout: .seconds(60), attempts: 3) { direct in
            try await direct.createBucket(bucket)
            print("soak: seeding \(settings.years) years of backups into s3://\(bucket)")
            try seed(settings, bucket: bucket)
            let policies = try PolicyDirectory.load(settings.repository + "/policies")
            let now = ISO8601DateFormatter().date(from: settings.now) ?? Date()
            let options = PlanOptions(force: true)
            let directContext = StrataContext(client: direct, bucket: bucket, policies: policies, logger: logger, now: { Date() })
            let expectedPlan = try await PlanMaker(context: directContext, options: options).makePlan(now: now).plan
            let deleted = Set(expectedPlan.actions.compactMap { action -> String? in
                if case .delete(let key, _, _) = action { return key }
                return nil
            })
            let before = try await keys(direct, bucket)
            let keep = before.subtracting(deleted)
            let transitions = expectedPlan.actions.filter { if case .transition = $0 { true } else { false } }.count
            print("soak: \(before.count) objects; the plan deletes \(deleted.count) and moves \(transitions)")

            let rate = settings.faultRate
            let faults: [FaultProxy.Fault] = [
                .error(status: 503, code: "SlowDown"), .error(status: 500, code: "InternalError"),
                .error(status: 503, code: "SlowDown"), .reset, .truncate, .truncate, .delay(.milliseconds(1500)),
            ]
            let chooser: FaultProxy.Chooser = { _ in
                Double.random(in: 0..<1) < rate ? faults.randomElement() ?? .forward : .forward
            }
            var problems: [String] = []
            let (injected, requests, retries, uploaded) = try await FaultProxy.with(upstream: settings.endpoint, chooser: chooser) { proxy, url in
                try await withClient(settings, endpoint: url, readTimeout: .seconds(1), attempts: 12) { faulty in
                    let context = StrataContext(client: faulty, bucket: bucket, policies: policies, logger: logger, now: { Date() })
                    do {
                        let result = try await Sweep(context: context, options: options, now: now).streamedApply()
                        let done = result.outcome?.done ?? .init()
                        print("soak: sweep applied: \(done.deletes) deletions, \(done.transitions) transitions, \(result.outcome?.failures.count ?? 0) failures")
                        problems += (result.outcome?.failures ?? []).prefix(5).map { "sweep: \($0)" }
                    } catch {
                        problems.append("sweep failed: \(error)")
                    }
                    let uploaded = await transfers(settings, client: faulty, bucket: bucket, problems: &problems)
                    return (proxy.injected, proxy.requests, faulty.statistics.retries, uploaded)
                }
            }

            let after = try await keys(direct, bucket)
            if after.subtracting(uploaded) != keep {
                problems.append("bucket differs from the plan's keep set: \(keep.subtracting(after).count) kept objects missing, \(after.subtracting(uploaded).subtracting(keep).count) objects not deleted")
            }
            let stale = try await direct.listMultipartUploads(bucket: bucket)
            if !stale.isEmpty { problems.append("\(stale.count) incomplete multipart uploads left") }
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strata-soak-verify-\(UUID().uuidString)").path
            for key in uploaded.sorted() {
                // downloadFile checks the stored composite checksum and throws on a mismatch.
                do { _ = try await direct.downloadFile(bucket: bucket, key: key, to: scratch) } catch {
                    problems.append("verify \(key): \(error)")
                }
                try? FileManager.default.removeItem(atPath: scratch)
            }
            let seconds = Date().timeIntervalSince(started)
            print(String(format: "soak: %d requests through the proxy, %d faults injected, %d retries made, %.0f s", requests, injected, retries, seconds))
            if problems.isEmpty {
                print("soak: PASS: bucket equals the plan's keep set plus \(uploaded.count) verified uploads; no incomplete uploads")
            } else {
                for problem in problems { print("soak: FAIL: \(problem)") }
            }
            try? await direct.emptyAndDeleteBucket(bucket)
            if !problems.isEmpty { exit(1) }
        }
    }

    static func withClient<R: Sendable>(_ settings: Settings, endpoint: String, readTimeout: Duration, attempts: Int,
                                        _ body: (S3Client) async throws -> R) async throws -> R {
        var configuration = S3Configuration(region: settings.region, endpoint: try S3Endpoint(url: endpoint),
                                            retry: RetryPolicy(maxAttempts: attempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(200)),
                                            transfer: TransferConfiguration(multipartThreshold: 5 << 20, partSize: 5 << 20, concurrency: 4))
        configuration.readTimeout = readTimeout
        var logger = Logger(label: "strata.soak.s3")
        logger.logLevel = .error
        return try await S3Client.withClient(configuration: configuration, credentials: EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": settings.accessKey, "AWS_SECRET_ACCESS_KEY": settings.secretKey]), logger: logger, body)
    }

    static func seed(_ settings: Settings, bucket: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", settings.repository + "/tools/seed-backups", bucket, "--now", settings.now,
                             "--years", String(settings.years), "--endpoint", settings.endpoint]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StrataError(.failure, "seeding failed (tools/seed-backups)") }
    }

    static func keys(_ client: S3Client, _ bucket: String) async throws -> Set<String> {
        var keys = Set<String>()
        for try await page in client.listObjects(bucket: bucket) {
            keys.formUnion(page.objects.map(\.key).filter { !$0.hasPrefix(StrataPaths.reservedPrefix) })
        }
        return keys
    }

    /// Uploads and downloads `transfers` random files in parallel; returns the keys uploaded.
    static func transfers(_ settings: Settings, client: S3Client, bucket: String, problems: inout [String]) async -> Set<String> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-soak-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            problems.append("cannot create \(folder.path): \(error)")
            return []
        }
        let size = settings.fileMiB << 20
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for index in 0..<settings.transfers {
                group.addTask {
                    let key = "soak/transfer-\(index).bin"
                    let source = folder.appendingPathComponent("up-\(index)").path
                    let target = folder.appendingPathComponent("down-\(index)").path
                    do {
                        var generator = SystemRandomNumberGenerator()
                        let bytes = (0..<size / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }
                        try Data(bytes).write(to: URL(fileURLWithPath: source))
                        _ = try await client.uploadFile(bucket: bucket, key: key, path: source)
                        _ = try await client.downloadFile(bucket: bucket, key: key, to: target)
                        let same = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: source)))
                            == SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: target)))
                        return (key, same ? nil : "downloaded bytes differ from the uploaded file")
                    } catch {
                        return (key, "\(error)")
                    }
                }
            }
            var results: [(String, String?)] = []
            for await result in group { results.append(result) }
            return results
        }
        for (key, problem) in results { if let problem { problems.append("transfer \(key): \(problem)") } }
        print("soak: \(results.count { $0.1 == nil }) of \(settings.transfers) multipart uploads and downloads round-tripped")
        return Set(results.map(\.0))
    }
}
