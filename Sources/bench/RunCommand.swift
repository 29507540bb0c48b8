// `bench run`: parses the suite flags into BenchSuite's RunFlags (which merges them into the
// studies) and runs the suites.

import ArgumentParser
import BenchSuite
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run benchmark suites; each writes <out>/<suite>-<UTC time>-<id>.h5 (never overwriting).")

    @Option(name: .customLong("suite"), help: "Suite to run (repeatable). Default: all but comparison.")
    var suites: [BenchSuiteName] = []
    @Option(name: .customLong("out"), help: "Folder for the result files.")
    var out = "results/bench"
    @Flag(help: "Shrink every suite to finish in a couple of minutes (CI-style checks); 2 repeats.")
    var quick = false
    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?
    @Option(help: "Timed repeats per configuration after one warm-up (default 5; 2 with --quick).")
    var repeats: Int?
    @Option(help: "Folder holding the kagglehub cache of the real sets (default: $DEEPFAKE_DATASETS; $KAGGLEHUB_CACHE wins).")
    var datasets: String?

    @Option(name: .customLong("model"), help: "Training, ranks, inference: model (repeatable).")
    var models: [ModelChoice] = []
    @Option(help: "Training, ranks: image sizes, comma-separated (e.g. 32,64).")
    var sizes: IntList?
    @Option(help: "Training suite: epochs per configuration (default 3; 1 with --quick).")
    var epochs: Int?
    @Option(help: "Training suite: batch sizes, comma-separated (default 16,32).")
    var batches: IntList?
    @Option(name: .customLong("config"), help: "Training suite: base config (e.g. configs/bench/training.yaml) for every setting but model, size, batch, epochs.")
    var baseConfig: String?
    @Flag(help: "Training suite: keep each run's folder (weights, logs, plots) under <out>/training-runs-*.")
    var keepRuns = false

    @Option(help: "Ranks suite: rank counts, comma-separated (default 1,2).")
    var ranks: IntList?
    @Option(name: .customLong("scaling"), help: "Ranks suite: scaling mode (repeatable). Default both.")
    var modes: [ScalingMode] = []
    @Option(help: "Ranks suite: global batch (strong) / per-rank batch (weak) (default 32; 16 with --quick).")
    var rankBatch: Int?
    @Option(help: "Ranks suite: timed training steps per repeat (default 20; 2 with --quick).")
    var steps: Int?
    @Option(help: "Ranks and sharded suites: compute threads per rank (default 1).")
    var threadsPerRank: Int?
    @Flag(help: "Ranks suite: every rank keeps all of the optimiser state (shardOptimizerState false) instead of 1/N of it.")
    var unshardedOptimizer = false

    @Option(help: "Qubits suite: largest qubit count (default 20; 10 with --quick).")
    var maxQubits: Int?
    @Option(help: "Qubits suite: layers 1...N (default 2; 1 with --quick).")
    var maxLayers: Int?
    @Option(help: "Qubits suite: batch of the HQNN circuit layer (default 32; 8 with --quick).")
    var qubitBatch: Int?

    @Option(help: "Sharded suite: qubit counts, comma-separated (default 22,24,26; 10,12 with --quick).")
    var shardedQubits: IntList?
    @Option(help: "Sharded suite: rank counts, powers of two, comma-separated (default 1,2,4).")
    var shardedRanks: IntList?

    @Option(help: "Comparison suite: the study file (models x seeds x datasets; e.g. configs/bench/comparison.yaml).")
    var study: String?
    @Option(help: "Comparison suite: start no new point after this many seconds (rerun to continue).")
    var timeBudget: Double?

    func run() throws {
        try reportingErrors {
            var f = RunFlags()
            f.suites = suites; f.out = out; f.quick = quick; f.threads = threads; f.repeats = repeats; f.datasets = datasets
            f.models = models; f.sizes = sizes?.values ?? []; f.epochs = epochs; f.batches = batches?.values ?? []
            f.baseConfig = baseConfig; f.keepRuns = keepRuns
            f.ranks = ranks?.values ?? []; f.modes = modes; f.rankBatch = rankBatch; f.steps = steps; f.threadsPerRank = threadsPerRank
            f.unshardedOptimizer = unshardedOptimizer
            f.maxQubits = maxQubits; f.maxLayers = maxLayers; f.qubitBatch = qubitBatch
            f.shardedQubits = shardedQubits?.values ?? []; f.shardedRanks = shardedRanks?.values ?? []
            f.study = study; f.timeBudget = timeBudget
            let files = try BenchRunner.run(try f.options(executable: Bundle.main.executablePath ?? CommandLine.arguments[0]))
            print("wrote \(files.count) result file(s); tabulate with: bench report \(out)")
        }
    }
}
