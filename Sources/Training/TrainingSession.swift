// TrainingSession: one run of `deepfake -c CONFIG`: run folder, data, split, model, the epoch
// loop with validation, checkpoints and early stopping, then the test on the best weights.
// With `-i WEIGHTS` it skips training and writes the same test outputs for those weights.

import Config
import Core
import Datasets
import Foundation
import Metrics
import Models
import NN
import Reporting

final class TrainingSession {
    let config: Config
    let request: RunRequest
    let comm: any Communicator
    let log: RunLog
    let folder: RunFolder

    init(config: Config, request: RunRequest, communicator: any Communicator) throws {
        self.config = config
        self.request = request
        self.comm = communicator
        self.log = RunLog(echo: communicator.isRoot)
        DeepfakeApp.applyThreads(config)
        folder = try TrainingSession.makeFolder(config: config, request: request, comm: communicator)
        if comm.isRoot {
            try log.attach(path: folder.file("run.log"))
            try config.toYAML().write(toFile: folder.file("config.yaml"), atomically: true, encoding: .utf8)
        }
    }

    /// Rank 0 creates the folder (never reusing an existing one) and tells the other ranks.
    static func makeFolder(config: Config, request: RunRequest, comm: any Communicator) throws -> RunFolder {
        var path = ""
        if comm.isRoot {
            let names = config.trainData.map(\.name)
            let label = request.inferWeights == nil ? config.modelLabel : config.modelLabel + "-infer"
            path = try RunFolder.create(outputsPath: config.outputsPath, model: label, batchSize: config.batchSize,
                                        epochs: config.numEpochs, datasets: names).path
        }
        return RunFolder(existing: broadcastString(path, comm: comm))
    }

    func run() throws -> String {
        log.info("run folder: \(folder.path)")
        log.info("config: \(request.configPath) (resolved copy in config.yaml); seed \(config.manualSeed); "
                 + "\(comm.size) rank(s) x \(Parallel.threads) thread(s)")
        for note in config.loadNotes { log.info("config note: \(note)") }

        // Data: rank 0 downloads and builds the caches; the others then read them.
        let stage = DataStage(config: config, offline: request.offline, resort: request.resort, log: log)
        var prepared: [PreparedRole] = []
        if comm.isRoot { prepared = try stage.prepareAll() }
        comm.barrier()
        if !comm.isRoot {
            let quiet = DataStage(config: config, offline: true, resort: false, log: RunLog(echo: false))
            prepared = try quiet.prepareAll()
        }
        let trainData = prepared[0].data
        let testData = prepared.count > 1 ? prepared[1].data : nil
        let split = try DataSplit.make(labels: trainData.labels, officialSplits: trainData.officialSplits,
                                       valSize: config.valSize, testSize: config.testSize,
                                       seed: UInt64(config.manualSeed), cacheKey: trainData.cacheKey)
        if comm.isRoot { try split.save(to: folder.file("split.json")) }
        log.info("data: \(trainData.count) images (\(trainData.classCounts[0]) real, \(trainData.classCounts[1]) fake) -> "
                 + "train \(split.train.count), validation \(split.val.count), test "
                 + (testData.map { "\($0.count) from testData \(config.testData.map(\.name))" } ?? "\(split.test.count) from the split"))

        let model = try ModelFactory.make(config, log: log)
        log.info(model.summary)
        // Quantum models: QNN feature cache, quantum_resources.json and .qasm files (QuantumModels.swift).
        try QuantumModels.prepareRun(model, config: config, data: prepared.map(\.data), folder: folder.path, isRoot: comm.isRoot, ranks: comm.size, log: log)

        let assembler = BatchAssembler(seed: UInt64(config.manualSeed), augmentation: augmentationPolicy(config),
                                       channels: config.numChannels)
        let optimizer = makeOptimizer(config)
        let stepsPerEpoch = max(1, split.train.count / config.batchSize)
        let schedule = learningRateSchedule(config, stepsPerEpoch: stepsPerEpoch)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: schedule, communicator: comm,
                              batchSize: config.batchSize, assembler: assembler)

        var bestEpoch = 0
        if let weights = request.inferWeights {
            let info = try Checkpoint.load(into: model.network, from: weights)
            log.info("inference with \(weights) (model \(info.model), epoch \(info.epoch), \(info.metricName) \(info.metricValue))")
            bestEpoch = info.epoch
        } else {
            bestEpoch = try trainLoop(trainer: trainer, data: trainData, split: split)
            _ = try Checkpoint.load(into: model.network, from: folder.file("best.h5"))
            log.info("testing the best checkpoint (epoch \(bestEpoch))")
        }
        if comm.isRoot { try QuantumRecords.exportCircuits(model, config: config, folder: folder.path, log: log) }  // .qasm with the tested weights

        let (evalData, evalIndices) = testData.map { ($0, Array(0..<$0.count)) } ?? (trainData, split.test)
        if evalIndices.isEmpty {
            log.warning("no test images: set testSize > 0 or testData in the config to get test metrics")
        } else {
            try writeTestOutputs(trainer.evaluate(evalData, indices: evalIndices), data: evalData,
                                 indices: evalIndices, checkpointEpoch: bestEpoch)
        }
        log.info("done: outputs in \(folder.path)")
        log.close()
        return folder.path
    }

    /// Epochs with validation, CSV rows, last/best checkpoints and early stopping; returns the best epoch.
    func trainLoop(trainer: Trainer, data: PreparedData, split: DataSplit) throws -> Int {
        let shuffler = EpochShuffler(indices: split.train, seed: UInt64(config.manualSeed))
        let metric = config.earlyStoppingMetric
        var stopper = EarlyStopping(mode: metric.lowerIsBetter ? .min : .max, patience: max(1, config.earlyStoppingPatience))
        let csv = comm.isRoot ? try EpochCSVWriter(path: folder.file("epochs.csv")) : nil
        var records: [EpochRecord] = []
        var bestEpoch = 0
        let batches = trainer.batches(shuffler, epoch: 0).count
        log.info("training \(config.numEpochs) epoch(s) of \(batches) batch(es) of \(config.batchSize), "
                 + "optimizer \(config.optimizer.rawValue) lr \(config.learningRate), schedule \(config.lrSchedule.rawValue)")
        for epoch in 1...max(1, config.numEpochs) {
            var lastReport = WallClock.now()
            let stats = trainer.trainEpoch(data, shuffler: shuffler, epoch: epoch) { b, total, loss in
                if WallClock.now() - lastReport > 10 && b < total {
                    self.log.info(String(format: "  epoch %d: batch %d/%d, running loss %.4f", epoch, b, total, loss))
                    lastReport = WallClock.now()
                }
            }
            let val = split.val.isEmpty ? nil : trainer.evaluate(data, indices: split.val)
            let m = val?.metrics
            let record = EpochRecord(
                epoch: epoch, trainLoss: stats.loss, trainAccuracy: stats.accuracy,
                valLoss: val?.loss ?? .nan, valAccuracy: m?.accuracy ?? .nan, valPrecision: m?.precision ?? .nan,
                valRecall: m?.recall ?? .nan, valF1: m?.f1 ?? .nan, valAUC: m?.auc ?? .nan,
                epochSeconds: stats.seconds, imagesPerSecond: Double(stats.images) / max(stats.seconds, 1e-9),
                peakMemoryMB: Double(ProcessMemory.peakResidentBytes()) / 1_048_576, learningRate: stats.learningRate)
            records.append(record)
            try csv?.append(record)
            log.info(String(format: "epoch %d/%d: train loss %.4f acc %.4f | val loss %.4f acc %.4f f1 %.4f auc %.4f | %.1fs, %.0f img/s",
                            epoch, config.numEpochs, stats.loss, stats.accuracy, record.valLoss, record.valAccuracy,
                            record.valF1, record.valAUC, stats.seconds, record.imagesPerSecond))

            let monitored: Double
            switch metric {
            case .valAUC: monitored = record.valAUC
            case .valLoss: monitored = record.valLoss
            case .valAccuracy: monitored = record.valAccuracy
            }
            // Without validation (or with an undefined metric) every epoch is "best", i.e. best = last.
            let decision = monitored.isNaN ? (isBest: true, shouldStop: false) : stopper.update(monitored)
            let info = CheckpointInfo(model: trainer.model.name, epoch: epoch, metricName: metric.rawValue, metricValue: monitored)
            if comm.isRoot {
                try Checkpoint.save(trainer.model.network, info: info, to: folder.file("last.h5"))
                if decision.isBest { try Checkpoint.save(trainer.model.network, info: info, to: folder.file("best.h5")) }
            }
            if decision.isBest { bestEpoch = epoch }
            if decision.shouldStop && config.earlyStoppingPatience > 0 {
                log.info("early stopping: \(metric.rawValue) has not improved for \(config.earlyStoppingPatience) epoch(s); best epoch \(bestEpoch)")
                break
            }
        }
        comm.barrier()
        if comm.isRoot {
            try Plots.write(Plots.loss(records), to: folder.file("loss.svg"))
            try Plots.write(Plots.accuracy(records), to: folder.file("accuracy.svg"))
        }
        return bestEpoch
    }

    func writeTestOutputs(_ result: EvaluationResult, data: PreparedData, indices: [Int], checkpointEpoch: Int) throws {
        let m = result.metrics
        log.info(String(format: "test: %d images, loss %.4f, accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, AUC %.4f, AP %.4f, EER %.4f",
                        m.count, result.loss, m.accuracy, m.precision, m.recall, m.f1, m.auc, m.averagePrecision, m.eer))
        log.info("test confusion (fake = positive): TP \(m.confusion.tp) FP \(m.confusion.fp) TN \(m.confusion.tn) FN \(m.confusion.fn)")
        guard comm.isRoot else { return }
        let context: [String: Any] = [
            "model": config.modelLabel, "checkpoint_epoch": checkpointEpoch, "loss": result.loss.isFinite ? result.loss : NSNull(),
            "datasets": Array(Set(indices.map { data.datasetNames[$0] })).sorted(),
            "weights": request.inferWeights ?? folder.file("best.h5"),
        ]
        try TestOutputs.writeMetricsJSON(m, context: context, to: folder.file("test_metrics.json"))
        let rows = zip(indices, result.pFake).map { i, p in
            Prediction(path: data.paths[i], dataset: data.datasetNames[i], label: data.labels[i], pFake: p)
        }
        try TestOutputs.writePredictionsCSV(rows, to: folder.file("test_predictions.csv"))
        try Plots.write(Plots.roc(ROCCurve(labels: result.labels, pFake: result.pFake), auc: m.auc), to: folder.file("roc.svg"))
    }
}

// MARK: - Config to engine settings

func makeOptimizer(_ c: Config) -> Optimizer {
    let wd: WeightDecay = c.weightDecay > 0 ? .l2(Float(c.weightDecay)) : .none
    switch c.optimizer {
    case .adam: return Adam(learningRate: Float(c.learningRate), beta1: Float(c.beta1), weightDecay: wd)
    case .adamax: return Adamax(learningRate: Float(c.learningRate), beta1: Float(c.beta1), weightDecay: wd)
    case .sgd: return SGD(learningRate: Float(c.learningRate), momentum: Float(c.momentum), weightDecay: wd)
    }
}

func learningRateSchedule(_ c: Config, stepsPerEpoch: Int) -> LearningRateSchedule {
    switch c.lrSchedule {
    case .constant: return .constant(Float(c.learningRate))
    case .cosine:
        return .cosine(base: Float(c.learningRate), warmupSteps: c.warmupEpochs * stepsPerEpoch,
                       totalSteps: max(1, c.numEpochs * stepsPerEpoch), minimum: 0)
    }
}

func augmentationPolicy(_ c: Config) -> AugmentationPolicy {
    AugmentationPolicy(horizontalFlip: c.augment.contains(.hflip) ? 0.5 : 0,
                       verticalFlip: c.augment.contains(.vflip) ? 0.5 : 0,
                       rotation: c.augment.contains(.rotate) ? .small(maxDegrees: 15) : .none)
}

/// Root's string, on every rank.
func broadcastString(_ s: String, comm: any Communicator) -> String {
    guard comm.size > 1 else { return s }
    var length = [Double(s.utf8.count)]
    if !comm.isRoot { length = [0] }
    length.withUnsafeMutableBytes { comm.broadcast($0, root: 0) }
    var bytes = comm.isRoot ? Array(s.utf8) : [UInt8](repeating: 0, count: Int(length[0]))
    bytes.withUnsafeMutableBytes { comm.broadcast($0, root: 0) }
    return String(decoding: bytes, as: UTF8.self)
}
