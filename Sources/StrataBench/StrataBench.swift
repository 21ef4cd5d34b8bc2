import Foundation

/// `strata-bench`: the micro-benchmarks behind `tools/bench`. Each prints comparable figures;
/// `tools/bench` runs the external baselines (botocore, aws cli, rclone) in the same run.
@main
struct StrataBench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first else {
            FileHandle.standardError.write(Data("usage: strata-bench sign|plan|soak [options]\n".utf8))
            exit(2)
        }
        let rest = Array(arguments.dropFirst())
        switch name {
        case "sign": try SignBenchmark.run(arguments: rest)
        case "plan": try PlanBenchmark.run(arguments: rest)
        case "soak": try await SoakRun.run(arguments: rest)
        default:
            FileHandle.standardError.write(Data("strata-bench: unknown benchmark '\(name)'\n".utf8))
            exit(2)
        }
    }
}
