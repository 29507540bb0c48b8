// QuantumLayer: finite-difference gradients (inputs and weights) through a Network, output equal
// to the Quantum simulator per circuit, PennyLane's weight shape in the registry, and the
// configured diffMethod actually running (parameter-shift: shifted circuits counted, same gradients).

import XCTest
import Core
import NN
import Quantum
import TestSupport
@testable import Models

final class QuantumLayerTests: XCTestCase {
    func checkFD(_ template: LayerTemplate, rotation: EmbeddingRotation, method: DiffMethod = .adjoint) {
        let layer = QuantumLayer(circuits: 2, qubits: 3, layers: 2, template: template, rotation: rotation,
                                 diffMethod: method, executor: .serial)
        let net = Network(layer, seed: 3)
        var rng = SeededRNG(seed: 11)
        let x = Tensor(shape: [4, 6], values: (0..<24).map { _ in Float(rng.uniform() * 2 - 1) })
        let r = Tensor(shape: [4, 6], values: (0..<24).map { _ in Float(rng.uniform() * 2 - 1) })
        let gw = finiteDifferenceCheck(net, input: x, probe: r, h: 1e-2, inputs: Array(stride(from: 0, to: 24, by: 5)),
                                       parameters: Array(stride(from: 0, to: net.parameterCount, by: 7)),
                                       tolerance: .mixed(absolute: 2e-3, relative: 0)).parameterGradients
        XCTAssertTrue(gw.contains { abs($0) > 1e-2 })
    }

    func testFiniteDifferencesStrong() { checkFD(.strong, rotation: .x) }
    func testFiniteDifferencesBasic() { checkFD(.basic, rotation: .y) }
    func testFiniteDifferencesParameterShift() { checkFD(.strong, rotation: .x, method: .parameterShift) }

    /// One training step (forward with training: true, backward) of a layer of 2 circuits x 3
    /// qubits x 2 strong layers on a batch of 4, by `method`, with the same weights and inputs.
    func trainingStep(_ method: DiffMethod) -> (layer: QuantumLayer, dx: [Float], gw: [Float]) {
        let layer = QuantumLayer(circuits: 2, qubits: 3, layers: 2, template: .strong, diffMethod: method,
                                 executor: ExecutorSettings(threads: Threads(2)))
        let net = Network(layer, seed: 3)
        var rng = SeededRNG(seed: 11)
        let x = Tensor(shape: [4, 6], values: (0..<24).map { _ in Float(rng.uniform() * 2 - 1) })
        let r = Tensor(shape: [4, 6], values: (0..<24).map { _ in Float(rng.uniform() * 2 - 1) })
        _ = net.forward(x, training: true)
        net.zeroGradients()
        let dx = net.backward(r).array
        return (layer, dx, Array(net.gradients))
    }

    /// Issue 8, defect 1: diffType parameter-shift was recorded but adjoint ran.
    func testParameterShiftLayerRunsTheShiftRuleWithAdjointsGradients() {
        let ps = trainingStep(.parameterShift), adj = trainingStep(.adjoint)
        // Float32 storage: the two methods agree to 1e-10 in double (QuantumTests), to rounding here.
        for i in 0..<adj.dx.count { XCTAssertEqual(ps.dx[i], adj.dx[i], accuracy: 1e-6 * max(1, abs(adj.dx[i])), "input \(i)") }
        for j in 0..<adj.gw.count { XCTAssertEqual(ps.gw[j], adj.gw[j], accuracy: 1e-6 * max(1, abs(adj.gw[j])), "weight \(j)") }
        XCTAssertTrue(adj.gw.contains { abs($0) > 1e-2 })
        // 2 circuits x 4 samples; parameter-shift: 2 shifted circuits per angle (3 inputs + 18 weights).
        XCTAssertEqual(ps.layer.counters, CircuitCounters(forward: 8, shifted: 8 * 2 * 21, adjointSweeps: 0))
        XCTAssertEqual(adj.layer.counters, CircuitCounters(forward: 8, shifted: 0, adjointSweeps: 8))
        XCTAssertEqual(ps.layer.firstTrainingStep, MeasuredStep(images: 4, counters: ps.layer.counters))
        XCTAssertEqual(adj.layer.firstTrainingStep, MeasuredStep(images: 4, counters: adj.layer.counters))
    }

    /// The layer's memory estimate (its executors' sizing rules) equals what a step reserved.
    func testStateBytesEstimateMatchesReservedAfterAStep() {
        for method in DiffMethod.allCases {
            let step = trainingStep(method)
            XCTAssertEqual(step.layer.reservedBytes, step.layer.stateBytes(batch: 4), "\(method)")
        }
    }

    func testOutputMatchesSimulatorAndWeightShape() {
        let layer = QuantumLayer(circuits: 2, qubits: 4, layers: 1, template: .strong, diffMethod: .adjoint, executor: .serial)
        let net = Network(layer, seed: 5)
        XCTAssertEqual(net.entry(named: "weights")?.shape, [2, 1, 4, 3])
        let x = Tensor(shape: [1, 8], values: [0.1, 0.2, 0.3, 0.4, -0.5, 0.6, -0.7, 0.8])
        let y = net.forward(x, training: false)
        for c in 0..<2 {
            let w = (0..<12).map { Double(net.parameters[c * 12 + $0]) }
            let z = CircuitExecutor(circuit: layer.circuit, settings: .serial).forward(inputs: (0..<4).map { Double(x[c * 4 + $0]) }, batch: 1, weights: w)
            for i in 0..<4 { XCTAssertEqual(Double(y[c * 4 + i]), z[i], accuracy: 1e-6) }
        }
        XCTAssertEqual(layer.resources.qubits, 4)
        XCTAssertEqual(layer.resources.gateCounts["CNOT"], 4)
    }
}
