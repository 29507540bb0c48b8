// HQNN: forward shapes over nQubits x k, finite-difference gradients through the quantum head
// (fc -> BatchNorm -> tanh -> k circuits -> BatchNorm -> head), torchvision parameter names, and the records' view.

import XCTest
import Core
import NN
import Quantum
import TestSupport
@testable import Models

/// Central-difference check of dL/dx and dL/dtheta for L = sum y * r (Double accumulation).
/// Checks every `stride`-th input and parameter; returns the number of comparisons made.
@discardableResult
func quantumFDCheck(_ layer: Layer, input x: Tensor, seed: UInt64 = 5, h: Float = 1e-2, stride: Int = 1,
                    tolerance: Double = 3e-3, checkInputs: Bool = true,
                    file: StaticString = #filePath, line: UInt = #line) -> Int {
    let net = Network(layer, seed: seed)
    let y0 = net.forward(x, training: true)
    var rng = SeededRNG(seed: seed &+ 9)
    let r = Tensor(shape: y0.shape, values: (0..<y0.count).map { _ in Float(rng.uniform() * 2 - 1) })
    let result = finiteDifferenceCheck(net, input: x, probe: r, h: h,
                                       inputs: checkInputs ? Array(Swift.stride(from: 0, to: x.count, by: stride)) : [],
                                       parameters: Array(Swift.stride(from: 0, to: net.parameterCount, by: stride)),
                                       tolerance: .scaled(tolerance), file: file, line: line)
    let gw = result.parameterGradients
    if !gw.isEmpty { XCTAssertTrue(gw.contains { abs($0) > 1e-3 }, "all parameter gradients ~0", file: file, line: line) }
    return result.checks
}

final class HQNNTests: XCTestCase {
    func testForwardShapesForQubitsAndCircuitCounts() {
        var rng = SeededRNG(seed: 2)
        let x = Tensor(shape: [2, 3, 32, 32], values: (0..<(2 * 3 * 32 * 32)).map { _ in Float(rng.normal()) })
        for n in [1, 2, 4, 6] {
            for k in 1...3 {
                let m = HQNNModel(qubits: n, circuits: k, layers: 1, template: n % 4 == 0 ? .basic : .strong, diffMethod: .adjoint, seed: 1)
                let y = m.forward(x, training: false)
                XCTAssertEqual(y.shape, [2, 2], "n \(n) k \(k)")
                XCTAssertTrue(y.array.allSatisfy(\.isFinite))
                XCTAssertEqual(m.network.entry(named: "fc.weight")?.shape, [n * k, 512])
                XCTAssertEqual(m.network.entry(named: "qlayer.weights")?.shape,
                               [k] + (n % 4 == 0 ? [1, n] : [1, n, 3]))
                XCTAssertEqual(m.network.entry(named: "head.weight")?.shape, [2, n * k])
            }
        }
    }

    func testCNNBodyHasTorchvisionNamesOfTheClassicModel() {
        let hqnn = HQNNModel(qubits: 4, circuits: 2, layers: 1, template: .strong, diffMethod: .adjoint, seed: 3)
        let classic = ClassicResNet18(seed: 3)
        let body = classic.network.entries.filter { !$0.name.hasPrefix("fc.") }
        for e in body {
            XCTAssertEqual(hqnn.network.entry(named: e.name)?.shape, e.shape, e.name)
        }
        XCTAssertNotNil(hqnn.network.entry(named: "layer4.1.bn2.running_var"))
    }

    func testHeadGradientsMatchFiniteDifferences() {
        for (template, n, k, method) in [(LayerTemplate.strong, 3, 2, DiffMethod.adjoint), (.basic, 2, 1, .adjoint),
                                          (.strong, 1, 3, .adjoint), (.strong, 3, 2, .parameterShift)] {
            let head = Sequential(HQNNModel.head(inputs: 5, middle: QuantumLayer(circuits: k, qubits: n, layers: 2, template: template,
                                                                                          diffMethod: method, executor: .serial),
                                                 features: n * k, classes: 2))
            var rng = SeededRNG(seed: 4)
            let x = Tensor(shape: [6, 5], values: (0..<30).map { _ in Float(rng.uniform() * 2 - 1) })
            // Float32 forward; BatchNorm over a batch of 6 is strongly curved, hence the small step.
            let checks = quantumFDCheck(head, input: x, h: 3e-3, stride: 2, tolerance: 1e-2)
            XCTAssertGreaterThan(checks, 10)
        }
    }

    func testDenseOutputsAreNormalisedBeforeTheEmbeddingSoTheyCannotSaturate() {
        // Without fcbn, Adam drifted the fc outputs to |z| ~ 3 where tanh is flat and the model
        // stopped learning. With it, scaling fc by any factor leaves a training-mode forward unchanged.
        let m = HQNNModel(qubits: 3, circuits: 2, layers: 1, template: .strong, diffMethod: .adjoint, seed: 5, stem: .highResolution)
        var rng = SeededRNG(seed: 6)
        let x = Tensor(shape: [4, 3, 16, 16], values: (0..<(4 * 3 * 16 * 16)).map { _ in Float(rng.normal()) })
        let before = m.forward(x, training: true).array
        for name in ["fc.weight", "fc.bias"] {
            let p = m.network.values(named: name)!
            for i in 0..<p.count { p[i] *= 40 }
        }
        let after = m.forward(x, training: true).array
        for (a, b) in zip(before, after) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        XCTAssertNotNil(m.network.entry(named: "qbn.running_var"))
    }

    func testScaledTanhIsBoundedWithExactGradient() {
        let x = Tensor(shape: [2, 4], values: [-30, -1, -0.1, 0, 0.1, 1, 3, 30])
        let y = ScaledTanh(scale: Float.pi).forward(x, training: false)
        XCTAssertTrue(y.array.allSatisfy { abs($0) <= Float.pi })
        XCTAssertEqual(y[5], Float.pi * tanh(1), accuracy: 1e-6)
        quantumFDCheck(ScaledTanh(scale: 2), input: Tensor(shape: [2, 3], values: [-1, -0.5, 0, 0.3, 0.8, 1.5]),
                       h: 1e-3, tolerance: 2e-2)
    }

    func testQuantumPartsReportCurrentWeightsPerCopy() {
        let m = HQNNModel(qubits: 3, circuits: 2, layers: 2, template: .strong, diffMethod: .adjoint, seed: 7)
        let parts = m.quantumParts
        XCTAssertEqual(parts.count, 1)
        XCTAssertEqual(parts[0].copies, 2)
        let w = m.network.values(named: "qlayer.weights")!
        XCTAssertEqual(parts[0].weights(1), (18..<36).map { Double(w[$0]) })
        w[18] = 0.25
        XCTAssertEqual(parts[0].weights(1)[0], 0.25)
        XCTAssertTrue(HQNNModel(qubits: 3, circuits: 2, layers: 2, template: .strong, diffMethod: .adjoint, classicalTwin: true).quantumParts.isEmpty)
    }
}
