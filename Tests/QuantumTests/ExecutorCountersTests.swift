// The executor's backward honours the method it is given, and says so: parameter-shift runs the
// shifted circuits (counted) and matches adjoint to 1e-10; adjoint runs none. Its memory estimate
// for a batch and method equals the bytes it actually reserves over a forward + backward.

import XCTest
import Core
@testable import Quantum

final class ExecutorCountersTests: XCTestCase {
    let circuit = Templates.layerCircuit(template: .strong, wires: 4, layers: 2, features: 4)

    func step(_ ex: CircuitExecutor, batch: Int, method: DiffMethod, seed: UInt64 = 3) -> (inputs: [Double], weights: [Double]) {
        var rng = TestRNG(s: seed)
        _ = ex.forward(inputs: rng.angles(batch * 4), batch: batch, weights: rng.angles(circuit.nWeights))
        return ex.backward(upstream: rng.angles(batch * 4), method: method)
    }

    func testParameterShiftRunsTheShiftRuleAndMatchesAdjoint() {
        forBothEngines { settings in
            let batch = 9  // three lane chunks, the last padded
            let adj = CircuitExecutor(circuit: circuit, settings: settings)
            let ps = CircuitExecutor(circuit: circuit, settings: settings)
            let ga = step(adj, batch: batch, method: .adjoint), gp = step(ps, batch: batch, method: .parameterShift)
            for j in 0..<ga.weights.count { XCTAssertEqual(gp.weights[j], ga.weights[j], accuracy: 1e-10, "weight \(j)") }
            for j in 0..<ga.inputs.count { XCTAssertEqual(gp.inputs[j], ga.inputs[j], accuracy: 1e-10, "input \(j)") }
            XCTAssertTrue(ga.weights.contains { abs($0) > 1e-3 })
            // 4 input + 24 weight angles, two shifted circuits each, per sample; no adjoint sweep.
            // Passes over the state: counted on the shard engine only (4 qubits: one block pass per
            // circuit; the adjoint adds its phi/lambda preparation); the shifted circuits' passes
            // are the shift executor's.
            let shard = settings.laneMaxQubits == 0
            XCTAssertEqual(ps.counters, CircuitCounters(forward: batch, shifted: batch * 2 * 28, adjointSweeps: 0, statePasses: shard ? batch : 0))
            XCTAssertEqual(adj.counters, CircuitCounters(forward: batch, shifted: 0, adjointSweeps: batch, statePasses: shard ? 3 * batch : 0))
            XCTAssertEqual(ps.counters.evaluations, batch * (1 + 2 * 28))
        }
    }

    func testStateBytesEstimateEqualsWhatForwardAndBackwardReserve() {
        for settings in [ExecutorSettings(threads: Threads(2)), ExecutorSettings(threads: Threads(3), laneMaxQubits: 0)] {
            for method in DiffMethod.allCases {
                for batch in [1, 5, 8] {
                    let ex = CircuitExecutor(circuit: circuit, settings: settings)
                    let estimate = ex.stateBytes(batch: batch, method: method)
                    _ = step(ex, batch: batch, method: method)
                    XCTAssertEqual(ex.reservedBytes, estimate, "\(method) batch \(batch) lanes<=\(settings.laneMaxQubits)")
                    // Independent floor: one complex-double state of 2^4 amplitudes per sample.
                    XCTAssertGreaterThanOrEqual(estimate.persistent, 16 * 16 * batch)
                    if method == .parameterShift {
                        // ...plus the shifted batch: 2 * 28 states per sample.
                        XCTAssertGreaterThanOrEqual(estimate.persistent, 16 * 16 * batch * (1 + 56))
                    } else {
                        XCTAssertGreaterThan(estimate.workspace, 0)
                    }
                }
            }
        }
    }

    /// The adjoint keeps its worker buffers for the next backward (no page faults each step): a
    /// second step on the same executor, with other angles, must give exactly what a fresh
    /// executor gives (nothing left in a reused buffer leaks into the next sweep), on one large
    /// amplitude-parallel state (the blocked schedule) and on a batch split over threads, and the
    /// workspace it reports must not grow with the steps.
    func testReusedAdjointBuffersGiveTheSameGradientsAsFreshOnes() {
        let big = Templates.layerCircuit(template: .strong, wires: 16, layers: 1, features: 16)   // 2 blocks of 2^15
        for (c, batch) in [(big, 1), (circuit, 6)] {
            let settings = ExecutorSettings(threads: Threads(2), laneMaxQubits: 0)
            let reused = CircuitExecutor(circuit: c, settings: settings)
            func run(_ ex: CircuitExecutor, seed: UInt64) -> [Double] {
                var rng = TestRNG(s: seed)
                _ = ex.forward(inputs: rng.angles(batch * c.nInputs), batch: batch, weights: rng.angles(c.nWeights))
                let g = ex.backward(upstream: rng.angles(batch * c.nQubits), method: .adjoint)
                return g.inputs + g.weights
            }
            _ = run(reused, seed: 1)
            let workspace = reused.reservedBytes.workspace
            for seed: UInt64 in [2, 3] {
                XCTAssertEqual(run(reused, seed: seed), run(CircuitExecutor(circuit: c, settings: settings), seed: seed),
                               "\(c.nQubits) qubits, batch \(batch), seed \(seed)")
            }
            XCTAssertEqual(reused.reservedBytes.workspace, workspace)
        }
    }
}
