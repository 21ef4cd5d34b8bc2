import SigV4

/// Header-signing and chunk-signing throughput (issue: SigV4). Placeholder until implemented.
enum SignBenchmark {
    static func run(arguments: [String]) throws {
        print("sign benchmark: not implemented yet")
    }
}
