// The child side of the ranks suite (`bench ranks-child SPEC OUT`, one process per MPI rank): for
// each configuration of the spec it builds the real model, optimizer and Trainer from the
// generated config (ModelFactory, EngineSettings.optimizer, the Trainer's batches and its rank setup such as
// the global-batch BatchNorm reduction), then runs one untimed warm-up step and `steps` timed
// steps of the Trainer's own step sequence, timing each phase:
//   data_wait_s   the rank's shard assembled into the batch tensor (BatchAssembler; decode is done
//                 ahead, in the cache), per step
//   compute_s     forward, loss and backward (the BatchNorm statistics' allreduce inside forward
//                 counts here: it cannot be separated without instrumenting every layer)
//   optimizer_s   the optimizer step: with the state sharded (ZeRO-1) the update of this rank's
//                 part and the allgather of the others' parameters
//   allreduce_s   the wait for the gradient sum after the backward pass (the Trainer's
//                 GradientBuckets: buckets start during backward, so this is the part of the
//                 communication not hidden behind it; it includes waiting for the slowest rank,
//                 i.e. load imbalance)
// Step time is the wall time between two barriers divided by the steps. Each rank writes
// OUT/rank-<r>.json; RanksSuite merges them.

import App
import Config
import Core
import Datasets
import Foundation
import Models
import NN
import Training

public enum RanksChild {
    static let phaseNames = ["data_wait_s", "compute_s", "allreduce_s", "optimizer_s"]

    struct ConfigurationReport: Codable {
        var stepSeconds: Double
        var phases: [String: Double]
    }

    struct RankReport: Codable {
        var rank: Int
        var placement: String
        var configurations: [String: ConfigurationReport]
    }

    /// Runs every configuration of the spec file on `communicator` and writes this rank's report.
    public static func run(specPath: String, outDirectory: String, threads: Int, communicator comm: any Communicator) throws {
        guard let data = FileManager.default.contents(atPath: specPath) else {
            throw DeepfakeError("cannot read the ranks spec \(specPath)")
        }
        let specs = try JSONDecoder().decode([RanksConfiguration].self, from: data)
        Compute.setThreads(threads)
        var report = RankReport(rank: comm.rank, placement: RankPlacement.current(), configurations: [:])
        for spec in specs {
            report.configurations[spec.name] = try measure(spec, threads: Threads(threads), communicator: comm)
        }
        let path = (outDirectory as NSString).appendingPathComponent("rank-\(comm.rank).json")
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func measure(_ spec: RanksConfiguration, threads: Threads, communicator comm: any Communicator) throws -> ConfigurationReport {
        let config = try Config.load(path: spec.configPath)
        let log = RunLog(echo: false)
        let prepared = try DataStage(config: config, offline: true, resort: false, log: log, threads: threads).prepare(config.trainData)
        let model = try ModelFactory.make(config, context: NNContext(threads: threads, group: comm), log: log)
        let optimizer = EngineSettings.dataParallelOptimizer(config, parameterCount: model.network.parameterCount, communicator: comm)
        let trainer = Trainer(model: model, optimizer: optimizer, schedule: .constant(Float(config.learningRate)),
                              communicator: comm, batchSize: config.batchSize,
                              assembler: BatchAssembler(seed: UInt64(config.manualSeed), augmentation: EngineSettings.augmentation(config),
                                                        channels: config.numChannels, threads: threads))
        let shuffler = EpochShuffler(indices: Array(0..<prepared.count), seed: UInt64(config.manualSeed))
        var epoch = 0
        var queue: [[Int]] = []
        func nextBatch() throws -> ([Int], Int) {
            if queue.isEmpty { queue = trainer.batches(shuffler, epoch: epoch); epoch += 1 }
            guard !queue.isEmpty else {
                throw DeepfakeError("\(prepared.count) images give no global batch of \(config.batchSize) for \(comm.size) ranks: use a smaller batch")
            }
            return (queue.removeFirst(), epoch - 1)
        }
        let batch = Tensor(zeros: [1])
        var sums = [0.0, 0.0, 0.0, 0.0]
        func step() throws {
            let (global, e) = try nextBatch()
            let local = EpochShuffler.shard(global, rank: comm.rank, size: comm.size)
            let network = trainer.model.network
            network.zeroGradients()
            let t0 = WallClock.now()
            let labels = trainer.assembler.assemble(prepared, indices: local, into: batch, training: true, epoch: e)
            let t1 = WallClock.now()
            let logits = trainer.model.forward(batch, training: true)
            let (_, grad, _) = SoftmaxCrossEntropy.compute(logits: logits, labels: labels.map(Int.init))
            let scale = Float(local.count) / Float(global.count)
            if scale != 1 { for i in 0..<grad.count { grad.data[i] *= scale } }
            trainer.model.backward(grad, readiness: trainer.gradientBuckets.readiness)
            let t2 = WallClock.now()
            trainer.gradientBuckets.finish()
            let t3 = WallClock.now()
            trainer.optimizer.step(network)
            let t4 = WallClock.now()
            sums[0] += t1 - t0; sums[1] += t2 - t1; sums[2] += t3 - t2; sums[3] += t4 - t3
        }
        try step()  // warm-up: buffers, workspaces, first-touch pages
        sums = [0, 0, 0, 0]
        comm.barrier()
        let t0 = WallClock.now()
        for _ in 0..<spec.steps { try step() }
        comm.barrier()
        let seconds = (WallClock.now() - t0) / Double(spec.steps)
        var phases: [String: Double] = [:]
        for (i, name) in phaseNames.enumerated() { phases[name] = sums[i] / Double(spec.steps) }
        return ConfigurationReport(stepSeconds: seconds, phases: phases)
    }

    /// The reports of ranks 0..<ranks in `directory`; an error names the missing rank.
    static func readReports(_ directory: String, ranks: Int) throws -> [RankReport] {
        try ChildRound.readReports(directory, ranks: ranks)
    }
}
