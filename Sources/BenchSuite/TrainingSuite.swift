// The `training` suite: a scaling study of short real training runs over a grid of (model, image
// size, batch size). Each configuration is a generated YAML config trained by DeepfakeApp.train
// exactly as `deepfake -c` would, in a work folder under the output folder; its run folder gives
// one BenchRecord (test accuracy/loss/AUC, mean training images/s, wall time, and for quantum
// models the circuit resources of quantum_resources.json).

import Config
import Core
import Foundation
import Reporting
import Training

/// What the training study runs.
public struct TrainingStudy: Sendable {
    /// Model labels: "Classic", "HQNN", "QNN".
    public var models: [String]
    public var imageSizes: [Int]
    public var batchSizes: [Int]
    public var epochs: Int
    /// The training data; nil = hard1k when a cache has it, else the built-in small set.
    public var trainData: DatasetEntry?
    /// Compute threads per run (config nCPUs).
    public var threads: Int
    /// Keep each run's folder (weights, logs, plots) under `<out>/training-runs-*`; default removes them.
    public var keepRuns: Bool

    public init(models: [String] = ["Classic", "HQNN", "QNN"], imageSizes: [Int] = [32, 64], batchSizes: [Int] = [16, 32],
                epochs: Int = 3, trainData: DatasetEntry? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, keepRuns: Bool = false) {
        self.models = models; self.imageSizes = imageSizes; self.batchSizes = batchSizes; self.epochs = epochs
        self.trainData = trainData; self.threads = threads; self.keepRuns = keepRuns
    }

    /// `--quick`: Classic and HQNN at 32x32, batch 16, one epoch on the built-in small set.
    public static var quick: TrainingStudy {
        TrainingStudy(models: ["Classic", "HQNN"], imageSizes: [32], batchSizes: [16], epochs: 1,
                      trainData: DatasetEntry(name: "demo", source: .builtin(variant: "small")))
    }
}

public enum TrainingSuite {
    /// Runs every configuration of `study`; a configuration that fails (e.g. a model type this
    /// build cannot train) becomes a row with NaN metrics and the reason in `note`, never a crash.
    /// `dataDir` holds the preprocessed-data cache, shared by all runs (and by later studies).
    public static func run(_ study: TrainingStudy, outDirectory: String, packageRoot: String,
                           log: (String) -> Void = { print($0) }) throws -> [BenchRecord] {
        let (entry, kagglePath, dataNote) = chooseData(study, packageRoot: packageRoot)
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
                    let name = "\(model) \(size)px b\(batch)"
                    log("training suite: \(name), \(study.epochs) epoch(s)")
                    var config = try makeConfig(model: model, size: size, batch: batch, epochs: study.epochs, entry: entry,
                                                kagglePath: kagglePath, threads: study.threads)
                    config.outputsPath = (work as NSString).appendingPathComponent("runs")
                    config.dataPath = dataDir
                    config.modelPath = (work as NSString).appendingPathComponent("no-pretrained-weights")
                    var record = BenchRecord(row: BenchmarkRow(name: name, accuracy: .nan, loss: .nan, auc: .nan, wallSeconds: .nan),
                                             model: model, dataset: label(entry), imageSize: size, batchSize: batch,
                                             epochs: study.epochs, threads: study.threads,
                                             baseline: model == "Classic" ? "" : "Classic \(size)px b\(batch)", note: dataNote)
                    let configPath = (work as NSString).appendingPathComponent(
                        "\(model)-\(size)-\(batch).yaml")
                    try config.toYAML().write(toFile: configPath, atomically: true, encoding: .utf8)
                    let t0 = WallClock.now()
                    do {
                        let folder = try DeepfakeApp.train(RunRequest(configPath: configPath, offline: true))
                        record.row.wallSeconds = WallClock.now() - t0
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

    /// "builtin:small", "hard1k", ...: the source for generated data, else the config's name.
    static func label(_ e: DatasetEntry) -> String {
        if case .builtin = e.source { return e.source.description }
        return e.name
    }

    /// The study's data: its own entry, else hard1k when a kagglehub cache has it, else builtin:small.
    static func chooseData(_ study: TrainingStudy, packageRoot: String) -> (DatasetEntry, String, String) {
        if let e = study.trainData { return (e, "/tmp", "training data \(e.source) as given") }
        if let root = BenchEnvironment.kaggleRoot(for: BenchEnvironment.hard1k, packageRoot: packageRoot),
           let handle = try? KaggleHandle(parsing: BenchEnvironment.hard1k) {
            return (DatasetEntry(name: "hard1k", source: .kaggle(handle)), root, "hard1k from the kagglehub cache \(root)")
        }
        return (DatasetEntry(name: "demo", source: .builtin(variant: "small")), "/tmp",
                "built-in generated faces (no hard1k in $KAGGLEHUB_CACHE or ../shared/datasets)")
    }

    /// The config of one grid point: the demo's optimiser settings, a seeded split with a test
    /// part (20% held out, half of it for testing; 70/20/10 on hard1k as configs/hard1k.yaml).
    public static func makeConfig(model: String, size: Int, batch: Int, epochs: Int, entry: DatasetEntry,
                                  kagglePath: String, threads: Int) throws -> Config {
        var c = Config(modelType: .classic, trainData: [entry])
        switch model {
        case "Classic": c.modelType = .classic
        case "HQNN": c.modelType = .quantum; c.quanType = .hqnn
        case "QNN": c.modelType = .quantum; c.quanType = .qnn
        default: throw DeepfakeError("unknown model '\(model)' in the training study: use Classic, HQNN or QNN")
        }
        c.imageHeight = size; c.imageWidth = size
        c.batchSize = batch
        c.numEpochs = epochs
        c.kagglePath = kagglePath
        if case .builtin = entry.source { c.valSize = 0.2; c.testSize = 0.5 } else { c.valSize = 0.3; c.testSize = 0.3333 }
        c.learningRate = 0.001
        c.beta1 = 0.9
        c.nCPUs = max(1, threads)
        return c
    }
}
