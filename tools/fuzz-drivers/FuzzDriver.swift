// The libFuzzer driver of Strata's fuzz targets. Not part of the package: tools/fuzz compiles it
// with `swiftc -sanitize=fuzzer,address -parse-as-library` (libFuzzer brings `main`) and links
// it with libStrataFuzzTargets.a built with the same sanitizers in .build-fuzz.
//
// The target is chosen by STRATA_FUZZ_TARGET (a name from FuzzTargets.all), read once.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StrataFuzzTargets

nonisolated(unsafe) private var selected: FuzzTargets.Target?

/// libFuzzer calls this once before any input: picks the target or exits with status 2.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    let names = FuzzTargets.all.map(\.name).joined(separator: " ")
    guard let raw = getenv("STRATA_FUZZ_TARGET") else {
        fputs("strata-fuzz: set STRATA_FUZZ_TARGET to one of: \(names)\n", stderr)
        exit(2)
    }
    let name = String(cString: raw)
    guard let target = FuzzTargets.named(name) else {
        fputs("strata-fuzz: unknown target '\(name)'; expected one of: \(names)\n", stderr)
        exit(2)
    }
    selected = target
    return 0
}

/// libFuzzer calls this for every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected!.run(bytes)
    return 0
}
