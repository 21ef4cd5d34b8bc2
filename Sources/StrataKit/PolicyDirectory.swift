import Foundation
import Retention

/// Reads the policy files of a directory (`*.yaml`, `*.yml`) and validates them together.
public enum PolicyDirectory {
    /// The validated policies in `path`. Errors name the file, line and column; an empty or
    /// missing directory is an error too (a sweep without policies must not run).
    public static func load(_ path: String) throws -> PolicySet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StrataError(.configuration, "\(path): no such policy directory (expected a directory of *.yaml policies; --policies DIR)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw StrataError(.configuration, "\(path): cannot read the policy directory: \(error.localizedDescription)")
        }
        guard !names.isEmpty else {
            throw StrataError(.configuration, "\(path): no policy files (expected one *.yaml per component)")
        }
        var sources: [PolicySource] = []
        for name in names {
            let file = (path as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StrataError(.configuration, "\(file): cannot read the file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw StrataError(.configuration, "\(file): not UTF-8 text")
            }
            sources.append(PolicySource(path: file, contents: text))
        }
        do {
            let set = try PolicySet.load(files: sources)
            if let clash = set.policies.first(where: { $0.prefix.hasPrefix(StrataPaths.reservedPrefix) || StrataPaths.reservedPrefix.hasPrefix($0.prefix) }) {
                throw StrataError(.configuration, "\(clash.sourcePath): prefix '\(clash.prefix)' overlaps Strata's own '\(StrataPaths.reservedPrefix)' (lock and journals); expected another prefix")
            }
            return set
        } catch let errors as PolicyErrors {
            throw StrataError(.configuration, errors.description)
        }
    }
}

/// Keys Strata itself writes into the bucket.
public enum StrataPaths {
    /// Everything Strata writes lives under this prefix, which no policy may claim.
    public static let reservedPrefix = ".strata/"
    /// The sweep lock object.
    public static let lockKey = ".strata/lock"
    /// Journal objects of sweeps: `.strata/journal/<run id>.json`.
    public static let journalPrefix = ".strata/journal/"
    /// The planned actions of sweeps too large to journal in one entry, in parts of
    /// ``SweepJournal/actionsPerPart``: `.strata/journal-actions/<run id>/<part>.json`.
    public static let journalActionsPrefix = ".strata/journal-actions/"
}
