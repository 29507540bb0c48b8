// Gradients: adjoint = parameter-shift = central finite differences on random circuits with every
// gate kind (CRX uses the four-term rule), scaled inputs, batches and upstream vectors.

import XCTest
@testable import Quantum

final class GradientTests: XCTestCase {
    /// f = sum_{b,i} g[b,i] <Z_i>_b by the dense reference.
    func loss(_ c: Circuit, _ x: [Double], _ w: [Double], _ g: [Double], batch: Int) -> Double {
        var f = 0.0
        for b in 0..<batch {
            let z = Dense.expvals(c, inputs: Array(x[(b * c.nInputs)..<((b + 1) * c.nInputs)]), weights: w)
            for i in 0..<c.nQubits { f += g[b * c.nQubits + i] * z[i] }
        }
        return f
    }

    func testAdjointEqualsParameterShiftEqualsFiniteDifferences() { forBothEngines { adjointShiftFD($0) } }

    func adjointShiftFD(_ settings: ExecutorSettings) {
        for n in 1...4 {
            let c = randomCircuit(n: n, gates: 14, seed: 1000 + UInt64(n))
            var rng = TestRNG(s: 7 + UInt64(n))
            let batch = 9  // two lane chunks, the second padded
            let x = rng.angles(batch * 3), w = rng.angles(40), g = rng.angles(batch * n)
            let adj = Gradients.vjp(circuit: c, inputs: x, batch: batch, weights: w, upstream: g, method: .adjoint, settings: settings)
            let ps = Gradients.vjp(circuit: c, inputs: x, batch: batch, weights: w, upstream: g, method: .parameterShift, settings: settings)
            let h = 1e-5
            for j in stride(from: 0, to: 40, by: 3) {
                var wp = w, wm = w
                wp[j] += h; wm[j] -= h
                let fd = (loss(c, x, wp, g, batch: batch) - loss(c, x, wm, g, batch: batch)) / (2 * h)
                XCTAssertEqual(adj.weights[j], fd, accuracy: 1e-7, "n=\(n) weight \(j)")
                XCTAssertEqual(ps.weights[j], adj.weights[j], accuracy: 1e-11, "n=\(n) weight \(j)")
            }
            for j in 0..<(batch * 3) {
                var xp = x, xm = x
                xp[j] += h; xm[j] -= h
                let fd = (loss(c, xp, w, g, batch: batch) - loss(c, xm, w, g, batch: batch)) / (2 * h)
                XCTAssertEqual(adj.inputs[j], fd, accuracy: 1e-7, "n=\(n) input \(j)")
                XCTAssertEqual(ps.inputs[j], adj.inputs[j], accuracy: 1e-11, "n=\(n) input \(j)")
            }
            XCTAssertTrue(adj.weights.contains { abs($0) > 1e-3 }, "gradient should not vanish")
        }
    }

    func testCRXFourTermRuleAndPhaseShift() {
        var c = Circuit(nQubits: 2, nInputs: 0, nWeights: 4)
        c.append(.h, wires: [0]); c.append(.ry, wires: [1], params: [.weight(0)])
        c.append(.crx, wires: [0, 1], params: [.weight(1)])
        c.append(.phaseShift, wires: [1], params: [.weight(2)])
        c.append(.crx, wires: [1, 0], params: [.weight(3)])
        let w = [0.3, 1.1, -0.7, 2.2], g = [0.4, -1.3]
        let adj = Gradients.vjp(circuit: c, inputs: [], batch: 1, weights: w, upstream: g, method: .adjoint)
        let ps = Gradients.vjp(circuit: c, inputs: [], batch: 1, weights: w, upstream: g, method: .parameterShift)
        for j in 0..<4 {
            var wp = w, wm = w
            wp[j] += 1e-5; wm[j] -= 1e-5
            let fd = (loss(c, [], wp, g, batch: 1) - loss(c, [], wm, g, batch: 1)) / 2e-5
            XCTAssertEqual(adj.weights[j], fd, accuracy: 1e-8)
            XCTAssertEqual(ps.weights[j], fd, accuracy: 1e-8)
        }
    }

    func testJacobianRowsAreVJPsWithUnitVectors() {
        let c = Templates.layerCircuit(template: .strong, wires: 3, layers: 2, features: 2, rotation: .y)
        var rng = TestRNG(s: 4)
        let x = rng.angles(2), w = rng.angles(c.nWeights)
        for method in DiffMethod.allCases {
            let j = Gradients.jacobian(circuit: c, inputs: x, weights: w, method: method)
            XCTAssertEqual(j.inputs.count, 3 * 2)
            XCTAssertEqual(j.weights.count, 3 * c.nWeights)
            let h = 1e-6
            for k in 0..<2 {
                var xp = x, xm = x
                xp[k] += h; xm[k] -= h
                let zp = Dense.expvals(c, inputs: xp, weights: w), zm = Dense.expvals(c, inputs: xm, weights: w)
                for i in 0..<3 { XCTAssertEqual(j.inputs[i * 2 + k], (zp[i] - zm[i]) / (2 * h), accuracy: 1e-7) }
            }
        }
    }
}
