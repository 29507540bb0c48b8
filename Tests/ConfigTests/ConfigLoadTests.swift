// Config loading: defaults, dataset syntaxes, aliases, round trip through toYAML, and every file
// in configs/.

import XCTest
import Core
@testable import Config

/// The smallest valid config text, plus extra lines.
func minimal(_ extra: String = "") -> String {
    "modelType: Classic\ntrainData: {hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}\ntestData: {deepfake2k: ciplab/real-and-fake-face-detection}\n" + extra
}

/// The repository's configs/ folder, found from this file's path.
let configsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("configs").path

final class ConfigLoadTests: XCTestCase {
    func testDefaultsOfTheOldReadme() throws {
        let c = try Config.parse(yaml: minimal())
        XCTAssertEqual(c.outputsPath, "./results"); XCTAssertEqual(c.kagglePath, "/tmp")
        XCTAssertEqual(c.dataPath, "./data"); XCTAssertEqual(c.modelPath, "./models")
        XCTAssertEqual(c.manualSeed, 999); XCTAssertEqual(c.modelType, .classic); XCTAssertEqual(c.quanType, .hqnn)
        XCTAssertEqual(c.valSize, 0.2); XCTAssertEqual(c.testSize, 0.0); XCTAssertEqual(c.numWorkers, 2)
        XCTAssertEqual(c.batchSize, 32); XCTAssertEqual(c.imageHeight, 32); XCTAssertEqual(c.imageWidth, 32)
        XCTAssertEqual(c.numChannels, 3); XCTAssertEqual(c.numEpochs, 10); XCTAssertEqual(c.learningRate, 0.0002)
        XCTAssertEqual(c.beta1, 0.5); XCTAssertEqual(c.nGPUs, 0); XCTAssertEqual(c.nCPUs, 4); XCTAssertEqual(c.nQubits, 4)
        XCTAssertEqual(c.qubitType, .defaultQubit); XCTAssertEqual(c.diffType, .best); XCTAssertEqual(c.nLayers, 1)
        XCTAssertEqual(c.typeLayers, .strong); XCTAssertFalse(c.trainable); XCTAssertFalse(c.patch)
        // Ours.
        XCTAssertEqual(c.optimizer, .adam); XCTAssertEqual(c.momentum, 0.9); XCTAssertEqual(c.weightDecay, 0)
        XCTAssertEqual(c.lrSchedule, .constant); XCTAssertEqual(c.warmupEpochs, 0)
        XCTAssertEqual(c.earlyStoppingPatience, 0); XCTAssertEqual(c.earlyStoppingMetric, .valAUC)
        XCTAssertEqual(c.augment, [.hflip]); XCTAssertFalse(c.classicalTwin); XCTAssertEqual(c.nQuantumLayers, 2)
        XCTAssertTrue(c.loadNotes.isEmpty)
        XCTAssertEqual(c.trainData, [DatasetEntry(name: "hard1k", source: .kaggle(KaggleHandle(owner: "hamzaboulahia", name: "hardfakevsrealfaces", version: 1)))])
        XCTAssertEqual(c.testData, [DatasetEntry(name: "deepfake2k", source: .kaggle(KaggleHandle(owner: "ciplab", name: "real-and-fake-face-detection")))])
        XCTAssertTrue(c.testsOnTestData)
    }

    func testMapAndListDatasetSyntaxesGiveTheSameOrderedEntries() throws {
        let asMap = try Config.parse(yaml: "modelType: Classic\ntestSize: 0.5\ntrainData:\n  b2: ./faces\n  a1: builtin:stripes\n  c3: owner/data\n")
        let asList = try Config.parse(yaml: "modelType: Classic\ntestSize: 0.5\ntrainData: [{b2: ./faces}, {a1: \"builtin:stripes\"}, {c3: owner/data}]\n")
        let oldReadme = try Config.parse(yaml: "modelType: Classic\ntestSize: 0.5\ntrainData: [b2: \"./faces\", a1: \"builtin:stripes\", c3: \"owner/data\"]\n")
        let blockList = try Config.parse(yaml: "modelType: Classic\ntestSize: 0.5\ntrainData:\n  - b2: ./faces\n  - a1: builtin:stripes\n  - c3: owner/data\n")
        let expected = [DatasetEntry(name: "b2", source: .localFolder("./faces")),
                        DatasetEntry(name: "a1", source: .builtin(variant: "stripes")),
                        DatasetEntry(name: "c3", source: .kaggle(KaggleHandle(owner: "owner", name: "data")))]
        for c in [asMap, asList, oldReadme, blockList] { XCTAssertEqual(c.trainData, expected) }
        XCTAssertTrue(asMap.testData.isEmpty)
        XCTAssertFalse(asMap.testsOnTestData)
    }

    func testDatasetSources() throws {
        XCTAssertEqual(try DatasetSource(parsing: "builtin"), .builtin(variant: nil))
        XCTAssertEqual(try DatasetSource(parsing: "builtin:noise"), .builtin(variant: "noise"))
        for p in ["/abs/x", "./rel", "../up", "~/home", "~", "."] {
            XCTAssertEqual(try DatasetSource(parsing: p), .localFolder(p))
        }
        XCTAssertEqual(try DatasetSource(parsing: "a/b/versions/3"), .kaggle(KaggleHandle(owner: "a", name: "b", version: 3)))
        XCTAssertThrowsError(try DatasetSource(parsing: "builtin:"))
        XCTAssertThrowsError(try DatasetSource(parsing: "just-a-name"))
        for s in ["builtin", "builtin:x", "./f", "a/b", "a/b/versions/2"] {
            XCTAssertEqual(try DatasetSource(parsing: s).description, s)
        }
    }

    func testHybridAliasResolvesToQuantumHQNNWithANote() throws {
        let c = try Config.parse(yaml: minimal().replacingOccurrences(of: "modelType: Classic", with: "modelType: Hybrid"))
        XCTAssertEqual(c.modelType, .quantum); XCTAssertEqual(c.quanType, .hqnn)
        XCTAssertEqual(c.loadNotes, ["modelType: Hybrid resolved to modelType: Quantum with quanType: HQNN"])
        XCTAssertTrue(c.toYAML().contains("modelType: Quantum\n"))
        XCTAssertTrue(c.toYAML().contains("# note: modelType: Hybrid resolved"))
        // Hybrid with an explicit HQNN is consistent; with QNN it is a contradiction.
        XCTAssertNoThrow(try Config.parse(yaml: minimal("quanType: HQNN\n").replacingOccurrences(of: "Classic", with: "Hybrid")))
        XCTAssertThrowsError(try Config.parse(yaml: minimal("quanType: QNN\n").replacingOccurrences(of: "Classic", with: "Hybrid"))) {
            XCTAssertTrue(($0 as! DeepfakeError).message.contains("modelType 'Hybrid' means Quantum with quanType HQNN, but quanType is QNN"))
        }
    }

    func testChoicesMatchCaseInsensitivelyAndNormalise() throws {
        let c = try Config.parse(yaml: minimal("quanType: qnn\ntypeLayers: BASIC\noptimizer: SGD\n").replacingOccurrences(of: "Classic", with: "quantum"))
        XCTAssertEqual(c.modelType, .quantum); XCTAssertEqual(c.quanType, .qnn)
        XCTAssertEqual(c.typeLayers, .basic); XCTAssertEqual(c.optimizer, .sgd)
        XCTAssertEqual(c.modelLabel, "QNN")
    }

    func testOldStyleValues() throws {
        // PyYAML-era spellings: True/False booleans, an int where a real is expected, 2e-4; a key left
        // out takes its default (an explicit null is an error: ConfigErrorTests.testExplicitNull...).
        let c = try Config.parse(yaml: minimal("trainable: True\npatch: False\nvalSize: 0\nlearningRate: 2e-4\nnumChannels: 1\n"))
        XCTAssertTrue(c.trainable); XCTAssertFalse(c.patch)
        XCTAssertEqual(c.valSize, 0); XCTAssertEqual(c.learningRate, 0.0002); XCTAssertEqual(c.numWorkers, 2)
        XCTAssertEqual(c.numChannels, 1)
    }

    func testTwoChannelsMeansGreyscaleWithANote() throws {
        let c = try Config.parse(yaml: minimal("numChannels: 2\n"))
        XCTAssertEqual(c.numChannels, 1)
        XCTAssertEqual(c.loadNotes.count, 1)
        XCTAssertTrue(c.loadNotes[0].contains("numChannels: 2 read as 1"))
    }

    func testTestDataIgnoredWithANoteWhenTestSizeIsPositive() throws {
        let c = try Config.parse(yaml: minimal("testSize: 0.5\n"))
        XCTAssertFalse(c.testsOnTestData)
        XCTAssertEqual(c.loadNotes, ["testSize 0.5 > 0: the test set is that fraction of the validation split; testData (deepfake2k) is not used"])
    }

    func testRoundTripThroughYAMLGivesAnEqualConfig() throws {
        var c = Config(modelType: .quantum, trainData: [
            DatasetEntry(name: "z", source: .builtin(variant: nil)),
            DatasetEntry(name: "yes", source: .localFolder("~/data with spaces")),
            DatasetEntry(name: "a", source: .kaggle(KaggleHandle(owner: "o", name: "n", version: 2)))])
        c.testData = [DatasetEntry(name: "t", source: .localFolder("/true"))]
        c.learningRate = 1e-5; c.valSize = 0.3; c.testSize = 0; c.beta1 = 0.0; c.weightDecay = 0.00123
        c.quanType = .qnn; c.qubitType = .nvidiaCutensornet; c.diffType = .parameterShift
        c.augment = []; c.outputsPath = "true"; c.dataPath = "123"; c.modelPath = "null"
        c.optimizer = .adamax; c.lrSchedule = .cosine; c.warmupEpochs = 2; c.earlyStoppingPatience = 3
        c.earlyStoppingMetric = .valLoss; c.classicalTwin = true; c.nQuantumLayers = 3; c.trainable = true
        let yaml = c.toYAML()
        let back = try Config.parse(yaml: yaml)
        XCTAssertEqual(back, c, yaml)
        XCTAssertEqual(back.toYAML(), yaml)
        // Every key is written, in validKeys order.
        let keys = yaml.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix(" ") }.map { String($0.split(separator: ":")[0]) }
        XCTAssertEqual(keys, Config.validKeys)
        // And the default config too (testData omitted when empty and unused).
        var d = Config(modelType: .classic, trainData: [DatasetEntry(name: "demo", source: .builtin(variant: nil))])
        d.testSize = 0.5
        XCTAssertEqual(try Config.parse(yaml: d.toYAML()), d)
        XCTAssertEqual(try d.validated(), d)
    }

    func testValidatedRejectsABadConfigBuiltInCode() {
        var c = Config(modelType: .classic, trainData: [DatasetEntry(name: "d", source: .builtin(variant: nil))])
        c.testSize = 0.5; c.batchSize = 0
        XCTAssertThrowsError(try c.validated()) {
            XCTAssertTrue(($0 as! DeepfakeError).message.contains("batchSize is 0, out of range: valid values are >= 1"))
        }
    }

    func testEveryFileInConfigsLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: configsFolder).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(Set(files).isSuperset(of: ["Deepfake.conf.yaml", "demo.yaml", "hard1k.yaml", "hqnn.yaml", "qnn.yaml"]), "\(files)")
        for f in files {
            let c = try Config.load(path: configsFolder + "/" + f)
            XCTAssertEqual(try Config.parse(yaml: c.toYAML()), c, f)
        }
        let old = try Config.load(path: configsFolder + "/Deepfake.conf.yaml")
        XCTAssertEqual(old.modelType, .classic); XCTAssertEqual(old.imageHeight, 64); XCTAssertEqual(old.imageWidth, 64)
        XCTAssertEqual(old.trainData.map { $0.name }, ["deepfake2k"]); XCTAssertEqual(old.testData.map { $0.name }, ["hard1k"])
        XCTAssertEqual(old.trainData[0].source, .kaggle(KaggleHandle(owner: "ciplab", name: "real-and-fake-face-detection")))
        let hard = try Config.load(path: configsFolder + "/hard1k.yaml")
        XCTAssertEqual(hard.valSize, 0.3); XCTAssertEqual(hard.testSize, 0.3333)
        let demo = try Config.load(path: configsFolder + "/demo.yaml")
        XCTAssertEqual(demo.trainData, [DatasetEntry(name: "demo", source: .builtin(variant: nil))])
        XCTAssertEqual(try Config.load(path: configsFolder + "/hqnn.yaml").quanType, .hqnn)
        XCTAssertEqual(try Config.load(path: configsFolder + "/qnn.yaml").quanType, .qnn)
    }
}
