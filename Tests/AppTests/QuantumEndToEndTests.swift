// End to end through DeepfakeApp.train on the built-in faces: HQNN, its classical twin, and QNN
// (cached and trainable) write quantum_resources.json and .qasm files and train (epochs.csv); the
// QNN learns the built-in set. The records' per-step counts are the executors' counts of the first
// training step, and the diff method recorded is the one the layers ran.

import Config
import Core
import Foundation
import Reporting
import XCTest
@testable import App
@testable import Training

final class QuantumEndToEndTests: TemporaryFolderTestCase {
    func run(_ model: String, epochs: Int = 2) throws -> String {
        let path = tmp + "/config-\(UUID().uuidString).yaml"
        try """
            \(model)
            trainData:
              demo: "builtin:small"
            valSize: 0.3
            testSize: 0.5
            batchSize: 16
            imageHeight: 32
            imageWidth: 32
            numEpochs: \(epochs)
            learningRate: 0.002
            beta1: 0.9
            nCPUs: 2
            dataPath: \(tmp)/data
            outputsPath: \(tmp)/results
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return try DeepfakeApp.train(RunRequest(configPath: path, offline: true))
    }

    func resources(_ run: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: run + "/quantum_resources.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func checkTrained(_ run: String, epochs: Int) throws {
        let records = try EpochCSVWriter.read(path: run + "/epochs.csv")
        XCTAssertEqual(records.map(\.epoch), Array(1...epochs))
        XCTAssertTrue(records.allSatisfy { $0.trainLoss.isFinite && $0.valAUC.isFinite && $0.imagesPerSecond > 0 })
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/test_metrics.json"))
    }

    /// Validation AUC per epoch of a run on the README demo's data and optimiser settings
    /// (configs/demo.yaml: 1,000 built-in faces, 32 px, Adam 1e-3, hflip) with `model` settings.
    func learningRun(_ model: String, epochs: Int) throws -> (auc: [Double], run: String) {
        let path = tmp + "/learn-\(UUID().uuidString).yaml"
        try (model + "\n" + demoSettingsYAML(epochs: epochs, augment: true) + "\ndataPath: \(tmp)/data\noutputsPath: \(tmp)/results\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let run = try DeepfakeApp.train(RunRequest(configPath: path, offline: true))
        let auc = try EpochCSVWriter.read(path: run + "/epochs.csv").map(\.valAUC)
        print("learning check, \(model.split(separator: "\n").joined(separator: ", ")): validation AUC per epoch \(auc)")
        return (auc, run)
    }

    /// The issue's bar: HQNN and QNN learn the built-in set end to end, from scratch (validation
    /// AUC above 0.5; we ask for 0.7). Measured here (release, seeds 1, 2, 3, 999): the HQNN
    /// passes 0.7 by epoch 5-8 and 0.8 by epoch 5-9; 10 epochs leave room for other CPUs' rounding.
    func testHQNNLearnsTheBuiltinSetFromScratch() throws {
        let (auc, run) = try learningRun("modelType: Quantum\nquanType: HQNN\nnQubits: 4\nnQuantumLayers: 2\nnLayers: 1", epochs: 10)
        XCTAssertGreaterThan(auc.max() ?? 0, 0.7, "HQNN validation AUC per epoch: \(auc)")
        // diffType best (the default) runs adjoint: one forward and one sweep per image and circuit, no shifted circuit.
        let doc = try resources(run)
        XCTAssertEqual((doc["diff_method"] as? [String: Any])?["actual"] as? String, "adjoint")
        let step = try XCTUnwrap((doc["layers"] as? [[String: Any]])?.first?["measured_training_step"] as? [String: Any])
        let images = try XCTUnwrap(step["images"] as? Int)
        XCTAssertGreaterThan(images, 0)
        XCTAssertEqual(step["forward_circuits"] as? Int, 2 * images)
        XCTAssertEqual(step["adjoint_sweeps"] as? Int, 2 * images)
        XCTAssertEqual(step["shifted_circuits"] as? Int, 0)
    }

    /// Measured here (release): 0.59 after epoch 1, best of 10 epochs 0.68 (it overfits: the
    /// small CNN after the quanvolution reaches 96 % training accuracy).
    func testQNNLearnsTheBuiltinSetFromScratch() throws {
        let auc = try learningRun("modelType: Quantum\nquanType: QNN", epochs: 10).auc
        XCTAssertGreaterThan(auc.max() ?? 0, 0.6, "QNN validation AUC per epoch: \(auc)")
    }

    func testHQNNRunWritesResourcesAndQASMAndTrains() throws {
        let run = try run("modelType: Hybrid\nnQubits: 3\nnQuantumLayers: 2\nnLayers: 2\ndiffType: parameter-shift\nqubitType: lightning.gpu")
        try checkTrained(run, epochs: 2)
        let doc = try resources(run)
        XCTAssertEqual(doc["model"] as? String, "HQNN")
        let device = try XCTUnwrap(doc["device"] as? [String: Any])
        XCTAssertEqual(device["requested"] as? String, "lightning.gpu")
        XCTAssertTrue((device["actual"] as? String)?.contains("swift-statevector") == true)
        let diff = try XCTUnwrap(doc["diff_method"] as? [String: Any])
        XCTAssertEqual(diff["requested"] as? String, "parameter-shift")
        // "actual" is the method the layer ran (it used to be the config's name while adjoint ran).
        XCTAssertEqual(diff["actual"] as? String, "parameter-shift")
        let layer = try XCTUnwrap((doc["layers"] as? [[String: Any]])?.first)
        XCTAssertEqual(layer["qubits"] as? Int, 3)
        XCTAssertEqual(layer["copies"] as? Int, 2)
        XCTAssertEqual(layer["trainable_parameters"] as? Int, 2 * 2 * 3 * 3)
        XCTAssertEqual((layer["gate_counts"] as? [String: Int])?["Rot"], 6)
        XCTAssertEqual(layer["diff_method"] as? String, "parameter-shift")
        // Counted by the executors in the first training step (not a formula): per image and copy
        // 1 forward + 2 * (3 input angles + 18 weight angles) shifted circuits, 16 images, 2 copies,
        // and no adjoint sweep.
        let step = try XCTUnwrap(layer["measured_training_step"] as? [String: Any])
        XCTAssertEqual(step["images"] as? Int, 16)
        XCTAssertEqual(step["forward_circuits"] as? Int, 2 * 16)
        XCTAssertEqual(step["shifted_circuits"] as? Int, 2 * 16 * 2 * 21)
        XCTAssertEqual(step["adjoint_sweeps"] as? Int, 0)
        XCTAssertEqual(layer["circuit_evaluations_per_training_step"] as? Int, 2 * 16 * (1 + 2 * 21))
        let qasm = try String(contentsOfFile: run + "/qlayer.qasm", encoding: .utf8)
        XCTAssertTrue(qasm.hasPrefix("// copy 0 of 2\nOPENQASM 3.0;"))
        XCTAssertEqual(qasm.components(separatedBy: "OPENQASM 3.0;").count - 1, 2)
        XCTAssertTrue(qasm.contains("qubit[3] q;") && qasm.contains("cx q[0], q[1];") && qasm.contains("rx(0.0) q[0];"))
        let log = try String(contentsOfFile: run + "/run.log", encoding: .utf8)
        XCTAssertTrue(log.contains("quantum layer qlayer: 2 x 3 qubits"))
        XCTAssertTrue(log.contains("quantum layer qlayer: first training step of 16 images ran 1376 circuit evaluations"), log)
    }

    func testHQNNTwinWritesNoCircuitsAndTrains() throws {
        let run = try run("modelType: Quantum\nquanType: HQNN\nnQubits: 2\nclassicalTwin: true", epochs: 1)
        try checkTrained(run, epochs: 1)
        XCTAssertEqual((try resources(run)["layers"] as? [Any])?.count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/qlayer.qasm"))
        XCTAssertTrue(run.contains("HQNN-twin"))
    }

    func testQNNCachedRunReusesTheFeatureCacheAndTrainableRunTrains() throws {
        let first = try run("modelType: Quantum\nquanType: QNN", epochs: 2)
        try checkTrained(first, epochs: 2)
        let caches = try FileManager.default.contentsOfDirectory(atPath: tmp + "/data").filter { $0.hasPrefix("quanv_") }
        XCTAssertEqual(caches.count, 1)
        let log1 = try String(contentsOfFile: first + "/run.log", encoding: .utf8)
        XCTAssertTrue(log1.contains("QNN: quanvolved"), log1)
        // The batches came from the cache (validation/test batches are never augmented: direct hits).
        let lookups = try XCTUnwrap(log1.components(separatedBy: "QNN cache lookups: ").last?.split(separator: " ").first)
        XCTAssertGreaterThan(Int(lookups) ?? 0, 0, log1)
        let layer = try XCTUnwrap((try resources(first)["layers"] as? [[String: Any]])?.first)
        XCTAssertEqual(layer["circuit_evaluations_per_training_step"] as? Int, 0)
        XCTAssertEqual(layer["evaluations_per_image"] as? Int, 3 * 16 * 16)
        XCTAssertTrue(try String(contentsOfFile: first + "/quanv.qasm", encoding: .utf8).contains("qubit[4] q;"))

        let second = try run("modelType: Quantum\nquanType: QNN", epochs: 1)
        let log2 = try String(contentsOfFile: second + "/run.log", encoding: .utf8)
        XCTAssertTrue(log2.contains("QNN: reusing quanvolved features"), log2)

        let trainable = try run("modelType: Quantum\nquanType: QNN\ntrainable: true\npatch: true", epochs: 1)
        try checkTrained(trainable, epochs: 1)
        let t = try XCTUnwrap((try resources(trainable)["layers"] as? [[String: Any]])?.first)
        XCTAssertEqual(t["trainable_parameters"] as? Int, 4)
        XCTAssertEqual(t["circuit_evaluations_per_training_step"] as? Int, 16 * 3 * 256)
        XCTAssertEqual((t["measured_training_step"] as? [String: Any])?["adjoint_sweeps"] as? Int, 16 * 3 * 256)
        XCTAssertTrue(try String(contentsOfFile: trainable + "/run.log", encoding: .utf8).contains("they coincide here"))
    }
}
