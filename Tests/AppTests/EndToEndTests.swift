// End-to-end: the real pipeline (built-in PNG faces -> HDF5 cache -> split -> ResNet-18 training
// -> checkpoints -> test outputs), then inference from the saved weights, through DeepfakeApp,
// the same functions the `deepfake` executable calls.

import Config
import Core
import Foundation
import Metrics
import NN
import Reporting
import Storage
import TestSupport
import XCTest
@testable import App
@testable import Training

final class EndToEndTests: TemporaryFolderTestCase {
    func writeConfig(_ body: String, name: String = "config.yaml") throws -> String {
        let path = tmp + "/" + name
        try (body + "\ndataPath: \(tmp)/data\noutputsPath: \(tmp)/results\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func json(_ path: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "missing \(path)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testClassicTrainsOnBuiltinDataLearnsInfersAndWarmStartsAnHQNN() throws {
        let config = try writeConfig("modelType: Classic\n" + demoSettingsYAML(epochs: 8))
        let run = try DeepfakeApp.train(RunRequest(configPath: config, offline: true))
        // The run folder holds exactly the files the RunFolder registry names (and no stray temporary file).
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: run)), Set(RunFile.everyTrainingRun.map(\.rawValue)))
        let records = try EpochCSVWriter.read(path: run + "/epochs.csv")
        XCTAssertEqual(records.map(\.epoch), Array(1...8))
        let bestAUC = records.map(\.valAUC).max() ?? 0
        // The same settings as configs/demo.yaml (the README's main job): the model must learn.
        XCTAssertGreaterThan(bestAUC, 0.75, "the Classic model should learn the built-in set (val AUC per epoch: \(records.map(\.valAUC)))")
        XCTAssertTrue(records.allSatisfy { $0.trainLoss.isFinite && $0.imagesPerSecond > 0 && $0.peakMemoryMB > 0 })

        // The resolved config reloads to the same settings.
        let saved = try Config.load(path: run + "/config.yaml")
        XCTAssertEqual(saved.numEpochs, 8)
        XCTAssertEqual(saved.trainData.map(\.name), ["demo"])

        // Inference with the saved config and best weights reproduces the test metrics exactly,
        // in a new run folder (the training run is never overwritten).
        let trained = try json(run + "/test_metrics.json")
        // One test dataset, trained on: per_dataset holds it, in-domain, with the pooled numbers.
        let demo = try XCTUnwrap((trained["per_dataset"] as? [String: [String: Any]])?["demo"])
        XCTAssertEqual(demo["in_domain"] as? Bool, true)
        XCTAssertEqual(demo["count"] as? Int, trained["count"] as? Int)
        XCTAssertEqual(try XCTUnwrap(demo["auc"] as? Double), try XCTUnwrap(trained["auc"] as? Double), accuracy: 1e-12)
        let runLog = try String(contentsOfFile: run + "/run.log", encoding: .utf8)
        XCTAssertTrue(runLog.contains("test on demo (in-domain): "), "the log gives the per-dataset line")
        XCTAssertTrue(runLog.contains("audit demo: "), "the log gives the shortcut audit at the start")
        // The records name the convolution engine that ran (the engines round differently).
        let engine = ConvSettings.standard.engineDescription
        XCTAssertTrue(engine.contains("training Winograd F(2x2,3x3) from 64 input channels"), engine)
        XCTAssertTrue(runLog.contains(engine), "the log names the convolution engine")
        XCTAssertEqual((trained["context"] as? [String: Any])?["convolution_engine"] as? String, engine)
        let infer = try DeepfakeApp.train(RunRequest(configPath: run + "/config.yaml", offline: true,
                                                     inferWeights: run + "/best.h5"))
        XCTAssertNotEqual(infer, run)
        let inferred = try json(infer + "/test_metrics.json")
        XCTAssertEqual(trained["count"] as? Int, inferred["count"] as? Int)
        XCTAssertEqual(try XCTUnwrap(trained["auc"] as? Double), try XCTUnwrap(inferred["auc"] as? Double), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(trained["accuracy"] as? Double), try XCTUnwrap(inferred["accuracy"] as? Double), accuracy: 1e-9)
        XCTAssertFalse(FileManager.default.fileExists(atPath: infer + "/epochs.csv"), "inference must not train")

        // Predictions: one row per test image, labels 0/1, probabilities in [0, 1].
        let lines = try String(contentsOfFile: infer + "/test_predictions.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "path,dataset,label,p_fake,predicted")
        XCTAssertEqual(lines.count - 1, inferred["count"] as? Int)

        // The fair comparison workflow: an HQNN warm-started from this run's CNN body (modelPath =
        // best.h5; same seed, so the same split) learns its fresh dense -> circuits -> head path
        // end to end within two epochs at a fine-tuning rate (at 1e-3 the fresh head's first
        // gradients disturb the trained body). From scratch: QuantumEndToEndTests.
        let warm = try writeConfig("""
            modelType: Quantum
            quanType: HQNN
            nQubits: 4
            nQuantumLayers: 2
            nLayers: 1
            modelPath: \(run)/best.h5

            """ + demoSettingsYAML(epochs: 2, learningRate: 0.0001), name: "warm.yaml")
        let hqnn = try DeepfakeApp.train(RunRequest(configPath: warm, offline: true))
        let log = try String(contentsOfFile: hqnn + "/run.log", encoding: .utf8)
        XCTAssertTrue(log.contains("warm start: 100 tensors from the checkpoint"), log)
        let hqnnAUC = try EpochCSVWriter.read(path: hqnn + "/epochs.csv").map(\.valAUC)
        XCTAssertGreaterThan(hqnnAUC.max() ?? 0, 0.7, "warm-started HQNN val AUC per epoch: \(hqnnAUC) (Classic: \(records.map(\.valAUC)))")
    }

    func testWrongWeightsForArchitectureIsAClearError() throws {
        let path = tmp + "/bogus.h5"
        let f = try H5File.create(path)
        try f.setAttribute("format", "deepfake-checkpoint")
        try f.writeStrings("names", ["conv1.weight"])
        f.close()
        let config = try writeConfig("""
            modelType: Classic
            trainData:
              demo: "builtin:small"
            valSize: 0.3
            testSize: 0.5
            """)
        XCTAssertThrowsError(try DeepfakeApp.train(RunRequest(configPath: config, offline: true, inferWeights: path))) { error in
            XCTAssertTrue("\(error)".contains("different architecture"), "\(error)")
        }
    }

    func testMissingOfflineKaggleDataNamesTheDatasetAndTheFix() throws {
        let config = try writeConfig("""
            modelType: Classic
            kagglePath: \(tmp)/kaggle
            trainData:
              hard1k: "hamzaboulahia/hardfakevsrealfaces"
            testSize: 0.5
            """)
        try ScopedEnvironment.with(["KAGGLEHUB_CACHE": ""]) {
            XCTAssertThrowsError(try DeepfakeApp.train(RunRequest(configPath: config, offline: true))) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("hard1k") && text.contains("without -o"), text)
            }
        }
    }
}
