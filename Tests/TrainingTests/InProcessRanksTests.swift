// Data parallelism with N ranks inside one process (TestSupport's LoopbackGroup: a real
// Communicator over shared memory, one thread per rank): the collectives themselves, SyncBatchNorm
// through the group handed to the network, and the real Trainer giving the same training on 1, 2
// and 4 ranks. The real-MPI counterpart of the last test is scripts/mpi-check.sh.

import Config
import Core
import Datasets
import Foundation
import Models
import NN
import TestSupport
import XCTest
@testable import Training

final class InProcessRanksTests: TemporaryFolderTestCase {
    func testLoopbackCollectivesCombineInRankOrderOnEveryRank() throws {
        let results = try LoopbackGroup(size: 3).run { comm -> [String] in
            let r = comm.rank
            var floats: [Float] = [Float(r), 1]
            comm.allreduceSum(&floats)
            var doubles = [Double(r) * 0.5, -1]
            comm.allreduceSum(&doubles)
            let maximum = comm.allreduceMax(Double(10 - r))
            var bytes = [UInt8](repeating: UInt8(r), count: 4)
            bytes.withUnsafeMutableBytes { comm.broadcast($0, root: 1) }
            let gathered = comm.allgather([Double](repeating: Double(r), count: r + 1))
            comm.barrier()
            // Ranks 0 and 1 swap; rank 2 swaps with itself.
            let partner = r == 2 ? 2 : 1 - r
            let send = [Double(r), Double(r * 10)]
            var got = [Double](repeating: 0, count: 2)
            send.withUnsafeBufferPointer { s in got.withUnsafeMutableBufferPointer { comm.exchange(s, $0, partner: partner) } }
            return ["\(floats)", "\(doubles)", "\(maximum)", "\(bytes)", "\(gathered)", "\(got)"]
        }
        for (r, got) in results.enumerated() {
            XCTAssertEqual(Array(got[0..<5]), ["[3.0, 3.0]", "[1.5, -3.0]", "10.0", "[1, 1, 1, 1]", "[0.0, 1.0, 1.0, 2.0, 2.0, 2.0]"], "rank \(r)")
            let partner = r == 2 ? 2 : 1 - r
            XCTAssertEqual(got[5], "\([Double(partner), Double(partner * 10)])", "rank \(r)")
        }
    }

    /// BatchNorm on 2 ranks, each holding half of a batch, with the group in its network's
    /// context, must equal one BatchNorm on the whole batch (output, input gradient, running
    /// statistics, summed parameter gradients); without the group it must not.
    func testSyncBatchNormOverTheHandedInGroupEqualsOneProcessOnTheWholeBatch() throws {
        let (n, c, h, w) = (6, 3, 4, 5)
        var rng = SeededRNG(seed: 3)
        let x = (0..<(n * c * h * w)).map { _ in Float(rng.normal() * 2 + 1) }
        let dy = (0..<(n * c * h * w)).map { _ in Float(rng.normal()) }
        struct Run { var y: [Float], dx: [Float], grads: [Float], state: [Float] }
        @Sendable func run(_ rows: Range<Int>, context: NNContext) -> Run {
            let net = Network(BatchNorm(c, fusedReLU: true), seed: 1, context: context)
            let per = c * h * w
            let input = Tensor(shape: [rows.count, c, h, w], values: Array(x[(rows.lowerBound * per)..<(rows.upperBound * per)]))
            let y = net.forward(input, training: true).array
            net.zeroGradients()
            let g = Tensor(shape: [rows.count, c, h, w], values: Array(dy[(rows.lowerBound * per)..<(rows.upperBound * per)]))
            let dx = net.backward(g).array
            return Run(y: y, dx: dx, grads: Array(net.gradients), state: Array(net.state))
        }
        let whole = run(0..<n, context: .serial)
        for synchronised in [true, false] {
            let halves = try LoopbackGroup(size: 2).run { comm -> Run in
                let rows = comm.rank == 0 ? 0..<(n / 2) : (n / 2)..<n
                return run(rows, context: NNContext(group: synchronised ? comm : nil))
            }
            let y = halves[0].y + halves[1].y, dx = halves[0].dx + halves[1].dx
            let grads = zip(halves[0].grads, halves[1].grads).map { $0 + $1 }
            let yDiff = zip(y, whole.y).map { abs($0 - $1) }.max()!
            let dxDiff = zip(dx, whole.dx).map { abs($0 - $1) }.max()!
            if synchronised {
                XCTAssertLessThan(yDiff, 1e-5)
                XCTAssertLessThan(dxDiff, 1e-5)
                for (a, b) in zip(grads, whole.grads) { XCTAssertEqual(a, b, accuracy: 1e-4) }
                for rank in 0..<2 { for (a, b) in zip(halves[rank].state, whole.state) { XCTAssertEqual(a, b, accuracy: 1e-5) } }
            } else {
                // Each half normalised by its own statistics: a different layer output.
                XCTAssertGreaterThan(yDiff, 1e-2, "without the group the halves should normalise differently")
            }
        }
    }

    /// The real Trainer on the built-in faces with the same global batch on 1, 2 and 4 in-process
    /// ranks: every rank of a run must end with identical weights and report identical numbers,
    /// and the runs must agree epoch by epoch.
    ///
    /// Tolerance 1e-4 relative (1e-6 absolute near 0), the threshold scripts/mpi-check.sh applies to
    /// real mpirun ranks: the ranks differ from one process only in float summation order (per-rank
    /// partial sums of BatchNorm statistics and gradients, then the allreduce). Measured here: 2
    /// ranks within 3e-7 relative, 4 ranks within 4e-5 after the 4 steps (at 16 px layer4's
    /// BatchNorm normalises 1x1 planes, 10 values per channel in the short batch, which amplifies
    /// rounding). 1e-5 held for 2 ranks but not for 4; longer runs drift further (8 steps at lr
    /// 2e-4 reached 3e-3), so the run is kept to 2 epochs of 2 steps. SGD with a small rate keeps it
    /// stable: large Adam steps on a fresh ResNet amplify rounding differences chaotically.
    func testTrainerOnOneTwoAndFourRanksTrainsIdentically() throws {
        let data = try DataPreparer.prepare(entries: [DatasetEntry(name: "faces", source: .builtin(variant: "small"))],
                                            dataPath: tmp, kagglePath: "/nonexistent",
                                            settings: PrepareSettings(height: 16, width: 16, channels: 3, threads: Threads(2)))
        let split = try DataSplit.make(labels: data.labels, officialSplits: data.officialSplits, valSize: 0.6, testSize: 0.5, seed: 4)
        let trainIndices = Array(split.train.prefix(34)), val = Array(split.val.prefix(48))
        XCTAssertEqual(trainIndices.count, 34)
        let batchSize = 24  // 34 = 24 + 10: the short last batch is split unevenly over 4 ranks (3, 2, 3, 2)
        let epochs = 2
        let fakes = val.filter { data.labels[$0] == 1 }.count, pairs = Double(fakes * (val.count - fakes))

        struct Epoch: Equatable { var trainLoss: Double, trainAccuracy: Double, images: Int, valLoss: Double, valAUC: Double, valF1: Double }
        struct RankResult { var epochs: [Epoch], parameters: [Float], state: [Float], steps: Int }
        func train(ranks: Int) throws -> [RankResult] {
            try LoopbackGroup(size: ranks).run { comm -> RankResult in
                let model = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 11, stem: .highResolution,
                                            context: NNContext(threads: .serial, group: comm))
                let trainer = Trainer(model: model, optimizer: SGD(learningRate: 2e-4, momentum: 0.9), schedule: .constant(2e-4),
                                      communicator: comm, batchSize: batchSize,
                                      assembler: BatchAssembler(seed: 2, augmentation: AugmentationPolicy(horizontalFlip: 0.5), channels: 3))
                let shuffler = EpochShuffler(indices: trainIndices, seed: 9)
                var out: [Epoch] = []
                for epoch in 1...epochs {
                    let stats = trainer.trainEpoch(data, shuffler: shuffler, epoch: epoch)!  // never stopped: no boundary callback
                    let v = trainer.evaluate(data, indices: val)
                    out.append(Epoch(trainLoss: stats.loss, trainAccuracy: stats.accuracy, images: stats.images,
                                     valLoss: v.loss, valAUC: v.metrics.auc, valF1: v.metrics.f1))
                }
                return RankResult(epochs: out, parameters: Array(model.network.parameters), state: Array(model.network.state),
                                  steps: trainer.step)
            }
        }
        let one = try train(ranks: 1)[0]
        XCTAssertEqual(one.steps, 2 * 2, "2 global batches per epoch (one full, one of 10)")
        XCTAssertEqual(one.epochs.map { $0.images }, [34, 34])
        for ranks in [2, 4] {
            let results = try train(ranks: ranks)
            for r in 1..<ranks {
                XCTAssertEqual(results[r].epochs, results[0].epochs, "\(ranks) ranks: rank \(r) reports other numbers than rank 0")
                XCTAssertTrue(results[r].parameters == results[0].parameters && results[r].state == results[0].state,
                              "\(ranks) ranks: rank \(r) ended with other weights than rank 0")
            }
            let many = results[0]
            XCTAssertEqual(many.steps, one.steps)
            for (e, (a, b)) in zip(one.epochs, many.epochs).enumerated() {
                XCTAssertEqual(a.images, b.images)
                let checks: [(String, Double, Double)] = [("train loss", a.trainLoss, b.trainLoss), ("validation loss", a.valLoss, b.valLoss)]
                for (name, x, y) in checks {
                    XCTAssertEqual(x, y, accuracy: max(1e-6, 1e-4 * abs(x)), "\(ranks) ranks, epoch \(e + 1): \(name)")
                }
                // AUC is a count of ordered (fake, real) pairs: allow one pair whose order a rounding flips.
                XCTAssertEqual(a.valAUC, b.valAUC, accuracy: 1 / pairs + 1e-9, "\(ranks) ranks, epoch \(e + 1): validation AUC")
            }
            let maxWeightDiff: Float = zip(one.parameters, many.parameters).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(maxWeightDiff, 1e-4, "\(ranks) ranks: final weights")
            let lossDiff: Double = zip(one.epochs, many.epochs).map { abs($0.trainLoss - $1.trainLoss) }.max()!
            let valDiff: Double = zip(one.epochs, many.epochs).map { abs($0.valLoss - $1.valLoss) }.max()!
            let perEpoch = zip(one.epochs, many.epochs).map { String(format: "train %.2e val %.2e", abs($0.trainLoss - $1.trainLoss) / $0.trainLoss, abs($0.valLoss - $1.valLoss) / $0.valLoss) }
            print("in-process ranks: 1 vs \(ranks): relative loss differences per epoch \(perEpoch)")
            print("in-process ranks: 1 vs \(ranks): max |train loss diff| \(lossDiff), max |val loss diff| \(valDiff), max |weight diff| \(maxWeightDiff)")
        }
    }
}
