// Checkpoints: exact round trip, a clear refusal for another architecture, and the warm start
// that copies a Classic run's ResNet-18 body (parameters and BatchNorm statistics) into an HQNN.

import Core
import Foundation
import Models
import NN
import Storage
import XCTest
@testable import Training

final class CheckpointTests: TemporaryFolderTestCase {
    /// A Classic model whose BatchNorm running statistics are not the fresh 0/1 (one training
    /// forward), so copying state is observable.
    func trainedClassic(seed: UInt64) -> ClassicResNet18 {
        let m = ClassicResNet18(seed: seed, stem: .highResolution)
        var rng = SeededRNG(seed: seed)
        let x = Tensor(shape: [4, 3, 16, 16], values: (0..<(4 * 3 * 16 * 16)).map { _ in Float(rng.normal()) })
        _ = m.forward(x, training: true)
        return m
    }

    func testRoundTripIsExactAndAnotherArchitectureIsRefusedByName() throws {
        let a = trainedClassic(seed: 1)
        let path = tmp + "/a.h5"
        try Checkpoint.save(a.network, info: CheckpointInfo(model: "Classic", epoch: 3, metricName: "val_auc", metricValue: 0.8), to: path)
        XCTAssertTrue(Checkpoint.isCheckpoint(path))
        let b = ClassicResNet18(seed: 2, stem: .highResolution)
        let info = try Checkpoint.load(into: b.network, from: path)
        XCTAssertEqual(info.epoch, 3)
        XCTAssertEqual(Array(b.network.parameters), Array(a.network.parameters))
        XCTAssertEqual(Array(b.network.state), Array(a.network.state))

        let hqnn = HQNNModel(qubits: 2, circuits: 2, layers: 1, template: .strong, diffMethod: .adjoint, seed: 1, stem: .highResolution)
        XCTAssertThrowsError(try Checkpoint.load(into: hqnn.network, from: path)) { error in
            XCTAssertTrue("\(error)".contains("different architecture") && "\(error)".contains("'(none)' vs 'fcbn.weight'"), "\(error)")
        }
    }

    func testWarmStartCopiesTheClassicBodyIntoAnHQNNAndLeavesTheRest() throws {
        let classic = trainedClassic(seed: 3)
        let path = tmp + "/classic.h5"
        try Checkpoint.save(classic.network, info: CheckpointInfo(model: "Classic", epoch: 1, metricName: "val_auc", metricValue: 0.9), to: path)
        let hqnn = HQNNModel(qubits: 3, circuits: 2, layers: 1, template: .strong, diffMethod: .adjoint, seed: 4, stem: .highResolution)
        let freshQuantum = Array(hqnn.network.values(named: "qlayer.weights")!)
        let freshFC = Array(hqnn.network.values(named: "fc.weight")!)

        let copied = try Checkpoint.loadMatching(into: hqnn.network, from: path)
        let body = classic.network.entries.filter { !$0.name.hasPrefix("fc.") }.map(\.name)
        XCTAssertEqual(copied, body, "every body tensor and nothing else (fc is 2x512 there, 6x512 here)")
        for name in ["conv1.weight", "layer3.1.conv2.weight", "layer4.1.bn2.running_var", "bn1.running_mean"] {
            XCTAssertEqual(Array(hqnn.network.values(named: name)!), Array(classic.network.values(named: name)!), name)
        }
        XCTAssertNotEqual(Array(classic.network.values(named: "bn1.running_mean")!), [Float](repeating: 0, count: 64))
        XCTAssertEqual(Array(hqnn.network.values(named: "qlayer.weights")!), freshQuantum)
        XCTAssertEqual(Array(hqnn.network.values(named: "fc.weight")!), freshFC)

        // Not a checkpoint: a plain HDF5 file is named as such.
        let other = tmp + "/plain.h5"
        let f = try H5File.create(other)
        try f.write("x", [Float(1), 2], shape: [2])
        f.close()
        XCTAssertFalse(Checkpoint.isCheckpoint(other))
        XCTAssertFalse(Checkpoint.isCheckpoint(tmp + "/missing.h5"))
        XCTAssertThrowsError(try Checkpoint.loadMatching(into: hqnn.network, from: other)) { error in
            XCTAssertTrue("\(error)".contains("not a deepfake checkpoint"), "\(error)")
        }
    }
}
