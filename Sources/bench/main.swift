// bench: the thin command-line front of the BenchSuite library: `run` (scaling studies into HDF5
// result files), `report` (comparison tables), `peers` (commands of the Python peer benchmarks),
// `quantum` (the figures the quantum peer scripts read).

import ArgumentParser
import BenchSuite
import Core
import Distributed
import Foundation
import Models
import NN
import Quantum

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the deepfake models and kernels; results go to HDF5 files that `bench report` tabulates.",
        discussion: """
        Examples:
          bench run --out results/bench                  every suite (training, throughput, preprocess, scaling)
          bench run --suite training --quick             a small training study in a couple of minutes
          bench report results/bench                     Markdown tables on stdout
          bench report results/bench --format csv --output results/bench/report.csv
          bench peers                                    commands of the Python peer comparisons
        """,
        subcommands: [Run.self, Report.self, PeersCommand.self, QuantumFigures.self, Sharded.self, Classic.self, TrainConfig.self])
}

/// Prints a DeepfakeError's message and exits 1 instead of a stack trace.
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as DeepfakeError {
        FileHandle.standardError.write(Data("bench: error: \(e.message)\n".utf8))
        throw ExitCode(1)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run benchmark suites; each writes <out>/<suite>-<UTC time>-<id>.h5 (never overwriting).")

    @Option(name: .customLong("suite"), help: "Suite to run (repeatable): \(BenchRunner.suites.joined(separator: ", ")). Default: all.")
    var suites: [String] = []

    @Option(name: .customLong("out"), help: "Folder for the result files.")
    var out = "results/bench"

    @Flag(help: "Shrink every suite to finish in a couple of minutes (CI-style checks).")
    var quick = false

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: "Training suite: epochs per configuration (default 3; 1 with --quick).")
    var epochs: Int?

    @Option(help: "Training suite: models, comma-separated (default Classic,HQNN,QNN).")
    var models: String?

    @Option(help: "Training suite: image sizes, comma-separated (default 32,64; 32 with --quick).")
    var sizes: String?

    @Option(help: "Training suite: batch sizes, comma-separated (default 16,32; 16 with --quick).")
    var batches: String?

    @Option(name: .customLong("config"),
            help: "Training suite: base config (e.g. configs/bench/training.yaml) for every setting but model, size, batch, epochs.")
    var baseConfig: String?

    @Flag(help: "Training suite: keep each run's folder (weights, logs, plots) under <out>/training-runs-*.")
    var keepRuns = false

    func ints(_ s: String, _ flag: String) throws -> [Int] {
        let v = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw DeepfakeError("--\(flag) '\(s)' is not a comma-separated list of positive integers (e.g. 32,64)")
        }
        return v.map { $0! }
    }

    func run() throws {
        try reportingErrors {
            var o = BenchRunner.Options(suites: suites.isEmpty ? BenchRunner.suites : suites, outDirectory: out, quick: quick)
            if let t = threads { o.threads = max(1, t) }
            if epochs != nil || models != nil || keepRuns || sizes != nil || batches != nil || baseConfig != nil {
                var study = quick ? TrainingStudy.quick : TrainingStudy()
                study.threads = o.threads
                if let e = epochs { study.epochs = max(1, e) }
                if let m = models { study.models = m.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                if let v = sizes { study.imageSizes = try ints(v, "sizes") }
                if let v = batches { study.batchSizes = try ints(v, "batches") }
                if let path = baseConfig { try study.useBaseConfig(path: path) }
                study.keepRuns = keepRuns
                o.training = study
            }
            // Each training configuration runs in a child `bench train-config`: a crash is a row, not the end.
            if o.training == nil { o.training = quick ? TrainingStudy.quick : TrainingStudy(); o.training!.threads = o.threads }
            o.training!.isolationExecutable = Bundle.main.executablePath ?? CommandLine.arguments[0]
            let files = try BenchRunner.run(o)
            print("wrote \(files.count) result file(s); tabulate with: bench report \(out)")
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Comparison tables (one per suite) of result files or folders of them.")

    @Argument(help: "Result files (*.h5) or folders holding them.")
    var inputs: [String]

    @Option(help: "markdown or csv.")
    var format = "markdown"

    @Option(help: "Also write the table to this file.")
    var output: String?

    func run() throws {
        try reportingErrors {
            guard let f = BenchReport.Format(rawValue: format.lowercased()) else {
                throw DeepfakeError("unknown --format '\(format)': use markdown or csv")
            }
            let (results, skipped) = try BenchReport.load(inputs)
            for s in skipped { FileHandle.standardError.write(Data("bench: skipped \(s)\n".utf8)) }
            let text = BenchReport.render(results, format: f)
            print(text, terminator: "")
            if let path = output {
                do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
                    throw DeepfakeError("cannot write --output \(path): \(error.localizedDescription)")
                }
            }
        }
    }
}

struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "Print the commands that run each Python peer benchmark beside ours.")

    @Option(help: "Python interpreter of the peer virtualenv.")
    var python = "/work/venv-bench/bin/python"

    func run() {
        let dir = (BenchEnvironment.packageRoot() as NSString).appendingPathComponent("benchmarks")
        print(Peers.text(benchmarksDir: dir, python: python), terminator: "")
    }
}

struct QuantumFigures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantum",
        abstract: "Print `<key> <value>` figures of a quantum micro-benchmark for benchmarks/quantum_*.py --swift-cmd.")

    @Argument(help: "One of \(Peers.quantumKinds.joined(separator: ", ")).")
    var kind: String

    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        try reportingErrors {
            for (k, v) in try Peers.quantumFigures(kind, threads: threads) { print("\(k) \(v)") }
        }
    }
}

struct Sharded: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One statevector split across MPI ranks: a seeded random circuit (every gate kind), timed; rank 0 prints `<key> <value>` lines.",
        discussion: """
        Run under a launcher with a power-of-two number of ranks, e.g.
          mpirun -np 4 bench sharded --qubits 26 --gates 100 --no-check
          srun --mpi=pmix -n 8 bench sharded --qubits 30 --no-check
        Without --no-check every rank also simulates the whole state in one process and the
        largest amplitude difference is printed (sharded_max_amplitude_diff); scripts/mpi-check.sh
        requires it below 1e-12 on 1, 2 and 4 ranks.
        """)

    @Option var qubits = 12
    @Option var gates = 200
    @Option var seed: UInt64 = 1
    @Option(help: "Compute threads per rank.")
    var threads = 1
    @Flag(help: "Skip the unsharded reference (needed once one process cannot hold the whole state).")
    var noCheck = false
    @Flag(help: "Exchange whole shards per gate on a split wire instead of remapping wires.")
    var noRemap = false
    @Option(help: "Also time forward + adjoint gradient of this many StronglyEntangling layers (0: off).")
    var gradientLayers = 0

    func run() throws {
        Compute.setThreads(threads)
        let comm: any Communicator = MPICommunicator.launchedUnderMPI ? MPICommunicator.world() : SingleProcessCommunicator()
        defer { MPICommunicator.finalize() }
        try reportingErrors {
            let t = Threads(threads)
            var lines = ShardedRun.bindingFigures(communicator: comm, threads: t)
            lines += try ShardedRun.figures(qubits: qubits, gates: gates, seed: seed, communicator: comm,
                                            threads: t, remap: !noRemap, check: !noCheck)
            if gradientLayers > 0 {
                lines += try ShardedRun.gradientFigures(qubits: qubits, layers: gradientLayers, seed: seed,
                                                        communicator: comm, threads: t, check: !noCheck)
            }
            if comm.isRoot { for (k, v) in lines { print("\(k) \(v)") } }
        }
    }
}

struct Classic: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Training images/s of the Classic ResNet-18 per size, beside benchmarks/torch_resnet_throughput.py (same stem rule).")

    @Option(help: "Comma-separated image sizes.")
    var sizes = "32,64,128"
    @Option var batch = 32
    @Option var steps = 3
    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "auto (the Classic model's rule: conv1 stride 1 up to 64 px), torchvision or highres.")
    var stem = "auto"

    func run() throws {
        print("swift ResNet-18, OpenBLAS kernels \(Compute.openBLASCore)")
        for size in sizes.split(separator: ",").compactMap({ Int($0) }) {
            let chosen: ResNetStem = stem == "torchvision" ? .torchvision : stem == "highres" ? .highResolution
                : .forImage(height: size, width: size)
            let ips = measureClassicTrainingThroughput(imageSize: size, batch: batch, steps: steps, threads: threads, stem: chosen)
            let stride = chosen == .torchvision ? 2 : 1
            print(String(format: "swift resnet18 %dx%d batch %d threads %d conv1 stride %d: %.1f img/s", size, size, batch, threads, stride, ips))
        }
    }
}

struct TrainConfig: ParsableCommand {
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

// Line-buffered stdout: progress lines appear at once in a batch job's log file, in order with
// the training log (which writes to the stdout file handle directly).
setvbuf(stdout, nil, _IOLBF, 0)
// Before anything else: make OpenBLAS load its kernels for this CPU (see Compute).
Compute.reexecWithTunedOpenBLASIfNeeded()
Bench.main()
