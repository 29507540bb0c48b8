// ResumeState: everything besides the weights that a run needs to continue exactly where it
// stopped, stored as JSON in `last.h5` (dataset `training_state`) next to the optimiser's moments.
//
// RNG streams: none needs a stored generator state, because every stream used in training is a
// pure function of (manualSeed, stream name, position): the split ("split"), the epoch order
// ("shuffle", index epoch), augmentation ("augment", index epoch << 32 | image), weight and quantum
// init ("init", replaced by the stored weights on resume). Restoring the position (epoch, batch)
// restores them all; `rngStreams` records that recipe in the file for a reader. (NN.Dropout keeps
// a sequential stream, but no model of this project contains a Dropout layer.)

import Core
import Foundation
import NN
import Reporting

/// The resume position and bookkeeping of a training run.
public struct ResumeState: Codable, Sendable {
    /// The epoch to run next (1-based), and how many of its global batches are already done.
    public var epoch: Int
    public var batchesDone: Int
    /// True when training is over (all epochs ran or early stopping fired): resume goes to the test.
    public var finished: Bool
    /// The trainer's global step (the schedule position) and the optimiser's own step count.
    public var globalStep: Int
    public var optimizerSteps: Int
    /// Sums over every rank of the batches of `epoch` done so far (zero at an epoch start).
    public var partial: EpochPartial
    public var stopper: EarlyStopping.State
    public var bestEpoch: Int
    public var bestMetric: Double?
    /// epochs.csv as far as it goes (one record per finished epoch).
    public var history: [HistoryRow]
    public var manualSeed: Int
    public var rngStreams: [String: String]

    public static let streamRecipe: [String: String] = [
        "split": "SeededRNG(splitSeed, or manualSeed when splitSeed is 0, \"split\")",
        "shuffle": "SeededRNG(manualSeed, \"shuffle\", index: epoch)",
        "balance": "SeededRNG(manualSeed, \"balance\", index: epoch) (balanceTrainData: the epoch order instead of shuffle)",
        "augment": "SeededRNG(manualSeed, \"augment\", index: epoch << 32 | image)",
        "init": "SeededRNG(manualSeed, \"init\"): weights (classical and quantum) are stored instead",
    ]

    func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try e.encode(self))
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> ResumeState {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try d.decode(ResumeState.self, from: Data(bytes)) } catch {
            throw DeepfakeError("\(path): the training state cannot be read (\(error)); the file is damaged: "
                + "resume from an earlier copy or start the run again")
        }
    }
}

/// Running sums of a partly trained epoch, over all ranks.
public struct EpochPartial: Codable, Sendable, Equatable {
    public var lossSum = 0.0, correct = 0.0, seen = 0.0
    /// Training seconds spent on this epoch before the interruption (timing column only).
    public var seconds = 0.0
    public var learningRate = 0.0
    public init() {}
}

/// An EpochRecord as JSON (the Reporting type is not Codable).
public struct HistoryRow: Codable, Sendable {
    public var epoch: Int
    public var values: [Double]

    init(_ r: EpochRecord) {
        epoch = r.epoch
        values = [r.trainLoss, r.trainAccuracy, r.valLoss, r.valAccuracy, r.valPrecision, r.valRecall, r.valF1, r.valAUC,
                  r.epochSeconds, r.imagesPerSecond, r.peakMemoryMB, r.learningRate]
    }

    var record: EpochRecord? {
        guard values.count == 12 else { return nil }
        let v = values
        return EpochRecord(epoch: epoch, trainLoss: v[0], trainAccuracy: v[1], valLoss: v[2], valAccuracy: v[3],
                           valPrecision: v[4], valRecall: v[5], valF1: v[6], valAUC: v[7], epochSeconds: v[8],
                           imagesPerSecond: v[9], peakMemoryMB: v[10], learningRate: v[11])
    }
}
