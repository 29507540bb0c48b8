// `bench train-config` (internal): the child process of the training suite's isolation.

import ArgumentParser
import BenchSuite

struct TrainConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-config", abstract: "(internal) Train one generated config for `bench run`; writes a JSON result.",
        shouldDisplay: false)

    @Argument var config: String
    @Argument var result: String

    func run() throws {
        let status = TrainingSuite.trainChild(configPath: config, resultPath: result)
        if status != 0 { throw ExitCode(status) }
    }
}
