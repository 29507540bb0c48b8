// The key table is the one declaration of every key: names, defaults, YAML forms and the README's
// key list all come from it, and an explicit null is an error naming the key.

import XCTest
import Core
@testable import Config

final class ConfigKeyTableTests: XCTestCase {
    func testExplicitNullIsAnErrorNamingTheKey() {
        // `numEpochs:` with no value used to train with the default 10 without a word.
        XCTAssertThrowsError(try Config.parse(yaml: minimal("numEpochs:\n"), source: "n.yaml")) {
            XCTAssertEqual(($0 as! DeepfakeError).message, """
                config n.yaml has 1 problem:
                n.yaml:4: numEpochs has no value (`numEpochs:` with nothing after it): write a value, or delete the line to use the default (10)
                """)
        }
        // Every spelling of null, every kind of key; required keys say so and are not also "missing".
        let text = "modelType: ~\ntrainData: null\ntestData:\naugment:\noutputsPath: Null\nvalSize:\n"
        XCTAssertThrowsError(try Config.parse(yaml: text, source: "m.yaml")) {
            let lines = ($0 as! DeepfakeError).message.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines, [
                "config m.yaml has 6 problems:",
                "m.yaml:1: modelType has no value (`modelType:` with nothing after it): it is required, write its value",
                "m.yaml:2: trainData has no value (`trainData:` with nothing after it): it is required, write its value",
                "m.yaml:3: testData has no value (`testData:` with nothing after it): write a value, or delete the line to use the default (none)",
                "m.yaml:4: augment has no value (`augment:` with nothing after it): write a value, or delete the line to use the default ([hflip])",
                "m.yaml:5: outputsPath has no value (`outputsPath:` with nothing after it): write a value, or delete the line to use the default (./results)",
                "m.yaml:6: valSize has no value (`valSize:` with nothing after it): write a value, or delete the line to use the default (0.2)",
            ])
        }
        // An empty list is a value, not a null.
        XCTAssertEqual(try Config.parse(yaml: minimal("augment: []\n")).augment, [])
    }

    func testTheTableIsTheKeyList() throws {
        let names = Config.keys.map(\.name)
        XCTAssertEqual(Config.validKeys, names)
        XCTAssertEqual(Set(names).count, names.count, "a key is declared twice")
        XCTAssertEqual(Config.keys.filter(\.required).map(\.name), ["trainData", "modelType"])
        for key in Config.keys {
            XCTAssertFalse(key.doc.isEmpty || key.valid.isEmpty || key.type.isEmpty, key.name)
        }
        // Each row's default is the struct's: a file that sets every optional key to the default
        // the table documents loads as the default config.
        var yaml = "modelType: Classic\ntrainData: {a: builtin}\ntestSize: 0.5\n"
        for key in Config.keys where !key.required && key.defaultText != "none" && key.name != "testSize" {
            yaml += "\(key.name): \(key.defaultText)\n"
        }
        var expected = Config(modelType: .classic, trainData: [DatasetEntry(name: "a", source: .builtin(variant: nil))])
        expected.testSize = 0.5
        XCTAssertEqual(try Config.parse(yaml: yaml), expected, yaml)
    }

    func testSynthesisedEqualityComparesEverySettingButNotTheLoadNotes() throws {
        let a = try Config.parse(yaml: minimal("numChannels: 2\n"))
        let b = try Config.parse(yaml: minimal("numChannels: 1\n"))
        XCTAssertNotEqual(a.loadNotes, b.loadNotes)
        XCTAssertEqual(a, b)
        // A change in any one key makes the configs differ: flip every key through its YAML.
        let base = try Config.parse(yaml: minimal())
        let changed = ["outputsPath: o", "kagglePath: k", "dataPath: d", "modelPath: m", "manualSeed: 5", "splitSeed: 3",
                       "trainData: {x: builtin}", "testData: {y: builtin}", "valSize: 0.3", "testSize: 0.5",
                       "numWorkers: 3", "batchSize: 7", "imageHeight: 16", "imageWidth: 16", "numChannels: 1",
                       "modelType: Quantum", "quanType: QNN", "nQubits: 3", "qubitType: lightning.qubit",
                       "diffType: adjoint", "nLayers: 2", "typeLayers: basic", "trainable: true", "patch: true",
                       "nQuantumLayers: 3", "classicalTwin: true", "numEpochs: 3", "learningRate: 0.1", "beta1: 0.9",
                       "optimizer: sgd", "momentum: 0.5", "weightDecay: 0.1", "lrSchedule: cosine", "warmupEpochs: 1",
                       "earlyStoppingPatience: 1", "earlyStoppingMetric: val_loss", "augment: [vflip]",
                       "blurProbability: 0.1", "blurSigmaMax: 1.5", "jpegProbability: 0.2", "jpegQualityMin: 40",
                       "jpegQualityMax: 90", "cropProbability: 0.3", "cropScaleMin: 0.7", "resampleProbability: 0.4",
                       "resampleScaleMin: 0.5", "colourProbability: 0.6", "colourJitter: 0.3", "selfBlendProbability: 0.2", "checkpointEverySteps: 5", "balanceTrainData: true",
                       "shardOptimizerState: false",
                       "nGPUs: 1", "nCPUs: 1", "statevectorRanks: auto", "statevectorMemoryMB: 100"]
        XCTAssertEqual(changed.map { String($0.split(separator: ":")[0]) }, Config.validKeys)
        for line in changed {
            let key = String(line.split(separator: ":")[0])
            let text = minimal().split(separator: "\n").filter { !$0.hasPrefix(key + ":") }.joined(separator: "\n") + "\n" + line + "\n"
            XCTAssertNotEqual(try Config.parse(yaml: text), base, line)
        }
    }

    func testReadmeKeyListIsTheGeneratedTable() throws {
        let readme = URL(fileURLWithPath: configsFolder).deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let begin = "<!-- config keys: generated by `deepfake keys --markdown`, checked by ConfigKeyTableTests -->\n"
        let end = "<!-- end of config keys -->"
        guard let lo = text.range(of: begin), let hi = text.range(of: end, range: lo.upperBound..<text.endIndex) else {
            return XCTFail("README.md has no generated key table between the markers")
        }
        XCTAssertEqual(String(text[lo.upperBound..<hi.lowerBound]), Config.keysMarkdown(),
                       "README.md's key table is stale: replace it with the output of `deepfake keys --markdown`")
    }
}
