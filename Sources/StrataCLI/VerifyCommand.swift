import ArgumentParser
import Foundation
import Retention
import StrataKit
import Synchronization

/// `strata verify`: check that kept backup sets exist and, with `--deep`, that their content is intact.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that every kept backup set is in the bucket; with --deep, that its content is intact.",
        discussion: """
            Plans the bucket and HEADs every member of every kept set. --deep also reads each \
            object and compares it with the checksum Strata recorded at upload (strata-sha256-parts) \
            or, for single-part objects, the MD5 ETag; archived objects are reported as \
            'archived, not checked' (nothing is restored). A fresh listing cannot see a set that \
            is already gone: pass --plan with a plan saved earlier (strata sweep --json) to check \
            that everything it kept is still there. Exit codes: 0 all present and intact, \
            1 something missing or corrupt (or an S3 failure), 2 usage/config.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("component"), help: "Only this component (repeatable).")
    var components: [String] = []

    @Flag(help: "Read every object and compare its content with its recorded checksum or MD5 ETag.")
    var deep = false

    @Option(help: "Verify the sets kept by this saved plan (JSON from strata sweep --json) instead of a fresh one.")
    var plan: String?

    func run() async throws {
        try await runReportingErrors {
            let settings = try connection.settings()
            let saved = try plan.map(Self.loadPlan)
            let wanted = components.isEmpty ? nil : Set(components)
            let environment = ProcessInfo.processInfo.environment
            try await StrataContext.with(settings: settings, environment: environment, logger: output.logger(),
                                         loadPolicies: saved == nil) { context in
                var verifier = Verifier(context: context)
                verifier.deep = deep
                let terminal = output.terminal
                let bar = ProgressBar(label: deep ? "verify (deep)" : "verify", total: 0, unit: .objects, enabled: terminal.progress)
                let checked = Mutex<Int64>(0)
                defer { bar.finish() }
                verifier.progress = { _, _, total in
                    bar.update(done: checked.withLock { $0 += 1; return $0 }, total: Int64(total))
                }
                guard let saved else {
                    let tally = try await verifyStreamed(verifier, components: wanted, terminal: terminal, bar: bar)
                    if !tally.isHealthy {
                        throw StrataError(.failure, "\(tally.missingSets) sets missing objects, \(tally.corruptSets) sets corrupt (see above)")
                    }
                    return
                }
                if let wanted {
                    let unknown = wanted.subtracting(saved.components.map(\.component))
                    guard unknown.isEmpty else {
                        throw StrataError(.configuration, "the saved plan has no component \(unknown.sorted().joined(separator: ", "))")
                    }
                }
                let report = try await verifier.verify(plan: saved, components: wanted)
                bar.finish()
                if output.json {
                    emit(String(decoding: try JSONCoding.encoder.encode(report), as: UTF8.self))
                } else {
                    for set in report.sets { emitProblems(set, terminal: terminal) }
                    emitSummary(report.skippedExpired, sets: report.sets.count, objects: report.sets.reduce(0) { $0 + $1.objects.count },
                                missing: report.missingSets.count, corrupt: report.corruptSets.count)
                }
                if !report.isHealthy {
                    throw StrataError(.failure, "\(report.missingSets.count) sets missing objects, \(report.corruptSets.count) sets corrupt (see above)")
                }
            }
        }
    }

    /// Verifies the bucket set by set, printing each set's problems (or, with `--json`, the
    /// report) as the set is finished.
    private func verifyStreamed(_ verifier: Verifier, components: Set<String>?, terminal: Terminal,
                                bar: ProgressBar) async throws -> Verifier.Tally {
        var splice: JSONArraySplice?
        var skippedExpired: [String] = []
        var sets = 0
        let tally = try await verifier.verifyStreamed(components: components, skipped: { skipped in
            skippedExpired = skipped
            guard output.json else { return }
            splice = try JSONArraySplice(skeleton: Verifier.Report(deep: deep, sets: [], skippedExpired: skipped), property: "sets")
            emitRaw(splice?.head ?? "")
        }, body: { set in
            if splice != nil {
                emitRaw(try JSONArraySplice.element(set, first: sets == 0))
            } else if set.objects.contains(where: { $0.state != .ok }) {
                // Printed while the bar is drawn: off its line first.
                bar.clearLine()
                emitProblems(set, terminal: terminal)
            }
            sets += 1
        })
        bar.finish()
        if let splice {
            emit(splice.closing(count: sets) + splice.tail)
        } else {
            emitSummary(skippedExpired, sets: tally.sets, objects: tally.objects, missing: tally.missingSets, corrupt: tally.corruptSets)
        }
        return tally
    }

    /// The lines for a set's objects that are not fine.
    private func emitProblems(_ set: Verifier.SetResult, terminal: Terminal) {
        for object in set.objects where object.state != .ok {
            emit("\(terminal.paint(object.state.rawValue.uppercased(), .red))\t\(shown: set.component) \(shown: set.setID)\t\(shown: object.key): \(shown: object.detail)")
        }
    }

    /// The lines after the problems: sets skipped as expired, and the counts.
    private func emitSummary(_ skippedExpired: [String], sets: Int, objects: Int, missing: Int, corrupt: Int) {
        for skipped in skippedExpired { emit("skipped (expired since the plan)\t\(shown: skipped)") }
        emit("\(sets) kept sets, \(objects) objects checked\(deep ? " (deep)" : ""): \(missing) sets missing objects, \(corrupt) sets corrupt")
    }

    static func loadPlan(_ path: String) throws -> Plan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StrataError(.configuration, "\(path): cannot read the plan file")
        }
        do {
            return try Plan.jsonDecoder().decode(Plan.self, from: data)
        } catch {
            throw StrataError(.configuration, "\(path): not a plan (expected the JSON of strata sweep --json): \(error)")
        }
    }
}
