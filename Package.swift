// swift-tools-version: 6.1
import PackageDescription

// Module boundaries (see docs/architecture.md):
//   SigV4      pure request signing, no I/O
//   S3         the S3 client (HTTP, XML, retries, credentials, transfers), on SigV4
//   Retention  pure policy engine: inventory + policies + now -> plan; no I/O, no S3
//   StrataKit  the application: executes plans, journals, uploads, retrieval, audit, metrics
//   strata     the command line, on StrataKit
let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SigV4", targets: ["SigV4"]),
        .library(name: "S3", targets: ["S3"]),
        .library(name: "Retention", targets: ["Retention"]),
        .library(name: "StrataKit", targets: ["StrataKit"]),
        .executable(name: "strata", targets: ["StrataCLI"]),
        .executable(name: "strata-bench", targets: ["StrataBench"]),
        // Static, so tools/fuzz can link it (built with -sanitize=fuzzer,address) into a libFuzzer driver.
        .library(name: "StrataFuzzTargets", type: .static, targets: ["StrataFuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // gzip for S3 Inventory reports (zlib through NIO ByteBuffers; no other dependency).
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .target(
            name: "SigV4",
            dependencies: ["CCRC32C", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // CRC-32C on the CPU's CRC32 instruction: pure computation, for SigV4's trailers and S3's checks.
        .target(name: "CCRC32C"),
        // The few C constants Swift's Glibc module leaves out (O_DIRECT needs _GNU_SOURCE).
        .target(name: "CStrataSystem"),
        .target(
            name: "S3",
            dependencies: [
                "SigV4", "CStrataSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Retention",
            // SigV4 for its pure URI codec (S3 Inventory keys are URL-encoded as listings are).
            dependencies: ["SigV4", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "StrataKit",
            dependencies: [
                "SigV4", "S3", "Retention",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                // AES-CBC, for encrypted pgBackRest repositories.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "StrataCLI",
            dependencies: [
                "StrataKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "StrataBench",
            // StrataTestSupport for the soak's fault-injecting proxy.
            dependencies: ["SigV4", "S3", "Retention", "StrataKit", "StrataTestSupport",
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        // One function per parser of outside input, for tools/fuzz and the FuzzCorpus tests.
        .target(
            name: "StrataFuzzTargets",
            dependencies: ["S3", "Retention", .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        // Shared by the test targets: finding the local servers, running external tools.
        .target(
            name: "StrataTestSupport",
            dependencies: [
                "S3", "SigV4",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/StrataTestSupport"
        ),
        .testTarget(
            name: "SigV4Tests",
            dependencies: ["StrataTestSupport", "SigV4", "CCRC32C", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "S3Tests",
            dependencies: [
                "S3", "CStrataSystem", "StrataTestSupport", "StrataFuzzTargets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "RetentionTests",
            dependencies: ["StrataTestSupport", "Retention", "StrataFuzzTargets",
                           .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "StrataKitTests",
            dependencies: ["StrataKit", "S3", "Retention", "StrataTestSupport",
                           .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        // The operations kit (tools/backup, deploy manifests, alert rules, runbook commands),
        // exercised through the scripts and the strata binary as operators run them.
        .testTarget(
            name: "OpsTests",
            dependencies: ["StrataTestSupport", .product(name: "Yams", package: "Yams")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
