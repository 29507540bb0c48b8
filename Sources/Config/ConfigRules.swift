// The per-key rules (type, range, default) and the rules that involve several keys, in one place,
// so the README's table of keys and this file can be checked against each other.

import Core
import Yams

extension ConfigReader {
    mutating func readAll(into c: inout Config) {
        let d = Config()  // defaults
        c.outputsPath = string("outputsPath", d.outputsPath)
        c.kagglePath = string("kagglePath", d.kagglePath)
        c.dataPath = string("dataPath", d.dataPath)
        c.modelPath = string("modelPath", d.modelPath)
        c.manualSeed = int("manualSeed", d.manualSeed, .closed(1, 10000))

        c.valSize = real("valSize", d.valSize, .halfOpen(0, 1))
        c.testSize = real("testSize", d.testSize, .halfOpen(0, 1))
        c.numWorkers = int("numWorkers", d.numWorkers, .closed(0, 256))
        c.batchSize = int("batchSize", d.batchSize, .atLeast(1))
        c.imageHeight = int("imageHeight", d.imageHeight, .closed(8, 1024))
        c.imageWidth = int("imageWidth", d.imageWidth, .closed(8, 1024))
        c.numChannels = readChannels(d.numChannels)

        readModelType(into: &c)
        c.nQubits = int("nQubits", d.nQubits, .closed(1, 30))
        c.qubitType = choice("qubitType", d.qubitType)
        c.diffType = choice("diffType", d.diffType)
        c.nLayers = int("nLayers", d.nLayers, .closed(1, 1000))
        c.typeLayers = choice("typeLayers", d.typeLayers)
        c.trainable = bool("trainable", d.trainable)
        c.patch = bool("patch", d.patch)
        c.nQuantumLayers = int("nQuantumLayers", d.nQuantumLayers, .closed(1, 64))
        c.classicalTwin = bool("classicalTwin", d.classicalTwin)

        c.numEpochs = int("numEpochs", d.numEpochs, .atLeast(1))
        c.learningRate = real("learningRate", d.learningRate, .above(0))
        c.beta1 = real("beta1", d.beta1, .halfOpen(0, 1))
        c.optimizer = choice("optimizer", d.optimizer)
        c.momentum = real("momentum", d.momentum, .halfOpen(0, 1))
        c.weightDecay = real("weightDecay", d.weightDecay, .atLeast(0))
        c.lrSchedule = choice("lrSchedule", d.lrSchedule)
        c.warmupEpochs = int("warmupEpochs", d.warmupEpochs, .atLeast(0))
        c.earlyStoppingPatience = int("earlyStoppingPatience", d.earlyStoppingPatience, .atLeast(0))
        c.earlyStoppingMetric = choice("earlyStoppingMetric", d.earlyStoppingMetric)
        c.augment = choices("augment", d.augment)
        c.checkpointEverySteps = int("checkpointEverySteps", d.checkpointEverySteps, .atLeast(0))

        c.nGPUs = int("nGPUs", d.nGPUs, .atLeast(0))
        c.nCPUs = int("nCPUs", d.nCPUs, .atLeast(1))

        readDatasets(into: &c)
        crossChecks(c)
    }

    /// 1 or 3; 2 (the old README's "2 for B&W") is read as 1 with a note.
    private mutating func readChannels(_ def: Int) -> Int {
        let n = int("numChannels", def, .closed(1, 3))
        if n == 2 {
            notes.append("numChannels: 2 read as 1 (greyscale): the old README's \"2 for B&W\" meant one grey channel")
            return 1
        }
        return n
    }

    /// modelType is required; `Hybrid` is Quantum with quanType HQNN.
    private mutating func readModelType(into c: inout Config) {
        let quan = choice("quanType", Config().quanType)
        c.quanType = quan
        guard let v = value("modelType") else {
            problem(nil, "missing required key 'modelType': add `modelType: Classic` or `modelType: Quantum` (or Hybrid)")
            return
        }
        if case .scalar(let s) = v, s.string.lowercased() == "hybrid" {
            c.modelType = .quantum
            if let q = value("quanType"), quan != .hqnn {
                problem(q, "modelType 'Hybrid' means Quantum with quanType HQNN, but quanType is \(show(q)): write modelType: Quantum, quanType: QNN")
            }
            c.quanType = .hqnn
            notes.append("modelType: Hybrid resolved to modelType: Quantum with quanType: HQNN")
            return
        }
        guard case .scalar(let s) = v, let m = ModelType.matching(s.string) else {
            problem(v, "modelType is \(show(v)), not a valid choice: use one of \(ModelType.choicesText) (or 'Hybrid' = Quantum with quanType HQNN)")
            return
        }
        c.modelType = m
    }

    private mutating func readDatasets(into c: inout Config) {
        let before = problems.count
        if let train = datasets("trainData") {
            c.trainData = train
            if train.isEmpty && problems.count == before {
                problem(values["trainData"], "trainData names no dataset: add at least one `name: source` entry")
            }
        } else {
            problem(nil, "missing required key 'trainData': add e.g. trainData: {hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}")
        }
        let beforeTest = problems.count
        let test = datasets("testData")
        c.testData = test ?? []
        if c.testSize == 0 && problems.count == beforeTest {
            if test == nil {
                problem(nil, "missing key 'testData': with testSize 0 (the default) the test set comes from testData; add testData: {name: source}, or set testSize > 0 to test on a split of the validation data")
            } else if test!.isEmpty {
                problem(values["testData"], "testData names no dataset, but testSize is 0: add at least one `name: source` entry, or set testSize > 0")
            }
        } else if let t = test, !t.isEmpty {
            notes.append("testSize \(c.testSize) > 0: the test set is that fraction of the validation split; testData (\(t.map { $0.name }.joined(separator: ", "))) is not used")
        }
    }

    /// Rules that involve several keys.
    private mutating func crossChecks(_ c: Config) {
        if c.testSize > 0 && c.valSize == 0 {
            problem(values["testSize"], "testSize is \(c.testSize), a fraction of the validation split, but valSize is 0: set valSize > 0 or testSize: 0 with testData")
        }
        if c.earlyStoppingPatience > 0 && c.valSize == 0 {
            problem(values["earlyStoppingPatience"], "earlyStoppingPatience is \(c.earlyStoppingPatience) but valSize is 0, so there is no validation metric to watch: set valSize > 0 or earlyStoppingPatience: 0")
        }
        if c.warmupEpochs > 0 && c.warmupEpochs >= c.numEpochs {
            problem(values["warmupEpochs"], "warmupEpochs is \(c.warmupEpochs), out of range: it must be below numEpochs (\(c.numEpochs))")
        }
    }
}
