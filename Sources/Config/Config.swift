// Config: the resolved run configuration, one value decoded and validated once at the edge.
//
// Keys, spellings and defaults are the old tool's README (camelCase), so its YAML files load
// unchanged; the keys the old tool did not have are optional, with defaults that reproduce its
// behaviour. Each key is declared once, in the table `Config.keys` (ConfigKeys.swift).
// `Config.load(path:)` reads and validates a file (ConfigLoader.swift), `toYAML()` writes the
// resolved value back (ConfigYAML.swift) and reloading that text gives an equal value.

import Core

/// Every setting of a run. Each stored setting is one key of the config file; its meaning, type,
/// valid values and YAML form are its row in `Config.keys` (ConfigKeys.swift), and the value
/// written here is its default.
public struct Config: Sendable, Equatable {
    // MARK: Paths
    public var outputsPath = "./results"
    public var kagglePath = "/tmp"
    public var dataPath = "./data"
    public var modelPath = "./models"

    // MARK: Data
    public var manualSeed = 999
    /// Ours. Seed of the split alone; 0 = `manualSeed` (the old tool's behaviour). Default 0.
    public var splitSeed = 0
    public var trainData: [DatasetEntry] = []
    public var testData: [DatasetEntry] = []
    public var valSize = 0.2
    public var testSize = 0.0
    public var numWorkers = 2
    /// The GLOBAL batch: images per optimiser step over all ranks together, whatever the rank
    /// count. Per-rank sizes come from `RankBatch` (Core), never from this number directly.
    public var batchSize = 32
    public var imageHeight = 32
    public var imageWidth = 32
    public var numChannels = 3

    // MARK: Model
    public var modelType: ModelType = .classic
    public var quanType: QuanType = .hqnn
    public var nQubits = 4
    public var qubitType: QubitType = .defaultQubit
    public var diffType: DiffType = .best
    public var nLayers = 1
    public var typeLayers: TypeLayers = .strong
    public var trainable = false
    public var patch = false
    /// Default 2: the old default of 8 features with 4 qubits, made consistent (the old tool crashed on it).
    public var nQuantumLayers = 2
    public var classicalTwin = false

    // MARK: Training
    public var numEpochs = 10
    public var learningRate = 0.0002
    public var beta1 = 0.5
    public var optimizer: OptimizerKind = .adam
    public var momentum = 0.9
    public var weightDecay = 0.0
    public var lrSchedule: LRSchedule = .constant
    public var warmupEpochs = 0
    public var earlyStoppingPatience = 0
    public var earlyStoppingMetric: EarlyStoppingMetric = .valAUC
    public var augment: [Augmentation] = [.hflip]
    public var blurProbability = 0.5
    public var blurSigmaMax = 3.0
    public var jpegProbability = 0.5
    public var jpegQualityMin = 30
    public var jpegQualityMax = 100
    public var cropProbability = 0.5
    public var cropScaleMin = 0.5
    public var resampleProbability = 0.3
    public var resampleScaleMin = 0.25
    public var colourProbability = 0.5
    public var colourJitter = 0.2
    /// Ours. augment self-blend: probability that a real training image becomes a self-blended fake.
    public var selfBlendProbability = 0.5
    /// Ours. Also write the resumable `last.h5` every this many optimiser steps; 0 = only at the
    /// end of each epoch. Default 0.
    public var checkpointEverySteps = 0
    /// Ours. Draw training batches balanced per (dataset, class) instead of a plain shuffle
    /// (Datasets/BalancedOrder.swift). Default false.
    public var balanceTrainData = false
    public var shardOptimizerState = true

    // MARK: Resources
    public var nGPUs = 0
    public var nCPUs = 4
    /// Ours. Ranks sharing each quantum circuit's statevector (a power of two); 0 = `auto`, the
    /// fewest whose shard fits `statevectorMemoryMB`. Default 1 (every rank holds whole states).
    public var statevectorRanks = 1
    /// Ours. Statevector memory budget per rank in MB; 0 = half of this machine's memory.
    public var statevectorMemoryMB = 0.0

    // MARK: Provenance (not part of equality)
    private var provenance = Provenance()

    /// Things the loader resolved on the user's behalf (aliases, ignored keys), one sentence each,
    /// for the run log. Not written by `toYAML()` as keys, only as comments; not part of equality
    /// (two configs that train the same run are equal however they were spelt).
    public var loadNotes: [String] {
        get { provenance.notes }
        set { provenance.notes = newValue }
    }

    /// A configuration with every default; `modelType` and `trainData` are the required keys.
    public init(modelType: ModelType = .classic, trainData: [DatasetEntry] = []) {
        self.modelType = modelType
        self.trainData = trainData
    }

    /// The seed the train/validation/test split is drawn with: `splitSeed`, else `manualSeed`.
    public var effectiveSplitSeed: Int { splitSeed > 0 ? splitSeed : manualSeed }

    /// True when the test set comes from `testData` rather than a split of validation.
    public var testsOnTestData: Bool { testSize == 0 }

    /// Short model label for run-folder names: "Classic", "HQNN" or "QNN" (the twin gets "-twin").
    public var modelLabel: String {
        let base = modelType == .classic ? "Classic" : quanType.rawValue
        return classicalTwin && modelType == .quantum ? base + "-twin" : base
    }
}

/// How a Config came to be; equal to every other Provenance, so the synthesised `==` of Config
/// compares settings only.
struct Provenance: Sendable, Equatable {
    var notes: [String] = []
    static func == (_: Provenance, _: Provenance) -> Bool { true }
}
