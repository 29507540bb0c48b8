// The `training` suite: a scaling study of short real training runs over a grid of (model, image
// size, batch size). Each configuration is a generated YAML config trained by DeepfakeApp.train
// exactly as `deepfake -c` would, in a work folder under the output folder; its run folder gives
// one BenchRecord (test accuracy/loss/AUC, training images/s, wall time of training + validation
// + test without data preparation, and for quantum models the circuit resources of
// quantum_resources.json).

import App
import Config
import Core
import Foundation
import Reporting
import Training

/// What the training study runs.
public struct TrainingStudy: Sendable {
    public var models: [ModelChoice]
    public var imageSizes: [Int]
    public var batchSizes: [Int]
    public var epochs: Int
    /// The training data; nil = hard1k when a cache has it, else the built-in small set.
    public var trainData: DatasetEntry?
    /// Compute threads per run (config nCPUs).
    public var threads: Int
    /// Keep each run's folder (weights, logs, plots) under `<out>/training-runs-*`; default removes them.
    public var keepRuns: Bool
    /// When set, each configuration trains in a child process `<executable> train-config CONFIG
    /// RESULT` (the `bench` executable itself), so a crash (a trap in a kernel) becomes a row
    /// noted "failed: ... crashed" instead of ending the study. nil = in this process.
    public var isolationExecutable: String?
    /// A config (e.g. configs/bench/training.yaml) that supplies every setting except the grid's
    /// model, size, batch and epochs and the output/cache paths; its trainData is used when
    /// `trainData` is nil. nil = the demo's settings on the automatically chosen data.
    public var baseConfig: Config?

    /// A folder holding kagglehub caches of the real sets (`--datasets`, else $DEEPFAKE_DATASETS);
    /// nil = only $KAGGLEHUB_CACHE is looked at.
    public var datasets: String?

    public init(models: [ModelChoice] = ModelChoice.allCases, imageSizes: [Int] = [32, 64], batchSizes: [Int] = [16, 32],
                epochs: Int = 3, trainData: DatasetEntry? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, keepRuns: Bool = false) {
        self.models = models; self.imageSizes = imageSizes; self.batchSizes = batchSizes; self.epochs = epochs
        self.trainData = trainData; self.threads = threads; self.keepRuns = keepRuns
        self.baseConfig = nil
        self.isolationExecutable = nil
        self.datasets = nil
    }

    /// Loads `path` as the base config; its trainData then replaces the study's data choice.
    public mutating func useBaseConfig(path: String) throws {
        let c = try Config.load(path: path)
        guard !c.trainData.isEmpty else { throw DeepfakeError("base config \(path) names no trainData") }
        baseConfig = c
        trainData = nil
    }

    /// `--quick`: Classic and HQNN at 32x32, batch 16, one epoch on the built-in small set.
    public static var quick: TrainingStudy {
        TrainingStudy(models: [.classic, .hqnn], imageSizes: [32], batchSizes: [16], epochs: 1,
                      trainData: DatasetEntry(name: "demo", source: .builtin(variant: "small")))
    }
}

public enum TrainingSuite {
    /// Runs every configuration of `study`; a configuration that fails (e.g. a model type this
    /// build cannot train) becomes a row with NaN metrics and the reason in `note`, never a crash.
    /// The preprocessed-data cache `<outDirectory>/.data-cache` is shared by all runs (and by
    /// later studies); run folders live in `<outDirectory>/training-runs-*` until the study ends.
    public static func run(_ study: TrainingStudy, outDirectory: String, packageRoot: String,
                           log: (String) -> Void = { print($0) }) throws -> [BenchRecord] {
        let (entry, kagglePath, dataNote) = chooseData(study.trainData, base: study.baseConfig, packageRoot: packageRoot,
                                                       datasets: study.datasets)
        log("training suite: data \(label(entry)): \(dataNote)")
        let work = (outDirectory as NSString).appendingPathComponent(
            "training-runs-\(BenchResultFile.utcStamp(Date()))-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if !study.keepRuns { try? FileManager.default.removeItem(atPath: work) } }
        let dataDir = (outDirectory as NSString).appendingPathComponent(".data-cache")

        var records: [BenchRecord] = []
        for size in study.imageSizes {
            for batch in study.batchSizes {
                for model in study.models {
                    let name = "\(model.rawValue) \(size)px b\(batch)"
                    log("training suite: \(name), \(study.epochs) epoch(s)")
                    var config = try makeConfig(model: model, size: size, batch: batch, epochs: study.epochs, entry: entry,
                                                kagglePath: kagglePath, threads: study.threads, base: study.baseConfig)
                    config.outputsPath = (work as NSString).appendingPathComponent("runs")
                    config.dataPath = dataDir
                    config.modelPath = (work as NSString).appendingPathComponent("no-pretrained-weights")
                    var record = BenchRecord(row: BenchmarkRow(name: name, accuracy: .nan, loss: .nan, auc: .nan, wallSeconds: .nan),
                                             model: model.rawValue, dataset: label(entry), imageSize: size, batchSize: batch,
                                             epochs: study.epochs, threads: study.threads,
                                             baseline: model == .classic ? "" : "Classic \(size)px b\(batch)", note: dataNote)
                    let configPath = (work as NSString).appendingPathComponent(
                        "\(model.rawValue)-\(size)-\(batch).yaml")
                    try config.toYAML().write(toFile: configPath, atomically: true, encoding: .utf8)
                    var t0 = WallClock.now()
                    do {
                        // Data preparation (generation, decode, cache) is done first and not timed:
                        // the first grid point would otherwise pay for every later one.
                        try DeepfakeApp.prepare(RunRequest(configPath: configPath, offline: true))
                        t0 = WallClock.now()
                        let (folder, seconds) = try train(configPath: configPath, isolation: study.isolationExecutable)
                        record.row.wallSeconds = seconds
                        try RunFolderReader.fill(&record, runFolder: folder, config: config)
                    } catch {
                        record.row.wallSeconds = WallClock.now() - t0
                        let message = (error as? DeepfakeError)?.message ?? "\(error)"
                        let unsupported = message.contains("not built into") || message.contains("not supported")
                        record.note = (unsupported ? "unsupported: " : "failed: ") + message
                        log("training suite: \(name) \(record.note)")
                    }
                    records.append(record)
                }
            }
        }
        return records
    }

    /// Trains one config in this process or in a child; returns the run folder and the seconds
    /// of training + validation + test.
    static func train(configPath: String, isolation: String?) throws -> (String, Double) {
        guard let exe = isolation else {
            let t0 = WallClock.now()
            let folder = try DeepfakeApp.train(RunRequest(configPath: configPath, offline: true))
            return (folder, WallClock.now() - t0)
        }
        let resultPath = configPath + ".result.json"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["train-config", configPath, resultPath]
        do { try p.run() } catch {
            throw DeepfakeError("cannot start \(exe) train-config: \(error.localizedDescription)")
        }
        p.waitUntilExit()
        let result = FileManager.default.contents(atPath: resultPath)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        if let message = result["error"] as? String { throw DeepfakeError(message) }
        if p.terminationReason == .uncaughtSignal {
            throw DeepfakeError("the training process crashed (signal \(p.terminationStatus)); its log is above")
        }
        guard p.terminationStatus == 0, let folder = result["run_folder"] as? String, let seconds = result["seconds"] as? Double else {
            throw DeepfakeError("the training process exited with status \(p.terminationStatus) and no result; its log is above")
        }
        return (folder, seconds)
    }

    /// The child side of `isolationExecutable` (`bench train-config CONFIG RESULT`): trains and
    /// writes {"run_folder", "seconds"} or {"error"} to `resultPath` as JSON.
    public static func trainChild(configPath: String, resultPath: String) -> Int32 {
        var o: [String: Any]
        var status: Int32 = 0
        do {
            let (folder, seconds) = try train(configPath: configPath, isolation: nil)
            o = ["run_folder": folder, "seconds": seconds]
        } catch {
            o = ["error": (error as? DeepfakeError)?.message ?? "\(error)"]
            status = 1
        }
        if let data = try? JSONSerialization.data(withJSONObject: o) {
            FileManager.default.createFile(atPath: resultPath, contents: data)
        }
        return status
    }

    /// "builtin:small", "hard1k", ...: the source for generated data, else the config's name.
    static func label(_ e: DatasetEntry) -> String {
        if case .builtin = e.source { return e.source.description }
        return e.name
    }

    /// A study's data: its own entry, else the base config's, else hard1k when a kagglehub cache
    /// has it ($KAGGLEHUB_CACHE, or `datasets`), else builtin:small.
    static func chooseData(_ trainData: DatasetEntry?, base: Config?, packageRoot: String,
                           datasets: String?) -> (DatasetEntry, String, String) {
        if let e = trainData { return (e, "/tmp", "training data \(e.source) (set by --quick or the caller)") }
        if let base, let e = base.trainData.first {
            return (e, base.kagglePath, "training data \(e.source) from the base config")
        }
        if let root = BenchEnvironment.kaggleRoot(for: BenchEnvironment.hard1k, datasets: datasets),
           let handle = try? KaggleHandle(parsing: BenchEnvironment.hard1k) {
            return (DatasetEntry(name: "hard1k", source: .kaggle(handle)), root, "hard1k from the kagglehub cache \(root)")
        }
        return (DatasetEntry(name: "demo", source: .builtin(variant: "small")), "/tmp",
                "built-in generated faces (no hard1k in $KAGGLEHUB_CACHE" + (datasets.map { " or \($0)" } ?? "") + ")")
    }

    /// The config of one grid point: `base` with the grid's settings, else the demo's optimiser
    /// settings and a seeded split with a test part (20% held out, half of it for testing;
    /// 70/20/10 on real data as configs/hard1k.yaml).
    public static func makeConfig(model: ModelChoice, size: Int, batch: Int, epochs: Int, entry: DatasetEntry,
                                  kagglePath: String, threads: Int, base: Config? = nil) throws -> Config {
        var c = base ?? Config(modelType: .classic, trainData: [entry])
        c.trainData = [entry]
        switch model {
        case .classic: c.modelType = .classic
        case .hqnn: c.modelType = .quantum; c.quanType = .hqnn
        case .qnn: c.modelType = .quantum; c.quanType = .qnn
        }
        c.imageHeight = size; c.imageWidth = size
        c.batchSize = batch
        c.numEpochs = epochs
        c.kagglePath = kagglePath
        c.nCPUs = max(1, threads)
        guard base == nil else { return c }
        if case .builtin = entry.source { c.valSize = 0.2; c.testSize = 0.5 } else { c.valSize = 0.3; c.testSize = 0.3333 }
        c.learningRate = 0.001
        c.beta1 = 0.9
        return c
    }
}
