// Trainer: the data-parallel epoch loop and whole-set evaluation for any ClassifierModel.
//
// Data parallelism: every rank derives the same epoch order from (seed, epoch), takes its
// contiguous shard of each global batch, and scales its mean-loss gradient by
// localCount / globalCount, so one allreduce-sum of the flat gradient buffer gives the gradient of
// the mean loss over the global batch: the same step as one process on the whole batch. The sum
// runs in buckets that start during the backward pass (GradientBuckets); with a ShardedOptimizer
// they reduce-scatter, and the optimiser step updates each rank's part and allgathers the rest.

import Core
import Datasets
import Metrics
import Models
import NN
import Foundation

public struct EpochTrainStats: Sendable {
    public var loss: Double
    public var accuracy: Double
    public var images: Int
    public var seconds: Double
    public var learningRate: Double
}

public struct EvaluationResult: Sendable {
    /// p(fake) per image, in the order of the indices evaluated.
    public var pFake: [Double]
    public var labels: [Int32]
    /// Mean cross-entropy over the whole set.
    public var loss: Double
    public var metrics: BinaryMetrics { BinaryMetrics(labels: labels, pFake: pFake) }
}

public final class Trainer {
    public let model: ClassifierModel
    public let optimizer: Optimizer
    public let schedule: LearningRateSchedule
    public let communicator: any Communicator
    public let batchSize: Int
    public let assembler: BatchAssembler
    /// Optimiser steps taken (the schedule position); set on resume.
    public internal(set) var step = 0
    private let batch = Tensor(zeros: [1])
    /// The gradient sum over the ranks, started bucket by bucket during the backward pass.
    public let gradientBuckets: GradientBuckets
    /// DEEPFAKE_TRACE_STEPS=1 prints the global gradient norm and running loss after every step
    /// (rank 0), to compare runs step by step, e.g. 1 rank against N (scripts/mpi-check.sh).
    private let traceSteps = ProcessInfo.processInfo.environment["DEEPFAKE_TRACE_STEPS"] == "1"

    public init(model: ClassifierModel, optimizer: Optimizer, schedule: LearningRateSchedule,
                communicator: any Communicator, batchSize: Int, assembler: BatchAssembler, startStep: Int = 0) {
        self.model = model; self.optimizer = optimizer; self.schedule = schedule
        self.communicator = communicator; self.batchSize = batchSize; self.assembler = assembler
        self.step = startStep
        let sharded = optimizer as? ShardedOptimizer
        precondition(sharded.map { $0.communicator === communicator && $0.parameterCount == model.network.parameterCount } ?? true,
                     "a sharded optimiser must be built for the trainer's communicator and the model's parameters")
        gradientBuckets = GradientBuckets(network: model.network, communicator: communicator, parts: sharded?.counts)
        // BatchNorm normalises over the global batch (SyncBatchNorm) only when the model was built
        // with this communicator as its group: then N ranks take exactly the step one process would
        // take on the whole batch. A model built for another group would train silently differently.
        let group = model.network.context.group
        precondition(communicator.size == 1 || group === communicator,
                     "Trainer on \(communicator.size) ranks: the model's network was built with "
                     + (group.map { "another group (\($0.size) rank(s))" } ?? "no data-parallel group")
                     + "; build it with NNContext(group: communicator) so BatchNorm normalises over the global batch")
    }

    /// Global batches of one epoch. A last batch too small to give every rank two images is
    /// dropped (BatchNorm needs more than one value per channel to normalise).
    public func batches(_ shuffler: EpochShuffler, epoch: Int) -> [[Int]] {
        shuffler.batches(epoch: epoch, batchSize: batchSize).filter { Trainer.runs(batchOf: $0.count, ranks: communicator.size) }
    }

    /// Whether a global batch of `count` images is run (true) or dropped, on `ranks` ranks.
    static func runs(batchOf count: Int, ranks: Int) -> Bool { count >= 2 * ranks }

    /// Optimiser steps per epoch over `images` training images: the full batches, plus the short
    /// last one when it is run. The learning-rate schedule counts steps with this, so it matches
    /// `batches(_:epoch:)` exactly.
    public static func stepsPerEpoch(images: Int, batchSize: Int, ranks: Int) -> Int {
        let sizes = [Int](repeating: batchSize, count: images / batchSize) + (images % batchSize > 0 ? [images % batchSize] : [])
        return sizes.filter { runs(batchOf: $0, ranks: ranks) }.count
    }

    /// One pass over the training indices; returns whole-epoch means (over every image of every rank).
    /// Resuming mid-epoch: `resume` holds the global sums of the first `resume.batches` batches
    /// (rank 0 carries them, so the final allreduce gives the same totals).
    /// `boundary(batchesDone, globalPartial)` runs on every rank after every step and returns true
    /// to stop there (it must decide the same on every rank; `globalPartial()` is collective).
    /// Returns nil when stopped before the last batch.
    public func trainEpoch(_ data: PreparedData, shuffler: EpochShuffler, epoch: Int,
                           resume: (batches: Int, partial: EpochPartial)? = nil,
                           boundary: ((Int, () -> EpochPartial) -> Bool)? = nil,
                           progress: ((Int, Int, Double) -> Void)? = nil) -> EpochTrainStats? {
        let t0 = WallClock.now()
        let network = model.network
        let globalBatches = batches(shuffler, epoch: epoch)
        let carried = communicator.isRoot ? resume?.partial ?? EpochPartial() : EpochPartial()
        var lossSum = carried.lossSum, correct = carried.correct, seen = carried.seen
        let startBatch = resume?.batches ?? 0
        var lr = startBatch > 0 ? resume!.partial.learningRate : Double(schedule.rate(at: step))
        let priorSeconds = resume?.partial.seconds ?? 0
        for (b, global) in globalBatches.enumerated() where b >= startBatch {
            let local = EpochShuffler.shard(global, rank: communicator.rank, size: communicator.size)
            network.zeroGradients()
            if !local.isEmpty {
                let labels = assembler.assemble(data, indices: local, into: batch, training: true, epoch: epoch)
                let logits = model.forward(batch, training: true)
                let (loss, grad, probs) = SoftmaxCrossEntropy.compute(logits: logits, labels: labels.map(Int.init))
                let scale = Float(local.count) / Float(global.count)
                if scale != 1 { for i in 0..<grad.count { grad.data[i] *= scale } }
                model.backward(grad, readiness: gradientBuckets.readiness)
                lossSum += Double(loss) * Double(local.count)
                for (i, y) in labels.enumerated() where (probs[i * 2 + 1] >= 0.5 ? 1 : 0) == Int(y) { correct += 1 }
                seen += Double(local.count)
            }
            gradientBuckets.finish()
            if traceSteps {
                var norm = 0.0
                for g in network.gradients[gradientBuckets.summedRange] { norm += Double(g) * Double(g) }
                if gradientBuckets.parts != nil { norm = communicator.allreduceSum(norm) }  // each rank holds its part of the sum
                var tot = [lossSum, seen]
                communicator.allreduceSum(&tot)
                if communicator.isRoot { print("TRACE step \(step) gradnorm \(norm) cumloss \(tot[0] / tot[1])") }
            }
            lr = Double(schedule.rate(at: step))
            optimizer.learningRate = Float(lr)
            optimizer.step(network)
            step += 1
            progress?(b + 1, globalBatches.count, lossSum / Swift.max(seen, 1))
            let stepLR = lr
            if let boundary, boundary(b + 1, {
                var sums = [lossSum, correct, seen]
                self.communicator.allreduceSum(&sums)
                var p = EpochPartial()
                (p.lossSum, p.correct, p.seen) = (sums[0], sums[1], sums[2])
                p.seconds = priorSeconds + WallClock.now() - t0
                p.learningRate = stepLR
                return p
            }), b + 1 < globalBatches.count {
                return nil
            }
        }
        var totals = [lossSum, correct, seen]
        communicator.allreduceSum(&totals)
        return EpochTrainStats(loss: totals[0] / Swift.max(totals[2], 1), accuracy: totals[1] / Swift.max(totals[2], 1),
                               images: Int(totals[2]), seconds: priorSeconds + WallClock.now() - t0, learningRate: lr)
    }

    /// Evaluates `indices` (no augmentation, BatchNorm in inference mode), sharded over ranks and
    /// gathered back in order, so every rank returns the metrics of the whole set. Each rank
    /// forwards chunks of its share of the global batch, so 1 rank and N ranks evaluate with the
    /// same global batch (and the same memory per rank as training).
    public func evaluate(_ data: PreparedData, indices: [Int]) -> EvaluationResult {
        let n = indices.count, r = communicator.rank, size = communicator.size
        let mine = Array(indices[RankBatch(global: n, rank: r, ranks: size).range])
        let chunkSize = Swift.max(1, RankBatch(global: batchSize, rank: r, ranks: size).count)
        var pFake: [Double] = [], lossSum = 0.0
        pFake.reserveCapacity(mine.count)
        let infer = model.makeInference()  // the current weights, BatchNorm folded where the model can
        var lo = 0
        while lo < mine.count {
            let chunk = Array(mine[lo..<Swift.min(lo + chunkSize, mine.count)])
            let labels = assembler.assemble(data, indices: chunk, into: batch, training: false)
            let logits = infer(batch)
            let (loss, _, probs) = SoftmaxCrossEntropy.compute(logits: logits, labels: labels.map(Int.init))
            lossSum += Double(loss) * Double(chunk.count)
            for i in 0..<chunk.count { pFake.append(Double(probs[i * 2 + 1])) }
            lo += chunk.count
        }
        let all = communicator.allgather(pFake)
        let totalLoss = communicator.allreduceSum(lossSum)
        return EvaluationResult(pFake: all, labels: indices.map { data.labels[$0] },
                                loss: n > 0 ? totalLoss / Double(n) : .nan)
    }
}
