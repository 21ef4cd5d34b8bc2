import Foundation

/// The fuzz targets of Strata: one function per parser that reads outside input, each taking
/// the raw bytes libFuzzer (or a seed-corpus file) gives it.
///
/// A function returns normally for every input: a parser that throws or returns `nil` on
/// malformed input is doing its job. What counts as a finding is a trap (overflow, out-of-range
/// index, force unwrap, `precondition`), a sanitizer report, a leak or a hang, and a broken
/// invariant checked here with `precondition` (e.g. the S3 Inventory CSV reader giving different
/// objects for the same bytes fed in different chunks).
///
/// `tools/fuzz` runs them under libFuzzer (`tools/fuzz-drivers/FuzzDriver.swift`); the
/// `FuzzCorpusTests` run every committed seed (`Tests/Fixtures/fuzz/<name>/`) through them
/// under `swift test`. Input formats are described on each function.
public enum FuzzTargets {
    /// One fuzz target: the name `tools/fuzz` and the seed-corpus folder use, and its function.
    public struct Target: Sendable {
        /// Name as in `tools/fuzz <name>` and `Tests/Fixtures/fuzz/<name>/`.
        public let name: String
        /// The module whose parsers it exercises (`Retention` or `S3`).
        public let module: String
        /// The function; it must return for every input.
        public let run: @Sendable ([UInt8]) -> Void
    }

    /// Every target, in the order `tools/fuzz` runs them.
    public static let all: [Target] = [
        Target(name: "policy-yaml", module: "Retention", run: policyYAML),
        Target(name: "key-template", module: "Retention", run: keyTemplate),
        Target(name: "inventory-manifest", module: "Retention", run: inventoryManifest),
        Target(name: "inventory-csv", module: "Retention", run: inventoryCSV),
        Target(name: "planner", module: "Retention", run: planner),
        Target(name: "pgbackrest-label", module: "Retention", run: pgBackRestLabel),
        Target(name: "pgbackrest-manifest", module: "Retention", run: pgBackRestManifest),
        Target(name: "s3-response", module: "S3", run: s3Response),
        Target(name: "s3-error", module: "S3", run: s3Error),
        Target(name: "restore-header", module: "S3", run: restoreHeader),
        Target(name: "download-ranges", module: "S3", run: downloadRanges),
        Target(name: "retrieve-path", module: "S3", run: retrievePath),
    ]

    /// The target called `name`, if there is one.
    public static func named(_ name: String) -> Target? {
        all.first { $0.name == name }
    }

    /// Splits `bytes` into lines (LF; a CR before it stays), at most `limit` of them.
    static func lines(_ bytes: [UInt8], limit: Int) -> [String] {
        bytes.split(separator: UInt8(ascii: "\n"), maxSplits: limit - 1, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// A fixed instant for anything that needs "now": 2026-11-25T10:05:04Z.
    static let now = Date(timeIntervalSince1970: 1_795_601_104)
}

/// The target `tools/fuzz` selected, for ``strataFuzzRun(_:_:)``. Set once, before any input.
nonisolated(unsafe) private var selectedTarget: FuzzTargets.Target?

/// C entry point for the libFuzzer driver (`tools/fuzz-drivers/`): selects the target called
/// `name` (a NUL-terminated string). Returns 0, or -1 for an unknown name. The driver calls it
/// once, before the first input; a C symbol, so the driver links without importing Swift modules.
@_cdecl("strata_fuzz_select")
public func strataFuzzSelect(_ name: UnsafePointer<CChar>) -> CInt {
    guard let target = FuzzTargets.named(String(cString: name)) else { return -1 }
    selectedTarget = target
    return 0
}

/// C entry point for the libFuzzer driver: runs the selected target on `size` bytes at `data`.
@_cdecl("strata_fuzz_run")
public func strataFuzzRun(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    guard let target = selectedTarget else { preconditionFailure("strata_fuzz_select was not called") }
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    target.run(bytes)
}
