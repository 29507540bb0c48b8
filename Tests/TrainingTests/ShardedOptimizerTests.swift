// The sharded optimiser step (ShardedOptimizer, ZeRO-1) on in-process ranks: how the parameters
// are split, the loopback group's reduce-scatter and in-place allgather, gradient buckets that
// reduce-scatter leaving each rank's part summed, and whole training steps that equal the
// unsharded step bitwise, with checkpoints of the moments over all parameters that resume on
// another rank count. Real mpirun ranks run the same path in scripts/mpi-check.sh (it is the
// default for data-parallel runs).

import Config
import Core
import Datasets
import Foundation
import Models
import NN
import TestSupport
import XCTest
@testable import Training

final class ShardedOptimizerTests: TemporaryFolderTestCase {
    func testPartsAreWholeGranulesInRankOrderAddingUpToTheBuffer() {
        XCTAssertEqual(ShardedOptimizer.parts(100, ranks: 3), [32, 32, 36])
        XCTAssertEqual(ShardedOptimizer.parts(10, ranks: 4), [0, 0, 0, 10], "one granule: the last rank takes it")
        XCTAssertEqual(ShardedOptimizer.parts(64, ranks: 1), [64])
        for (count, ranks) in [(11_176_512, 2), (11_176_512, 8), (1102, 4), (17, 2)] {
            let parts = ShardedOptimizer.parts(count, ranks: ranks)
            XCTAssertEqual(parts.reduce(0, +), count)
            XCTAssertTrue(parts.dropLast().allSatisfy { $0 % ShardedOptimizer.partGranule == 0 }, "\(parts)")
            XCTAssertLessThanOrEqual(parts.max()! - parts.min()!, ShardedOptimizer.partGranule + count % ShardedOptimizer.partGranule)
        }
    }

    func testLoopbackReduceScatterAndInPlaceAllgather() throws {
        let counts = [2, 0, 3]
        let results = try LoopbackGroup(size: 3).run { comm -> (scattered: [Float], gathered: [Float]) in
            var values = (0..<5).map { Float(comm.rank * 10 + $0) }
            var mine = [Float](repeating: -1, count: counts[comm.rank])
            values.withUnsafeMutableBufferPointer { v in
                mine.withUnsafeMutableBufferPointer { comm.startReduceScatterSum(v, counts: counts, into: $0).wait() }
            }
            // Every rank puts its own marks into its part, then gathers the others'.
            var buffer = [Float](repeating: 0, count: 5)
            let lo = comm.partOffset(counts, rank: comm.rank)
            for i in lo..<(lo + counts[comm.rank]) { buffer[i] = Float(100 * (comm.rank + 1) + i) }
            buffer.withUnsafeMutableBufferPointer { comm.allgather($0, counts: counts) }
            return (mine, buffer)
        }
        // Sums over ranks 0, 10, 20 added to each index: 30 + 3 i.
        XCTAssertEqual(results[0].scattered, [30, 33])
        XCTAssertEqual(results[1].scattered, [])
        XCTAssertEqual(results[2].scattered, [36, 39, 42])
        for r in 0..<3 { XCTAssertEqual(results[r].gathered, [100, 101, 302, 303, 304], "rank \(r)") }
    }

    /// Buckets of the real ResNet-18 that reduce-scatter (small buckets, so they straddle the
    /// ranks' parts) leave in each rank's part exactly the blocking allreduce's sums.
    func testReduceScatteredBucketsLeaveTheAllreducedSumInEachRanksPart() throws {
        for ranks in [2, 4] {
            let results = try LoopbackGroup(size: ranks).run { comm -> (reduced: [Float], scattered: [Float], range: Range<Int>) in
                let model = ClassicResNet18(seed: 7, stem: .highResolution, context: NNContext(group: comm))
                var rng = SeededRNG(seed: 40 + UInt64(comm.rank))
                let x = Tensor(shape: [2, 3, 8, 8], values: (0..<(2 * 3 * 8 * 8)).map { _ in Float(rng.normal()) })
                func gradLogits() -> Tensor {
                    SoftmaxCrossEntropy.compute(logits: model.forward(x, training: true), labels: [comm.rank % 2, 1]).gradLogits
                }
                let network = model.network
                network.zeroGradients()
                model.backward(gradLogits())
                comm.allreduceSum(network.gradients)
                let reduced = Array(network.gradients)
                let parts = ShardedOptimizer.parts(network.parameterCount, ranks: ranks)
                let buckets = GradientBuckets(network: network, communicator: comm, bucketFloats: 100_000, parts: parts)
                network.zeroGradients()
                buckets.backwardAndSum(model, gradLogits())
                return (reduced, Array(network.gradients), buckets.summedRange)
            }
            var covered = 0
            for (r, got) in results.enumerated() {
                XCTAssertEqual(got.range.count, ShardedOptimizer.parts(got.reduced.count, ranks: ranks)[r])
                let differing = got.range.filter { got.scattered[$0].bitPattern != got.reduced[$0].bitPattern }.count
                XCTAssertEqual(differing, 0, "\(ranks) ranks, rank \(r): \(differing) summed gradients differ from the allreduce")
                XCTAssertEqual(got.range.lowerBound, covered, "rank \(r)'s part does not follow rank \(r - 1)'s")
                covered = got.range.upperBound
            }
            XCTAssertEqual(covered, results[0].reduced.count, "the parts cover the gradient buffer")
        }
    }

    /// Adam steps on a small network with per-rank gradients: sharded over 2, 3 and 4 ranks it
    /// must give bitwise the parameters of one process stepping on the rank-order sums, on every
    /// rank; its checkpoint buffers must be the unsharded moments; and restored on another rank
    /// count (or unsharded) from them, the next step must again be the unsharded one.
    func testShardedAdamStepsEqualTheUnshardedStepsAndResumeOnAnotherRankCount() throws {
        let steps = 3
        @Sendable func network() -> Network { Network(Sequential([("a", Linear(37, 29)), ("b", Linear(29, 5))]), seed: 5) }
        @Sendable func gradient(step: Int, rank: Int, _ i: Int) -> Float { Float(sin(Double(i * 7 + rank * 13 + step * 31))) * 0.1 }
        @Sendable func adam() -> Adam { Adam(learningRate: 0.01, beta1: 0.9, weightDecay: .l2(0.01)) }
        let count = network().parameterCount

        // The reference: one process, gradients summed over `ranks` in rank order.
        func reference(ranks: Int, steps: Int) -> (parameters: [Float], moments: [[Float]]) {
            let net = network(), opt = adam()
            for s in 0..<steps {
                for i in 0..<count {
                    var sum = gradient(step: s, rank: 0, i)
                    for r in 1..<ranks { sum += gradient(step: s, rank: r, i) }
                    net.gradients[i] = sum
                }
                opt.step(net)
            }
            return (Array(net.parameters), opt.stateBuffers)
        }
        /// `steps` sharded steps from `start` (parameters and full moments after `first` steps).
        func sharded(ranks: Int, first: Int, steps: Int, start: (parameters: [Float], moments: [[Float]])?) throws
            -> [(parameters: [Float], checkpoint: [[Float]], part: [[Float]], mine: Range<Int>)] {
            try LoopbackGroup(size: ranks).run { comm in
                let net = network()
                let opt = ShardedOptimizer(adam(), parameterCount: count, communicator: comm)
                if let start {
                    _ = net.parameters.update(fromContentsOf: start.parameters)
                    try opt.restoreState(stepCount: first, buffers: start.moments)
                }
                let buckets = GradientBuckets(network: net, communicator: comm, bucketFloats: 300, parts: opt.counts)
                for s in first..<(first + steps) {
                    for i in 0..<count { net.gradients[i] = gradient(step: s, rank: comm.rank, i) }
                    buckets.finish()
                    opt.step(net)
                }
                return (Array(net.parameters), opt.checkpointBuffers(), opt.stateBuffers, opt.mine)
            }
        }
        for ranks in [2, 3, 4] {
            let ref = reference(ranks: ranks, steps: steps)
            let results = try sharded(ranks: ranks, first: 0, steps: steps, start: nil)
            for (r, got) in results.enumerated() {
                XCTAssertTrue(got.parameters.elementsEqual(ref.parameters) { $0.bitPattern == $1.bitPattern },
                              "\(ranks) ranks, rank \(r): parameters differ from the unsharded steps")
                XCTAssertEqual(got.checkpoint.count, 2)
                for (b, buffer) in got.checkpoint.enumerated() {
                    XCTAssertTrue(buffer.elementsEqual(ref.moments[b]) { $0.bitPattern == $1.bitPattern },
                                  "\(ranks) ranks, rank \(r): checkpoint buffer \(b) is not the unsharded moment")
                    XCTAssertEqual(got.part[b], Array(ref.moments[b][got.mine]), "rank \(r) holds only its part of moment \(b)")
                }
            }
        }
        // Saved after 2 steps on 2 ranks, resumed for the third on 4 ranks and on one process
        // (gradients of 2 ranks each time: the summed gradient is the run's, not the launch's).
        let saved = try sharded(ranks: 2, first: 0, steps: 2, start: nil)[0]
        let ref = reference(ranks: 2, steps: 3)
        let resumed = try LoopbackGroup(size: 4).run { comm -> [Float] in
            let net = network()
            let opt = ShardedOptimizer(adam(), parameterCount: count, communicator: comm)
            _ = net.parameters.update(fromContentsOf: saved.parameters)
            try opt.restoreState(stepCount: 2, buffers: saved.checkpoint)
            // Ranks 2 and 3 add zeros: the summed gradient is the 2-rank run's.
            for i in 0..<count { net.gradients[i] = comm.rank < 2 ? gradient(step: 2, rank: comm.rank, i) : 0 }
            GradientBuckets(network: net, communicator: comm, parts: opt.counts).finish()
            opt.step(net)
            return Array(net.parameters)
        }
        for (r, p) in resumed.enumerated() {
            XCTAssertTrue(p.elementsEqual(ref.parameters) { $0.bitPattern == $1.bitPattern }, "resumed on 4 ranks, rank \(r)")
        }
        let plain = adam(), net = network()
        _ = net.parameters.update(fromContentsOf: saved.parameters)
        try plain.restoreState(stepCount: 2, buffers: saved.checkpoint)
        for i in 0..<count { net.gradients[i] = gradient(step: 2, rank: 0, i) + gradient(step: 2, rank: 1, i) }
        plain.step(net)
        XCTAssertTrue(Array(net.parameters).elementsEqual(ref.parameters) { $0.bitPattern == $1.bitPattern }, "resumed unsharded")

        let opt = try LoopbackGroup(size: 2).run { comm in ShardedOptimizer(adam(), parameterCount: count, communicator: comm) }[0]
        XCTAssertThrowsError(try opt.restoreState(stepCount: 1, buffers: [[1, 2], [3, 4]])) { error in
            XCTAssertTrue("\(error)".contains("does not fit the model's \(count) parameters"), "\(error)")
        }
    }

    /// The Trainer on 2 in-process ranks with Adam, sharded (the default for data-parallel runs)
    /// and not: the same numbers and bitwise the same weights on every rank.
    func testTrainerWithAShardedOptimizerTrainsBitwiseAsUnsharded() throws {
        let data = try DataPreparer.prepare(entries: [DatasetEntry(name: "faces", source: .builtin(variant: "small"))],
                                            dataPath: tmp, kagglePath: "/nonexistent",
                                            settings: PrepareSettings(height: 16, width: 16, channels: 3, threads: Threads(2)))
        let train = Array(0..<min(24, data.count))
        func run(sharded: Bool) throws -> [(loss: Double, parameters: [Float], sharded: Bool)] {
            try LoopbackGroup(size: 2).run { comm in
                let model = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 3, stem: .highResolution,
                                            context: NNContext(threads: .serial, group: comm))
                let adam = Adam(learningRate: 1e-4)
                let optimizer: Optimizer = sharded
                    ? ShardedOptimizer(adam, parameterCount: model.network.parameterCount, communicator: comm) : adam
                let trainer = Trainer(model: model, optimizer: optimizer, schedule: .constant(1e-4), communicator: comm, batchSize: 12,
                                      assembler: BatchAssembler(seed: 2, augmentation: AugmentationPolicy(), channels: 3))
                let stats = trainer.trainEpoch(data, shuffler: EpochShuffler(indices: train, seed: 1), epoch: 1)!
                return (stats.loss, Array(model.network.parameters), trainer.gradientBuckets.parts != nil)
            }
        }
        let plain = try run(sharded: false), zero = try run(sharded: true)
        XCTAssertEqual(plain.map(\.sharded), [false, false])
        XCTAssertEqual(zero.map(\.sharded), [true, true], "a sharded optimiser makes the buckets reduce-scatter")
        for r in 0..<2 {
            XCTAssertEqual(zero[r].loss, plain[r].loss)
            XCTAssertTrue(zero[r].parameters.elementsEqual(plain[r].parameters) { $0.bitPattern == $1.bitPattern }, "rank \(r)'s weights")
        }
        let fresh = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 3, stem: .highResolution)
        let initial = Array(fresh.network.parameters)
        XCTAssertNotEqual(plain[0].parameters, initial, "the epoch trained nothing")
    }
}
