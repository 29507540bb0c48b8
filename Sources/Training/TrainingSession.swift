// TrainingSession: one run of `deepfake -c CONFIG`: run folder, data, split, model, the epoch
// loop with validation, checkpoints and early stopping, then the test on the best weights.
// With `-i WEIGHTS` it skips training and writes the same test outputs for those weights.
// The data and the model come from the SessionInputs it is handed (App's DeepfakeInputs).

import Config
import Core
import Datasets
import Foundation
import Metrics
import Models
import NN
import Quantum
import Reporting

public final class TrainingSession {
    let config: Config
    let request: RunRequest
    let comm: any Communicator
    let log: RunLog
    let folder: RunFolder
    /// Threads (from nCPUs) and data-parallel group every layer and data loader of the run uses.
    let context: NNContext
    /// The world as data-parallel groups x state groups sharing the circuits (StatevectorPlan, ProcessGrid).
    let plan: StatevectorPlan
    let grid: ProcessGrid
    /// status.json: running / interrupted / failed / done, rewritten atomically.
    let status: RunStatusFile
    /// Where the run's data and model come from.
    let inputs: any SessionInputs

    /// `threads`: the run's thread count (every layer and data loader uses it).
    public init(config: Config, request: RunRequest, communicator: any Communicator, threads: Threads,
                inputs: any SessionInputs) throws {
        self.config = config
        self.request = request
        self.comm = communicator
        self.inputs = inputs
        self.log = RunLog(echo: communicator.isRoot)
        // Refuses a config whose statevectors cannot fit before any folder is made.
        plan = try StatevectorPlan.resolve(config, worldSize: communicator.size, threads: threads)
        grid = try GridSetup.grid(plan, world: communicator)
        context = NNContext(threads: threads, group: grid.data)
        if let resume = request.resumeFolder {
            folder = RunFolder(existing: resume)
        } else {
            folder = try TrainingSession.makeFolder(config: config, request: request, comm: communicator)
        }
        if comm.isRoot {
            try log.attach(path: folder.file(.log))
            if request.resumeFolder == nil {
                try AtomicFile.write(config.toYAML(), to: folder.file(.config))
            }
            if let record = request.jobRecord {
                // slurm/train.sh resumes this folder when Slurm restarts the job.
                try FileManager.default.createDirectory(atPath: (record as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try AtomicFile.write(Data((folder.path + "\n").utf8), to: record)
            }
        }
        status = RunStatusFile(folder: folder.path, isRoot: comm.isRoot,
                               resumedFrom: request.resumeFolder.flatMap { RunStatus.read(runFolder: $0) })
        try status.set(.running)
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

    /// Runs the session; status.json and run.log record how it ended (done, interrupted, failed).
    public func run() throws -> String {
        do {
            let path = try runBody()
            try status.set(.done, epochsDone: status.status.epochsDone)
            log.close()
            return path
        } catch let stop as TrainingInterrupted {
            log.info("interrupted: \(stop)")
            try? status.set(.interrupted)
            log.close()
            throw stop
        } catch {
            log.echo = false  // the executable prints it on stderr
            log.info("ERROR: \(error)")
            try? status.set(.failed, error: "\(error)")
            log.close()
            throw error
        }
    }

    func runBody() throws -> String {
        log.info(request.resumeFolder == nil ? "run folder: \(folder.path)" : "resuming run folder: \(folder.path)")
        log.info("config: \(request.configPath) (resolved copy in config.yaml); seed \(config.manualSeed); "
                 + "\(comm.size) rank(s) x \(context.threads)")
        for note in config.loadNotes { log.info("config note: \(note)") }

        // Data: rank 0 downloads and builds the caches; the others then read them.
        var prepared: [PreparedRole] = []
        if comm.isRoot { prepared = try inputs.prepareData(log: log, cachesReady: false) }
        comm.barrier()
        if !comm.isRoot { prepared = try inputs.prepareData(log: RunLog(echo: false), cachesReady: true) }
        try FaultInjection.check(.data, rank: comm.rank)
        if comm.isRoot { ShortcutAudit.logFlags(config: config, log: log, threads: context.threads) }
        let trainData = prepared[0].data
        let testData = prepared.count > 1 ? prepared[1].data : nil
        let split = try DataSplit.make(labels: trainData.labels, officialSplits: trainData.officialSplits,
                                       valSize: config.valSize, testSize: config.testSize,
                                       seed: UInt64(config.effectiveSplitSeed), cacheKey: trainData.cacheKey)
        if comm.isRoot { try split.save(to: folder.file(.split)) }
        log.info("data: \(trainData.count) images (\(trainData.classCounts[0]) real, \(trainData.classCounts[1]) fake) -> "
                 + "train \(split.train.count), validation \(split.val.count), test "
                 + (testData.map { "\($0.count) from testData \(config.testData.map(\.name))" } ?? "\(split.test.count) from the split"))

        if StatevectorPlan.groupWork(config) != .none && (plan.statevectorRanks > 1 || config.statevectorRanks != 1) {
            log.info(GridSetup.describe(plan, worldSize: comm.size))
        }
        let model = try inputs.makeModel(context: context, grid: grid, log: log)
        log.info(model.summary)
        log.info(context.conv.engineDescription)
        // Quantum models: QNN feature cache, quantum_resources.json and .qasm files (App's QuantumModels.swift).
        try inputs.prepareRun(model, data: prepared.map(\.data), folder: folder.path, communicator: comm, grid: grid, log: log)

        let assembler = BatchAssembler(seed: UInt64(config.manualSeed), augmentation: EngineSettings.augmentation(config),
                                       channels: config.numChannels, threads: context.threads)
        let optimizer = EngineSettings.dataParallelOptimizer(config, parameterCount: model.network.parameterCount, communicator: grid.data)
        // The schedule counts the steps the trainer will run (a short last batch included).
        let stepsPerEpoch = Trainer.stepsPerEpoch(images: split.train.count, batchSize: config.batchSize, ranks: grid.groups)
        let schedule = EngineSettings.learningRateSchedule(config, stepsPerEpoch: stepsPerEpoch)
        // The trainer shards batches and adds gradients over the data-parallel groups only.
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: schedule, communicator: grid.data,
                              batchSize: config.batchSize, assembler: assembler)

        var bestEpoch = 0
        if let weights = request.inferWeights {
            let info = try Checkpoint.load(into: model.network, from: weights)
            log.info("inference with \(weights) (model \(info.model), epoch \(info.epoch), \(info.metricName) \(info.metricValue))")
            bestEpoch = info.epoch
        } else {
            bestEpoch = try trainLoop(trainer: trainer, optimizer: optimizer, data: trainData, split: split)
            _ = try Checkpoint.load(into: model.network, from: folder.file(.bestWeights))
            log.info("testing the best checkpoint (epoch \(bestEpoch))")
        }
        if comm.isRoot { try inputs.recordTestedWeights(model, folder: folder.path, grid: grid, log: log) }  // .qasm with the tested weights

        let (evalData, evalIndices) = testData.map { ($0, Array(0..<$0.count)) } ?? (trainData, split.test)
        if evalIndices.isEmpty {
            log.warning("no test images: set testSize > 0 or testData in the config to get test metrics")
        } else {
            try writeTestOutputs(trainer.evaluate(evalData, indices: evalIndices), data: evalData,
                                 indices: evalIndices, checkpointEpoch: bestEpoch)
        }
        log.info("done: outputs in \(folder.path)")
        return folder.path
    }

    /// Epochs with validation, CSV rows, last/best checkpoints and early stopping; returns the best
    /// epoch. Resumes from `last.h5` when the request says so; stops at a step boundary on
    /// SIGTERM/SIGUSR1 after writing `last.h5` (throws TrainingInterrupted).
    func trainLoop(trainer: Trainer, optimizer: Optimizer, data: PreparedData, split: DataSplit) throws -> Int {
        let balance = config.balanceTrainData
            ? BalancedOrder(indices: split.train, datasetNames: data.datasetNames, labels: data.labels) : nil
        if let balance { log.info(balance.summary) }
        let shuffler = EpochShuffler(indices: split.train, seed: UInt64(config.manualSeed), balance: balance)
        let metric = config.earlyStoppingMetric
        var stopper = EarlyStopping(mode: metric.lowerIsBetter ? .min : .max, patience: max(1, config.earlyStoppingPatience))
        var state = ResumeState(epoch: 1, batchesDone: 0, finished: false, globalStep: 0, optimizerSteps: 0,
                                partial: EpochPartial(), stopper: stopper.state, bestEpoch: 0, bestMetric: nil, history: [],
                                manualSeed: config.manualSeed, rngStreams: ResumeState.streamRecipe)
        if request.resumeFolder != nil {
            state = try Checkpoint.loadResumable(into: trainer.model.network, optimizer: optimizer, from: folder.file(.lastWeights))
            stopper.restore(state.stopper)
            trainer.step = state.globalStep
            log.info("resuming at epoch \(state.epoch), batch \(state.batchesDone) (step \(state.globalStep))"
                     + (state.finished ? ": training had finished, testing" : ""))
            // epochs.csv may hold a row written after the checkpoint: rewrite it from the history.
            if comm.isRoot {
                let lines = [EpochRecord.columns.joined(separator: ",")] + state.history.compactMap(\.record).map(\.csvLine)
                try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: folder.file(.epochs))
            }
        }
        var records = state.history.compactMap(\.record)
        let csv = comm.isRoot ? try EpochCSVWriter(path: folder.file(.epochs)) : nil
        let batches = trainer.batches(shuffler, epoch: 0).count
        log.info("training \(config.numEpochs) epoch(s) of \(batches) batch(es) of \(config.batchSize), "
                 + "optimizer \(config.optimizer.rawValue) lr \(config.learningRate), schedule \(config.lrSchedule.rawValue)"
                 + (optimizer is ShardedOptimizer ? ", state sharded over \(trainer.communicator.size) ranks (ZeRO-1)" : ""))
        StopSignal.install()
        var firstCheckpoint = true
        /// Rank 0 writes last.h5 with the state as it stands. Every rank calls it: a sharded optimiser's
        /// moments are gathered from all ranks first.
        func saveLast(_ info: CheckpointInfo) throws {
            state.stopper = stopper.state
            state.globalStep = trainer.step
            state.optimizerSteps = optimizer.stepCount
            state.history = records.map(HistoryRow.init)
            if firstCheckpoint { try FaultInjection.check(.write, rank: comm.rank); firstCheckpoint = false }
            let t0 = WallClock.now()
            let buffers = optimizer.checkpointBuffers()  // collective when the state is sharded over the ranks
            guard comm.isRoot else { return }
            try Checkpoint.save(trainer.model.network, info: info, to: folder.file(.lastWeights), optimizerBuffers: buffers, resume: state)
            log.info(String(format: "checkpoint last.h5 (epoch %d, batch %d) written in %.3f s", state.epoch, state.batchesDone,
                            WallClock.now() - t0))
        }
        while !state.finished && state.epoch <= max(1, config.numEpochs) {
            let epoch = state.epoch
            var lastReport = WallClock.now()
            var stopSignal: Int32? = nil
            var saveError: Error? = nil
            let every = config.checkpointEverySteps
            let stats = trainer.trainEpoch(
                data, shuffler: shuffler, epoch: epoch,
                resume: state.batchesDone > 0 ? (state.batchesDone, state.partial) : nil,
                boundary: { done, partial in
                    do { try FaultInjection.check(.step, rank: self.comm.rank) } catch { saveError = error; return true }
                    // Every rank must agree on stopping: one tiny allreduce (skipped on one rank).
                    let mine = Double(StopSignal.received ?? 0)
                    let agreed = self.comm.size > 1 ? self.comm.allreduceMax(mine) : mine
                    if agreed > 0 { stopSignal = Int32(agreed) }
                    guard stopSignal != nil || (every > 0 && trainer.step % every == 0) else { return false }
                    state.batchesDone = done
                    state.partial = partial()
                    do {
                        try saveLast(CheckpointInfo(model: trainer.model.name, epoch: epoch - 1, metricName: metric.rawValue,
                                                    metricValue: state.bestMetric ?? .nan))
                    } catch { saveError = error; return true }
                    return stopSignal != nil
                }) { b, total, loss in
                if WallClock.now() - lastReport > 10 && b < total {
                    self.log.info(String(format: "  epoch %d: batch %d/%d, running loss %.4f", epoch, b, total, loss))
                    lastReport = WallClock.now()
                }
            }
            if let saveError { throw saveError }
            guard let stats else {
                throw TrainingInterrupted(runFolder: folder.path, signal: stopSignal ?? 0)
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
            if decision.isBest {
                state.bestEpoch = epoch; state.bestMetric = monitored
                // best.h5 before last.h5: a kill between them redoes this epoch and rewrites the same best.h5.
                if comm.isRoot { try Checkpoint.save(trainer.model.network, info: info, to: folder.file(.bestWeights)) }
            }
            let early = decision.shouldStop && config.earlyStoppingPatience > 0
            if early {
                log.info("early stopping: \(metric.rawValue) has not improved for \(config.earlyStoppingPatience) epoch(s); best epoch \(state.bestEpoch)")
            }
            state.epoch = epoch + 1
            state.batchesDone = 0
            state.partial = EpochPartial()
            state.finished = early || epoch >= max(1, config.numEpochs)
            try saveLast(info)
            if comm.isRoot { try status.set(.running, epochsDone: epoch) }
            if let stopSignal, !state.finished {
                throw TrainingInterrupted(runFolder: folder.path, signal: stopSignal)
            }
        }
        comm.barrier()
        if comm.isRoot {
            try Plots.write(Plots.loss(records), to: folder.file(.lossPlot))
            try Plots.write(Plots.accuracy(records), to: folder.file(.accuracyPlot))
        }
        return state.bestEpoch
    }

    func writeTestOutputs(_ result: EvaluationResult, data: PreparedData, indices: [Int], checkpointEpoch: Int) throws {
        let m = result.metrics
        log.info(String(format: "test: %d images, loss %.4f, accuracy %.4f, precision %.4f, recall %.4f, F1 %.4f, AUC %.4f, AP %.4f, EER %.4f",
                        m.count, result.loss, m.accuracy, m.precision, m.recall, m.f1, m.auc, m.averagePrecision, m.eer))
        log.info("test confusion (fake = positive): TP \(m.confusion.tp) FP \(m.confusion.fp) TN \(m.confusion.tn) FN \(m.confusion.fn)")
        let rows = zip(indices, result.pFake).map { i, p in
            Prediction(path: data.paths[i], dataset: data.datasetNames[i], label: data.labels[i], pFake: p)
        }
        let trainNames = config.trainData.map(\.name)
        let perDataset = PerDatasetMetrics.compute(rows, trainDatasets: trainNames)
        for line in PerDatasetMetrics.logLines(rows, trainDatasets: trainNames, perDataset: perDataset) { log.info(line) }
        guard comm.isRoot else { return }
        let context: [String: Any] = [
            "model": config.modelLabel, "checkpoint_epoch": checkpointEpoch, "loss": result.loss.isFinite ? result.loss : NSNull(),
            "datasets": Array(Set(indices.map { data.datasetNames[$0] })).sorted(),
            "weights": request.inferWeights ?? folder.file(.bestWeights),
            "convolution_engine": context.conv.engineDescription,
        ]
        try TestOutputs.writeJSON(PerDatasetMetrics.metricsObject(pooled: m, perDataset: perDataset, context: context),
                                  to: folder.file(.testMetrics))
        try TestOutputs.writePredictionsCSV(rows, to: folder.file(.testPredictions))
        try Plots.write(Plots.roc(ROCCurve(labels: result.labels, pFake: result.pFake), auc: m.auc), to: folder.file(.rocPlot))
    }
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
