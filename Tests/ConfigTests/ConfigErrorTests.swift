// Config validation: every rule, its exact message, and that all problems come back at once.

import XCTest
import Core
import TestSupport
@testable import Config

final class ConfigErrorTests: XCTestCase {
    /// The problem lines of the error a text raises (the first line is the summary).
    func problems(_ yaml: String, source: String = "cfg.yaml", file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try Config.parse(yaml: yaml, source: source)
            XCTFail("expected an error", file: file, line: line)
            return []
        } catch let e as DeepfakeError {
            let lines = e.message.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines[0], "config \(source) has \(lines.count - 1) problem\(lines.count == 2 ? "" : "s"):", file: file, line: line)
            return Array(lines.dropFirst())
        } catch {
            XCTFail("not a DeepfakeError: \(error)", file: file, line: line)
            return []
        }
    }

    func testUnknownKeyNamesTheClosestKeyAndTheValidKeys() {
        let p = problems(minimal("learningrate: 0.1\n"))
        XCTAssertEqual(p, ["cfg.yaml:4: unknown key 'learningrate': did you mean 'learningRate'? Valid keys: " + Config.validKeys.joined(separator: ", ")])
        XCTAssertTrue(problems(minimal("numEpoch: 3\n"))[0].contains("did you mean 'numEpochs'?"))
        XCTAssertTrue(problems(minimal("ngpus: 1\n"))[0].contains("did you mean 'nGPUs'?"))
        // Nothing plausible: no suggestion, still the list.
        let far = problems(minimal("colour: red\n"))[0]
        XCTAssertFalse(far.contains("did you mean"))
        XCTAssertTrue(far.contains("unknown key 'colour': Valid keys: outputsPath, "))
    }

    func testEditDistance() {
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(editDistance("LEARNINGRATE", "learningRate"), 0)
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("abc", ""), 3)
        XCTAssertEqual(closestKey(to: "batchsise", in: Config.validKeys), "batchSize")
        XCTAssertNil(closestKey(to: "zzz", in: Config.validKeys))
    }

    func testWrongTypesNameKeyValueAndExpectedType() {
        let p = problems(minimal("batchSize: \"32\"\nvalSize: abc\ntrainable: 1\nimageHeight: 32.5\naugment: {a: b}\noutputsPath: [a]\n"))
        // Reading order of ConfigRules: paths, data, model, training.
        XCTAssertEqual(p, [
            "cfg.yaml:9: outputsPath is a list, expected a non-empty string (a path)",
            "cfg.yaml:5: valSize is abc, expected a number (0.0 <= x < 1.0)",
            "cfg.yaml:4: batchSize is \"32\", expected an integer (>= 1)",
            "cfg.yaml:7: imageHeight is 32.5, expected an integer (8...1024)",
            "cfg.yaml:6: trainable is 1, expected true or false",
            "cfg.yaml:8: augment is a mapping, expected a list of 'hflip', 'vflip', 'rotate', 'blur', 'jpeg', 'crop', 'resample', 'colour', 'blur-jpeg' or 'self-blend'",
        ])
    }

    func testOutOfRangeNamesTheValidRange() {
        let p = problems(minimal("manualSeed: 0\nvalSize: 1.0\ntestSize: -0.1\nimageWidth: 4\nnQubits: 31\nlearningRate: 0\nbeta1: 1\nnCPUs: 0\nnumChannels: 4\n"))
        XCTAssertEqual(Set(p), [
            "cfg.yaml:4: manualSeed is 0, out of range: valid values are 1...10000",
            "cfg.yaml:5: valSize is 1.0, out of range: valid values are 0.0 <= x < 1.0",
            "cfg.yaml:6: testSize is -0.1, out of range: valid values are 0.0 <= x < 1.0",
            "cfg.yaml:7: imageWidth is 4, out of range: valid values are 8...1024",
            "cfg.yaml:12: numChannels is 4, out of range: valid values are 1...3",
            "cfg.yaml:8: nQubits is 31, out of range: valid values are 1...30",
            "cfg.yaml:9: learningRate is 0.0, out of range: valid values are > 0.0",
            "cfg.yaml:10: beta1 is 1.0, out of range: valid values are 0.0 <= x < 1.0",
            "cfg.yaml:11: nCPUs is 0, out of range: valid values are >= 1",
        ])
        XCTAssertEqual(p.count, 9)
    }

    func testInvalidChoicesListTheChoices() {
        let p = problems(minimal("qubitType: lightning.kokkos\ndiffType: finite-diff\ntypeLayers: random\noptimizer: rmsprop\nlrSchedule: step\nearlyStoppingMetric: val_f1\naugment: [hflip, sharpen]\nquanType: QCNN\n"))
        XCTAssertEqual(Set(p), [
            "cfg.yaml:11: quanType is QCNN, not a valid choice: use one of 'HQNN' or 'QNN'",
            "cfg.yaml:4: qubitType is lightning.kokkos, not a valid choice: use one of 'default.qubit', 'lightning.qubit', 'lightning.gpu', 'softwareq.qpp', 'nvidia.custatevec' or 'nvidia.cutensornet'",
            "cfg.yaml:5: diffType is finite-diff, not a valid choice: use one of 'best', 'adjoint', 'parameter-shift', 'backprop' or 'default'",
            "cfg.yaml:6: typeLayers is random, not a valid choice: use one of 'strong' or 'basic'",
            "cfg.yaml:7: optimizer is rmsprop, not a valid choice: use one of 'adam', 'adamax' or 'sgd'",
            "cfg.yaml:8: lrSchedule is step, not a valid choice: use one of 'constant' or 'cosine'",
            "cfg.yaml:9: earlyStoppingMetric is val_f1, not a valid choice: use one of 'val_auc', 'val_loss' or 'val_accuracy'",
            "cfg.yaml:10: augment contains sharpen, not a valid choice: use any of 'hflip', 'vflip', 'rotate', 'blur', 'jpeg', 'crop', 'resample', 'colour', 'blur-jpeg' or 'self-blend'",
        ])
        XCTAssertEqual(problems("modelType: Quantumm\ntrainData: {a: builtin}\ntestSize: 0.5\n"),
                       ["cfg.yaml:1: modelType is Quantumm, not a valid choice: use one of 'Classic' or 'Quantum' (or 'Hybrid' = Quantum with quanType HQNN)"])
    }

    func testMissingRequiredKeys() {
        XCTAssertEqual(problems("valSize: 0.2\n"), [
            "cfg.yaml: missing required key 'modelType': add `modelType: Classic` or `modelType: Quantum` (or Hybrid)",
            "cfg.yaml: missing required key 'trainData': add e.g. trainData: {hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}",
            "cfg.yaml: missing key 'testData': with testSize 0 (the default) the test set comes from testData; add testData: {name: source}, or set testSize > 0 to test on a split of the validation data",
        ])
        XCTAssertEqual(problems(""), ["cfg.yaml: the file is empty: it needs at least modelType and trainData"])
        XCTAssertEqual(problems("- a\n- b\n"), ["cfg.yaml:1: the top level is a list, expected a mapping of `key: value` lines"])
    }

    func testTestDataRequiredOnlyWhenTestSizeIsZero() {
        let base = "modelType: Classic\ntrainData: {a: builtin}\n"
        XCTAssertTrue(problems(base)[0].contains("missing key 'testData'"))
        XCTAssertTrue(problems(base + "testSize: 0.0\n")[0].contains("missing key 'testData'"))
        XCTAssertEqual(problems(base + "testData: {}\n"), ["cfg.yaml:3: testData names no dataset, but testSize is 0: add at least one `name: source` entry, or set testSize > 0"])
        XCTAssertNoThrow(try Config.parse(yaml: base + "testSize: 0.25\n"))
        XCTAssertNoThrow(try Config.parse(yaml: base + "testData: {b: ./x}\n"))
    }

    func testDatasetEntryProblems() {
        // The list form lets a name repeat (a mapping would be a YAML error), so the check is ours.
        let p = problems("modelType: Classic\ntestSize: 0.5\ntrainData:\n  - ok: builtin\n  - bad: not-a-handle\n  - ok: ./dup\n  - \"sp ace\": ./x\n  - empty:\n")
        XCTAssertEqual(p, [
            "cfg.yaml:5: trainData.bad: 'not-a-handle' is not a Kaggle dataset handle: use \"owner/dataset\" or \"owner/dataset/versions/N\" (for example \"hamzaboulahia/hardfakevsrealfaces/versions/1\"), or a local folder path starting with / or ./",
            "cfg.yaml:6: trainData names dataset 'ok' twice: give each dataset its own name",
            "cfg.yaml:7: trainData dataset name 'sp ace' may use only letters, digits, '-', '_' and '.' (it becomes part of folder names)",
            "cfg.yaml:8: trainData.empty is empty, expected a source: a Kaggle handle \"owner/dataset[/versions/N]\", a local folder (starting with /, ./, ../ or ~) or \"builtin[:variant]\"",
        ])
        XCTAssertEqual(problems("modelType: Classic\ntestSize: 0.5\ntrainData: hard1k\n"),
                       ["cfg.yaml:3: trainData is hard1k, expected a mapping of dataset name to source, e.g. trainData: {hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}"])
        XCTAssertEqual(problems("modelType: Classic\ntestSize: 0.5\ntrainData: [hard1k]\n"),
                       ["cfg.yaml:3: trainData list item is hard1k, expected a `name: source` entry, e.g. trainData: [{hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}]"])
        XCTAssertEqual(problems("modelType: Classic\ntestSize: 0.5\ntrainData: {}\n"),
                       ["cfg.yaml:3: trainData names no dataset: add at least one `name: source` entry"])
    }

    func testCrossKeyRules() {
        let p = problems(minimal("valSize: 0\ntestSize: 0.5\nearlyStoppingPatience: 2\nnumEpochs: 3\nwarmupEpochs: 3\n"))
        XCTAssertEqual(p, [
            "cfg.yaml:5: testSize is 0.5, a fraction of the validation split, but valSize is 0: set valSize > 0 or testSize: 0 with testData",
            "cfg.yaml:6: earlyStoppingPatience is 2 but valSize is 0, so there is no validation metric to watch: set valSize > 0 or earlyStoppingPatience: 0",
            "cfg.yaml:8: warmupEpochs is 3, out of range: it must be below numEpochs (3)",
        ])
    }

    func testDuplicateKeyAndSyntaxErrorAndMissingFile() {
        XCTAssertThrowsError(try Config.parse(yaml: minimal("batchSize: 8\nbatchSize: 16\n"), source: "d.yaml")) {
            XCTAssertTrue(($0 as! DeepfakeError).message.hasPrefix("d.yaml: not valid YAML: "))
            XCTAssertTrue(($0 as! DeepfakeError).message.contains("duplicated key(s): 'batchSize'"))
        }
        XCTAssertThrowsError(try Config.parse(yaml: "modelType: [Classic\n", source: "x.yaml")) {
            XCTAssertTrue(($0 as! DeepfakeError).message.hasPrefix("x.yaml: not valid YAML: "))
        }
        XCTAssertThrowsError(try Config.load(path: "/nonexistent/c.yaml")) {
            XCTAssertEqual(($0 as! DeepfakeError).message, "cannot read config file /nonexistent/c.yaml: check the path (pass it with -c/--config)")
        }
    }

    func testAllProblemsReportedAtOnceWithTheFilePath() throws {
        let dir = try TemporaryFolder.make(for: self)
        let path = dir + "/bad.yaml"
        try "modelType: Classicc\nbatchSise: 3\nvalSize: 2\ntrainData: {a: builtin}\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Config.load(path: path)) {
            let lines = ($0 as! DeepfakeError).message.split(separator: "\n")
            XCTAssertEqual(lines.count, 5)  // summary + 4 problems
            XCTAssertEqual(lines[0], "config \(path) has 4 problems:")
            XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix(path + ":") })
            XCTAssertTrue(lines[1].contains("unknown key 'batchSise': did you mean 'batchSize'?"))
        }
    }
}
