import Foundation
import Retention

/// Planning time and peak RSS on a generated inventory (default 1,000,000 objects: the six
/// default components, two years of backups). Target: under 2 s and 400 MiB (release build).
/// Options: `--objects N`, `--days N`, `--policies DIR` (default `policies`), `--encode` (also time JSON).
enum PlanBenchmark {
    static func run(arguments: [String]) throws {
        var objectCount = 1_000_000
        var days = 730
        var directory = "policies"
        var encode = false
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--objects": objectCount = iterator.next().flatMap(Int.init) ?? objectCount
            case "--days": days = iterator.next().flatMap(Int.init) ?? days
            case "--policies": directory = iterator.next() ?? directory
            case "--encode": encode = true
            default:
                FileHandle.standardError.write(Data("plan: unknown option \(argument)\n".utf8))
                exit(2)
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        let sources = try names.map { PolicySource(path: "\(directory)/\($0)", contents: try String(contentsOfFile: "\(directory)/\($0)", encoding: .utf8)) }
        let policies = try PolicySet.load(files: sources)

        let now = Date(timeIntervalSince1970: 1_795_608_000) // 2026-11-25T12:00:00Z, fixed so runs compare
        let generationStart = ContinuousClock.now
        let synthetic = SyntheticInventory.make(end: now, days: days, targetObjects: objectCount)
        let generation = ContinuousClock.now - generationStart
        let rssAfterGeneration = residentMiB()

        let planner = Planner(policies: policies, options: PlanOptions(force: true))
        let cpuStart = cpuSeconds()
        let planStart = ContinuousClock.now
        let documents = planner.documentsNeeded(inventory: synthetic.inventory)
        let plan = planner.plan(inventory: synthetic.inventory, now: now,
                                documents: synthetic.documents.filter { documents.contains($0.key) })
        let planning = ContinuousClock.now - planStart
        let cpu = cpuSeconds() - cpuStart
        let peakAfterPlanning = peakMiB()

        print("plan: \(synthetic.inventory.objects.count) objects, \(plan.totals.sets) sets, \(policies.policies.count) components, \(days) days")
        print("plan: \(plan.totals.deletes) deletes, \(plan.totals.transitions) transitions, \(plan.totals.abortedUploads) aborts, \(plan.totals.unrecognized) unrecognized")
        print("plan: generation \(format(generation)), RSS after generation \(rssAfterGeneration) MiB")
        print("plan: planning time \(format(planning)) wall, \(String(format: "%.3f", cpu)) s CPU (target < 2 s)")
        print("plan: peak RSS after planning \(peakAfterPlanning) MiB (target < 400 MiB)")
        if encode {
            let encodeStart = ContinuousClock.now
            var count = 0
            plan.writeJSON { count += $0.count }
            print("plan: JSON encoding (streamed) \(format(ContinuousClock.now - encodeStart)), \(count / 1_048_576) MiB")
        }
        if encode { print("plan: peak RSS including encoding \(peakMiB()) MiB") }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.3f s", seconds)
    }

    /// User + system CPU seconds of this process (the machine may be shared; wall time then lies).
    static func cpuSeconds() -> Double {
        Double(clock()) / Double(CLOCKS_PER_SEC)
    }

    /// `VmHWM` (peak resident set) from /proc; 0 where unavailable.
    static func peakMiB() -> Int { procStatus("VmHWM:") / 1024 }
    static func residentMiB() -> Int { procStatus("VmRSS:") / 1024 }

    static func procStatus(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
