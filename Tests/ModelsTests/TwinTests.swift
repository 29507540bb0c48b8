// Classical twins: exactly the quantum layer's parameter count for several (n, L, template, k),
// outputs in [-1, 1], finite-difference gradients (full and partial sublayers), QNN patch twin.

import XCTest
import Core
import NN
import Quantum
@testable import Models

final class TwinTests: XCTestCase {
    func testTwinParameterCountsEqualTheQuantumModel() {
        for (n, l, t, k) in [(1, 1, LayerTemplate.strong, 1), (2, 1, .basic, 2), (4, 1, .strong, 2), (4, 3, .basic, 1),
                             (3, 5, .strong, 3), (6, 2, .strong, 1), (8, 4, .basic, 2)] {
            let q = HQNNModel(qubits: n, circuits: k, layers: l, template: t, diffMethod: .adjoint, seed: 1)
            let c = HQNNModel(qubits: n, circuits: k, layers: l, template: t, diffMethod: .adjoint, classicalTwin: true, seed: 1)
            XCTAssertEqual(q.network.parameterCount, c.network.parameterCount, "n \(n) L \(l) \(t) k \(k)")
            XCTAssertEqual(q.network.entry(named: "qlayer.weights")!.count, c.network.entry(named: "qlayer.weights")!.count)
        }
    }

    func testSublayerLayoutForSmallAndLargeBudgets() {
        let small = TwinLayer(blocks: 1, width: 4, parameters: 4)      // basic L=1: diagonal only
        XCTAssertEqual(small.sublayers, 1); XCTAssertEqual(small.lastSlots, 4)
        let big = TwinLayer(blocks: 1, width: 2, parameters: 18)        // strong L=3 n=2: 6 per full sublayer
        XCTAssertEqual(big.sublayers, 3); XCTAssertEqual(big.lastSlots, 6)
        let odd = TwinLayer(blocks: 1, width: 3, parameters: 27)        // strong L=3 n=3: 12 + 12 + 3
        XCTAssertEqual(odd.sublayers, 3); XCTAssertEqual(odd.lastSlots, 3)
        // Every slot of a full sublayer is distinct.
        let slots = (0..<12).map { odd.slot($0) }
        XCTAssertEqual(Set(slots.map { "\($0.0),\($0.1)" }).count, 12)
    }

    func testOutputsBoundedAndGradientsMatchFiniteDifferences() {
        for (n, p, k) in [(3, 27, 2), (4, 4, 1), (2, 7, 2), (1, 3, 1)] {
            var rng = SeededRNG(seed: UInt64(n * 10 + p))
            let x = Tensor(shape: [3, n * k], values: (0..<(3 * n * k)).map { _ in Float(rng.uniform() * 4 - 2) })
            let layer = TwinLayer(blocks: k, width: n, parameters: p)
            let net = Network(layer, seed: 2)
            XCTAssertEqual(net.parameterCount, k * p)
            XCTAssertTrue(net.forward(x, training: true).array.allSatisfy { abs($0) <= 1 })
            quantumFDCheck(TwinLayer(blocks: k, width: n, parameters: p), input: x, h: 1e-3, tolerance: 2e-2)
        }
    }

    func testPatchTwinTrainableGradientsAndFixedHasNoParameters() {
        let x = Tensor(shape: [2, 2, 4, 4], values: (0..<64).map { Float(($0 * 37) % 11) / 5 - 1 })
        quantumFDCheck(PatchTwinLayer(channels: 2, parameters: 4, trainable: true, mean: [0.5, 0.4], std: [0.2, 0.3]),
                       input: x, h: 1e-3, stride: 3, tolerance: 2e-2)
        let fixed = Network(PatchTwinLayer(channels: 2, parameters: 4, trainable: false, mean: [0.5, 0.4], std: [0.2, 0.3]), seed: 1)
        XCTAssertEqual(fixed.parameterCount, 0)
        XCTAssertEqual(fixed.stateCount, 4)
        XCTAssertEqual(fixed.forward(x, training: false).shape, [2, 8, 2, 2])
    }
}
