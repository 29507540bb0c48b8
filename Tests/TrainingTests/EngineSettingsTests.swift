// Config to engine settings (EngineSettings.swift), and the two numbers that come from how a
// global batch splits: the schedule's step count (the steps the trainer really runs) and the
// evaluation chunk per rank (that rank's share of the global batch).

import XCTest
import Config
import Core
import Datasets
import Models
import NN
@testable import Training

/// A linear classifier on flattened images that records the batch size of every forward pass.
final class RecordingModel: ClassifierModel {
    let name = "Recording"
    let numClasses = 2
    let network: Network
    var batchSizes: [Int] = []
    var summary: String { "linear probe" }

    init(features: Int, group: (any Communicator)? = nil) {
        network = Network(Sequential([("flat", Flatten()), ("fc", Linear(features, 2))]), seed: 1,
                          context: NNContext(group: group))
    }

    func forward(_ x: Tensor, training: Bool) -> Tensor {
        batchSizes.append(x.shape[0])
        return network.forward(x, training: training)
    }
}

/// Rank `rank` of a world of `size` whose collectives see only this rank (every sum and gather is
/// this rank's own part): enough to watch what one rank computes, without other processes.
final class OneRankOfMany: Communicator {
    let rank: Int, size: Int
    init(rank: Int, size: Int) { self.rank = rank; self.size = size }
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {}
    func allgather(_ mine: [Double]) -> [Double] { mine }
    func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) {}
    func exchange(_ send: UnsafeBufferPointer<Double>, _ receive: UnsafeMutableBufferPointer<Double>, partner: Int) {}
    func barrier() {}
}

/// `n` random 8x8 RGB images, alternately real and fake.
func tinyData(_ n: Int) -> PreparedData {
    var rng = SeededRNG(seed: 5)
    return PreparedData(images: (0..<(n * 8 * 8 * 3)).map { _ in UInt8(rng.below(256)) }, labels: (0..<n).map { Int32($0 % 2) },
                        paths: (0..<n).map { "img\($0).png" }, datasetNames: Array(repeating: "tiny", count: n),
                        officialSplits: Array(repeating: -1, count: n), height: 8, width: 8, channels: 3)
}

final class EngineSettingsTests: XCTestCase {
    func testCosineScheduleEndsAtItsFinalValueOnTheLastStepTheTrainerRuns() throws {
        // 100 images in batches of 32: 32, 32, 32 and a short last batch of 4, which the trainer
        // runs. Counting floor(100 / 32) = 3 steps per epoch ended the cosine after 6 of the 8
        // steps of 2 epochs, and the last 2 steps ran at rate 0.
        var c = Config(modelType: .classic, trainData: [DatasetEntry(name: "tiny", source: .builtin(variant: nil))])
        c.batchSize = 32; c.numEpochs = 2; c.lrSchedule = .cosine; c.learningRate = 0.01; c.optimizer = .sgd
        let data = tinyData(100)
        let comm = SingleProcessCommunicator()
        let steps = Trainer.stepsPerEpoch(images: data.count, batchSize: c.batchSize, ranks: comm.size)
        let schedule = EngineSettings.learningRateSchedule(c, stepsPerEpoch: steps)
        guard case let .cosine(_, _, totalSteps, minimum) = schedule else { return XCTFail("\(schedule)") }
        let trainer = Trainer(model: RecordingModel(features: 8 * 8 * 3), optimizer: EngineSettings.optimizer(c), schedule: schedule,
                              communicator: comm, batchSize: c.batchSize,
                              assembler: BatchAssembler(seed: 1, augmentation: .none, channels: 3))
        let shuffler = EpochShuffler(indices: Array(0..<data.count), seed: 1)
        var last = EpochTrainStats(loss: 0, accuracy: 0, images: 0, seconds: 0, learningRate: .nan)
        for epoch in 1...c.numEpochs { last = try XCTUnwrap(trainer.trainEpoch(data, shuffler: shuffler, epoch: epoch)) }
        XCTAssertEqual(last.images, 100)
        XCTAssertEqual(trainer.step, 8, "2 epochs of 4 batches")
        XCTAssertEqual(totalSteps, trainer.step, "the schedule counts the steps the trainer ran")
        // The last step runs at the schedule's last rate, just above its minimum, never past it.
        let final = schedule.rate(at: totalSteps - 1)
        XCTAssertEqual(last.learningRate, Double(final))
        XCTAssertGreaterThan(final, minimum)
        for t in 0..<trainer.step { XCTAssertGreaterThan(schedule.rate(at: t), minimum, "step \(t) ran at the minimum rate") }
    }

    func testStepsPerEpochCountsTheBatchesTheTrainerRuns() {
        for n in [1, 3, 4, 31, 32, 33, 63, 64, 65, 100, 129] {
            for batch in [1, 2, 3, 8, 32] {
                for ranks in [1, 2, 3, 4] {
                    let comm = OneRankOfMany(rank: 0, size: ranks)
                    let trainer = Trainer(model: RecordingModel(features: 1, group: comm), optimizer: SGD(learningRate: 0.1, momentum: 0),
                                          schedule: .constant(0.1), communicator: comm,
                                          batchSize: batch, assembler: BatchAssembler(seed: 1, channels: 1))
                    let shuffler = EpochShuffler(indices: Array(0..<n), seed: 2)
                    XCTAssertEqual(Trainer.stepsPerEpoch(images: n, batchSize: batch, ranks: ranks),
                                   trainer.batches(shuffler, epoch: 3).count, "n \(n) batch \(batch) ranks \(ranks)")
                }
            }
        }
    }

    func testEvaluationChunksAreTheRanksShareOfTheGlobalBatch() {
        // batchSize is the global batch: on 4 ranks each forwards chunks of 8 / 4 = 2 images, so
        // 1 rank and 4 ranks evaluate with the same global batch of 8 (the old code forwarded 8
        // per rank, a global evaluation batch of 32).
        let data = tinyData(40)
        func chunks(rank: Int, ranks: Int) -> [Int] {
            let comm = OneRankOfMany(rank: rank, size: ranks)
            let model = RecordingModel(features: 8 * 8 * 3, group: comm)
            let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0.1, momentum: 0), schedule: .constant(0.1),
                                  communicator: comm, batchSize: 8,
                                  assembler: BatchAssembler(seed: 1, channels: 3))
            let result = trainer.evaluate(data, indices: Array(0..<40))
            XCTAssertEqual(result.pFake.count, RankBatch(global: 40, rank: rank, ranks: ranks).count, "this rank's images (the others' are gathered by a real communicator)")
            return model.batchSizes
        }
        XCTAssertEqual(chunks(rank: 0, ranks: 1), [8, 8, 8, 8, 8])
        XCTAssertEqual(chunks(rank: 0, ranks: 4), [2, 2, 2, 2, 2])
        XCTAssertEqual(chunks(rank: 3, ranks: 4), [2, 2, 2, 2, 2])
        // 8 over 3 ranks: shares 2, 3, 3 (RankBatch), rank 2 evaluates 40 - 26 = 14 images.
        XCTAssertEqual(chunks(rank: 2, ranks: 3), [3, 3, 3, 3, 2])
    }

    func testAugmentationMappingIsTheOneTrainingUses() {
        var c = Config()
        c.augment = [.hflip]
        XCTAssertEqual(EngineSettings.augmentation(c), AugmentationPolicy(horizontalFlip: 0.5))
        c.augment = []
        XCTAssertEqual(EngineSettings.augmentation(c), .none)
        c.augment = [.vflip, .rotate]
        XCTAssertEqual(EngineSettings.augmentation(c), AugmentationPolicy(horizontalFlip: 0, verticalFlip: 0.5, rotation: .small(maxDegrees: 15)))
        c.augment = [.rotate, .hflip, .vflip]
        XCTAssertEqual(EngineSettings.augmentation(c), AugmentationPolicy(horizontalFlip: 0.5, verticalFlip: 0.5, rotation: .small(maxDegrees: 15)))
    }

    func testRobustnessAugmentationsTakeTheirKeysAndThePresetIsWang2020() throws {
        var c = Config()
        c.augment = [.hflip, .blurJPEG]
        c.blurProbability = 0.9; c.jpegQualityMin = 80   // ignored by the fixed preset
        XCTAssertEqual(EngineSettings.augmentation(c), AugmentationPolicy(horizontalFlip: 0.5, robustness: .wang2020))
        c.augment = [.blur, .jpeg, .crop, .resample, .colour]
        c.blurSigmaMax = 2; c.jpegProbability = 0.25; c.jpegQualityMax = 90; c.cropProbability = 0.4; c.cropScaleMin = 0.6
        c.resampleProbability = 0.2; c.resampleScaleMin = 0.5; c.colourProbability = 0.7; c.colourJitter = 0.1
        let r = EngineSettings.augmentation(c).robustness
        XCTAssertEqual([r.blurProbability, r.blurSigmaMax, r.jpegProbability, r.cropProbability, r.cropScaleMin,
                        r.resampleProbability, r.resampleScaleMin, r.colourProbability, r.colourJitter],
                       [0.9, 2, 0.25, 0.4, 0.6, 0.2, 0.5, 0.7, 0.1])
        XCTAssertEqual([r.jpegQualityMin, r.jpegQualityMax], [80, 90])
        // From YAML, with the rules that span keys.
        let base = "modelType: Classic\ntrainData: {a: builtin}\ntestData: {b: builtin}\n"
        XCTAssertEqual(try Config.parse(yaml: base + "augment: [blur-jpeg]\n").augment, [.blurJPEG])
        XCTAssertThrowsError(try Config.parse(yaml: base + "jpegQualityMin: 90\njpegQualityMax: 50\n")) {
            XCTAssertTrue("\($0)".contains("jpegQualityMax is 50, below jpegQualityMin (90)"), "\($0)")
        }
        XCTAssertThrowsError(try Config.parse(yaml: base + "augment: [blur-jpeg, jpeg]\n")) {
            XCTAssertTrue("\($0)".contains("augment lists blur-jpeg"), "\($0)")
        }
    }

    func testOptimizerAndScheduleFollowTheConfig() {
        var c = Config()
        c.learningRate = 0.05; c.beta1 = 0.7; c.momentum = 0.8; c.weightDecay = 0.01
        c.optimizer = .adam
        XCTAssertTrue(EngineSettings.optimizer(c) is Adam)
        c.optimizer = .adamax
        XCTAssertTrue(EngineSettings.optimizer(c) is Adamax)
        c.optimizer = .sgd
        XCTAssertTrue(EngineSettings.optimizer(c) is SGD)
        XCTAssertEqual(EngineSettings.optimizer(c).learningRate, 0.05)
        XCTAssertEqual(EngineSettings.learningRateSchedule(c, stepsPerEpoch: 4), .constant(0.05))
        c.lrSchedule = .cosine; c.numEpochs = 3; c.warmupEpochs = 1
        XCTAssertEqual(EngineSettings.learningRateSchedule(c, stepsPerEpoch: 4), .cosine(base: 0.05, warmupSteps: 4, totalSteps: 12, minimum: 0))
    }
}
