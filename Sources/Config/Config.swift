// Config: the resolved run configuration, one value decoded and validated once at the edge.
//
// Keys, spellings and defaults are the old tool's README (camelCase), so its YAML files load
// unchanged; the keys marked "ours" are optional additions whose defaults reproduce the old
// behaviour. `Config.load(path:)` reads and validates a file (ConfigLoader.swift), `toYAML()`
// writes the resolved value back (ConfigYAML.swift) and reloading that text gives an equal value.

import Core

public struct Config: Sendable {
    // MARK: Paths
    /// Root under which each run gets its own folder. Default "./results".
    public var outputsPath = "./results"
    /// kagglehub cache root (overridden by $KAGGLEHUB_CACHE). Default "/tmp".
    public var kagglePath = "/tmp"
    /// Where preprocessed tensors (HDF5) are kept. Default "./data".
    public var dataPath = "./data"
    /// Where trained weights are kept. Default "./models".
    public var modelPath = "./models"

    // MARK: Data
    /// Seed of every random choice (split, shuffle, augmentation, init), 1...10000. Default 999.
    public var manualSeed = 999
    /// Training datasets in config order (required, at least one).
    public var trainData: [DatasetEntry] = []
    /// Test datasets; required when `testSize` is 0, ignored (with a load note) otherwise.
    public var testData: [DatasetEntry] = []
    /// Fraction of the training data held out for validation, 0 <= x < 1. Default 0.2.
    public var valSize = 0.2
    /// Fraction of the validation portion used for testing, 0 <= x < 1; 0 means "test on
    /// testData". Default 0. (valSize 0.3, testSize 1/3 gives a 70/20/10 split.)
    public var testSize = 0.0
    /// Data-loading threads, 0...256. Default 2.
    public var numWorkers = 2
    /// Images per batch (per process under MPI), >= 1. Default 32.
    public var batchSize = 32
    /// Image size after resizing, 8...1024 each. Default 32 x 32.
    public var imageHeight = 32
    public var imageWidth = 32
    /// 1 = greyscale, 3 = RGB. The old README's "2 for B&W" loads as 1 with a note. Default 3.
    public var numChannels = 3

    // MARK: Model
    /// Classic or Quantum (the old `Hybrid` resolves to Quantum + HQNN, with a note).
    public var modelType: ModelType = .classic
    /// Quantum architecture. Default HQNN.
    public var quanType: QuanType = .hqnn
    /// Wires per quantum layer, 1...30. Default 4.
    public var nQubits = 4
    /// PennyLane device name (kept for the record). Default default.qubit.
    public var qubitType: QubitType = .defaultQubit
    /// PennyLane diff_method (kept for the record). Default best.
    public var diffType: DiffType = .best
    /// Entangling layers per quantum circuit (circuit depth in layers), 1...1000. Default 1.
    public var nLayers = 1
    /// strong (StronglyEntanglingLayers) or basic (BasicEntanglerLayers). Default strong.
    public var typeLayers: TypeLayers = .strong
    /// QNN: learn the quanvolution circuit's weights instead of keeping them fixed. Default false.
    public var trainable = false
    /// QNN: apply the quanvolution patch-wise as a network layer. Default false.
    public var patch = false
    /// Ours. HQNN: number k of parallel quantum layers, each of nQubits wires fed nQubits features
    /// (the dense layer before them outputs k * nQubits), 1...64. Default 2: the old default of
    /// 8 features with 4 qubits, made consistent (the old tool crashed on it).
    public var nQuantumLayers = 2
    /// Ours. Replace every quantum layer by a classical twin with the same inputs, outputs and
    /// parameter count, for a like-for-like comparison. Default false.
    public var classicalTwin = false

    // MARK: Training
    /// Epochs, >= 1. Default 10.
    public var numEpochs = 10
    /// Step size, > 0. Default 0.0002.
    public var learningRate = 0.0002
    /// Adam/Adamax beta1, 0 <= x < 1. Default 0.5.
    public var beta1 = 0.5
    /// Ours. adam (default, with beta1), adamax or sgd.
    public var optimizer: OptimizerKind = .adam
    /// Ours. SGD momentum, 0 <= x < 1. Default 0.9.
    public var momentum = 0.9
    /// Ours. L2 weight decay, >= 0. Default 0.
    public var weightDecay = 0.0
    /// Ours. constant (default) or cosine.
    public var lrSchedule: LRSchedule = .constant
    /// Ours. Epochs of linear warm-up from lr/10, 0 <= x < numEpochs. Default 0.
    public var warmupEpochs = 0
    /// Ours. Stop after this many epochs without improvement; 0 = never. Default 0.
    public var earlyStoppingPatience = 0
    /// Ours. Metric for early stopping and for choosing the best checkpoint. Default val_auc.
    public var earlyStoppingMetric: EarlyStoppingMetric = .valAUC
    /// Ours. Training-time augmentations, applied in this order. Default [hflip].
    public var augment: [Augmentation] = [.hflip]
    /// Ours. Also write the resumable `last.h5` every this many optimiser steps; 0 = only at the
    /// end of each epoch. Default 0.
    public var checkpointEverySteps = 0

    // MARK: Resources
    /// GPUs requested (the old tool's key; recorded, training runs on CPUs). Default 0.
    public var nGPUs = 0
    /// Compute threads per process, >= 1. Default 4.
    public var nCPUs = 4

    // MARK: Provenance (not part of equality)
    /// Things the loader resolved on the user's behalf (aliases, ignored keys), one sentence each,
    /// for the run log. Not written by `toYAML()` as keys, only as comments.
    public var loadNotes: [String] = []

    /// A configuration with every default; `modelType` and `trainData` are the required keys.
    public init(modelType: ModelType = .classic, trainData: [DatasetEntry] = []) {
        self.modelType = modelType
        self.trainData = trainData
    }

    /// True when the test set comes from `testData` rather than a split of validation.
    public var testsOnTestData: Bool { testSize == 0 }

    /// Short model label for run-folder names: "Classic", "HQNN" or "QNN" (the twin gets "-twin").
    public var modelLabel: String {
        let base = modelType == .classic ? "Classic" : quanType.rawValue
        return classicalTwin && modelType == .quantum ? base + "-twin" : base
    }
}

extension Config: Equatable {
    /// Equal when every setting is equal; `loadNotes` (provenance) is ignored.
    public static func == (a: Config, b: Config) -> Bool {
        a.settingsEqual(b)
    }

    private func settingsEqual(_ o: Config) -> Bool {
        outputsPath == o.outputsPath && kagglePath == o.kagglePath && dataPath == o.dataPath
            && modelPath == o.modelPath && manualSeed == o.manualSeed && trainData == o.trainData
            && testData == o.testData && valSize == o.valSize && testSize == o.testSize
            && numWorkers == o.numWorkers && batchSize == o.batchSize && imageHeight == o.imageHeight
            && imageWidth == o.imageWidth && numChannels == o.numChannels && modelType == o.modelType
            && quanType == o.quanType && nQubits == o.nQubits && qubitType == o.qubitType
            && diffType == o.diffType && nLayers == o.nLayers && typeLayers == o.typeLayers
            && trainable == o.trainable && patch == o.patch && nQuantumLayers == o.nQuantumLayers
            && classicalTwin == o.classicalTwin && numEpochs == o.numEpochs
            && learningRate == o.learningRate && beta1 == o.beta1 && optimizer == o.optimizer
            && momentum == o.momentum && weightDecay == o.weightDecay && lrSchedule == o.lrSchedule
            && warmupEpochs == o.warmupEpochs && earlyStoppingPatience == o.earlyStoppingPatience
            && earlyStoppingMetric == o.earlyStoppingMetric && augment == o.augment
            && checkpointEverySteps == o.checkpointEverySteps
            && nGPUs == o.nGPUs && nCPUs == o.nCPUs
    }
}
