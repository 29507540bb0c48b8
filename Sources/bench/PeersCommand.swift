// `bench peers`: the commands of the Python peer benchmarks beside ours (BenchSuite.Peers).

import ArgumentParser
import BenchSuite
import Foundation

struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "Print the commands that run each Python peer benchmark beside ours.")

    @Option(help: "Python interpreter of the peer virtualenv (default: $DEEPFAKE_BENCH_PYTHON, else python3).")
    var python: String?

    @Option(help: "Folder holding the kagglehub cache of the real sets (default: $DEEPFAKE_DATASETS).")
    var datasets: String?

    func run() {
        let dir = (BenchEnvironment.packageRoot() as NSString).appendingPathComponent("benchmarks")
        print(Peers.text(benchmarksDir: dir, python: Peers.python(flag: python),
                         datasets: BenchEnvironment.datasetsFolder(flag: datasets)), terminator: "")
    }
}
