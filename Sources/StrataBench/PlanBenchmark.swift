import Retention

/// Planning time and peak RSS on a generated 1,000,000-object inventory (issue: Retention). Placeholder.
enum PlanBenchmark {
    static func run(arguments: [String]) throws {
        print("plan benchmark: not implemented yet")
    }
}
