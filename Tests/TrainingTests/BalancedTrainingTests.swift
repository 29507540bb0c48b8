// balanceTrainData through the real Trainer on in-process ranks (LoopbackGroup): every rank derives
// the same balanced batches on its own, takes its shard, and 2 ranks train as 1 does; the epoch
// keeps its unbalanced length while every (dataset, class) group gets an equal share.

import Config
import Core
import Datasets
import Foundation
import Models
import NN
import TestSupport
import XCTest
@testable import Training

final class BalancedTrainingTests: TemporaryFolderTestCase {
    func testBalancedEpochOnOneAndTwoRanks() throws {
        var prepared = try DataPreparer.prepare(entries: [DatasetEntry(name: "faces", source: .builtin(variant: "small"))],
                                            dataPath: tmp, kagglePath: "/nonexistent",
                                            settings: PrepareSettings(height: 16, width: 16, channels: 3, threads: Threads(2)))
        // Two "datasets" of very different sizes: the first 10 images of the training part are "small", the rest "big".
        let split = try DataSplit.make(labels: prepared.labels, officialSplits: prepared.officialSplits, valSize: 0.6, testSize: 0.5, seed: 4)
        let train = Array(split.train.prefix(40))
        for i in train.prefix(10) { prepared.datasetNames[i] = "small" }
        let data = prepared  // the ranks' threads read it
        let balance = BalancedOrder(indices: train, datasetNames: data.datasetNames, labels: data.labels)
        XCTAssertEqual(balance.members.reduce(0) { $0 + $1.count }, 40)
        XCTAssertTrue(balance.keys.contains("small/real") || balance.keys.contains("small/fake"))

        struct RankResult { var batches: [[Int]]; var shards: [[Int]]; var loss: Double; var images: Int; var parameters: [Float]; var steps: Int }
        func run(ranks: Int) throws -> [RankResult] {
            try LoopbackGroup(size: ranks).run { comm -> RankResult in
                // Each rank builds its own order from (indices, names, labels, seed), as TrainingSession does.
                let shuffler = EpochShuffler(indices: train, seed: 9,
                                             balance: BalancedOrder(indices: train, datasetNames: data.datasetNames, labels: data.labels))
                let model = ClassicResNet18(numChannels: 3, numClasses: 2, seed: 11, stem: .highResolution,
                                            context: NNContext(threads: .serial, group: comm))
                let trainer = Trainer(model: model, optimizer: SGD(learningRate: 2e-4, momentum: 0.9), schedule: .constant(2e-4),
                                      communicator: comm, batchSize: 20,
                                      assembler: BatchAssembler(seed: 2, augmentation: AugmentationPolicy(horizontalFlip: 0), channels: 3))
                let batches = trainer.batches(shuffler, epoch: 1)
                let stats = trainer.trainEpoch(data, shuffler: shuffler, epoch: 1)!
                return RankResult(batches: batches, shards: batches.map { EpochShuffler.shard($0, rank: comm.rank, size: comm.size) },
                                  loss: stats.loss, images: stats.images, parameters: Array(model.network.parameters), steps: trainer.step)
            }
        }
        let one = try run(ranks: 1)[0]
        XCTAssertEqual(one.images, 40, "a balanced epoch has as many images as the unbalanced one")
        XCTAssertEqual(one.steps, 2)
        let order = one.batches.flatMap { $0 }
        let counts = Dictionary(grouping: order) { BalancedOrder.groupKey(dataset: data.datasetNames[$0], label: data.labels[$0]) }.mapValues(\.count)
        let share = 40.0 / Double(balance.keys.count)
        XCTAssertTrue(counts.values.allSatisfy { abs(Double($0) - share) < 1 }, "equal shares: \(counts)")
        let two = try run(ranks: 2)
        XCTAssertEqual(two[0].batches, one.batches, "rank 0 of 2 derives the batches 1 rank runs")
        XCTAssertEqual(two[1].batches, one.batches, "rank 1 of 2 derives the same batches")
        for b in one.batches.indices { XCTAssertEqual(two[0].shards[b] + two[1].shards[b], one.batches[b]) }
        XCTAssertTrue(two[0].parameters == two[1].parameters, "both ranks end with the same weights")
        XCTAssertEqual(two[0].images, 40)
        XCTAssertEqual(two[0].loss, one.loss, accuracy: 1e-4 * abs(one.loss))
        let maxDiff = zip(one.parameters, two[0].parameters).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(maxDiff, 1e-4)
    }

    func testConfigKeyDefaultsOffAndReads() throws {
        XCTAssertFalse(Config().balanceTrainData)
        let path = tmp + "/c.yaml"
        try "modelType: Classic\ntrainData:\n  a: builtin\ntestSize: 0.5\nbalanceTrainData: true\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertTrue(try Config.load(path: path).balanceTrainData)
        XCTAssertTrue(try Config.load(path: path).toYAML().contains("balanceTrainData: true"))
    }
}
