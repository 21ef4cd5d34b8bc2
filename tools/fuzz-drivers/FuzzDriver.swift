// The libFuzzer driver of Strata's fuzz targets. Not part of the package: tools/fuzz compiles it
// with `swiftc -sanitize=fuzzer,address -parse-as-library` (libFuzzer brings `main`) and links
// it with libStrataFuzzTargets.a built with the same sanitizers in .build-fuzz. It calls the
// library through the C entry points declared in StrataFuzz.h (imported with
// -import-objc-header), so it needs none of the package's Swift or C modules to compile.
//
// The target is chosen by STRATA_FUZZ_TARGET (a name from FuzzTargets.all), read once.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `message` to standard error.
private func complain(_ message: String) {
    var message = message
    message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// libFuzzer calls this once before any input: selects the target or exits with status 2.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let name = getenv("STRATA_FUZZ_TARGET") else {
        complain("strata-fuzz: set STRATA_FUZZ_TARGET to a target name (tools/fuzz list)\n")
        exit(2)
    }
    guard strata_fuzz_select(name) == 0 else {
        complain("strata-fuzz: unknown target '\(String(cString: name))' (tools/fuzz list)\n")
        exit(2)
    }
    return 0
}

/// libFuzzer calls this for every input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    strata_fuzz_run(data, size)
    return 0
}
