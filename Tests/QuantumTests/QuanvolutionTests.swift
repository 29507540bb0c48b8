// Quanvolution: the mat-vec fast path equals gate-by-gate simulation of the same Circuit on every
// patch; output layout [N, 4C, H/2, W/2]; the circuit is fixed by its seed.

import Core
import XCTest
@testable import Quantum

final class QuanvolutionTests: XCTestCase {
    func testFastPathMatchesGateByGateSimulation() {
        var rng = TestRNG(s: 21)
        for (h, w) in [(6, 8), (7, 5)] {
            let n = 2, ch = 3
            let x = (0..<(n * ch * h * w)).map { _ in Float(rng.next()) }
            let qc = QuanvolutionCircuit(seed: 999, layers: 2, rotations: 4)
            let fast = x.withUnsafeBufferPointer {
                Quanvolution.apply(images: $0.baseAddress!, n: n, channels: ch, height: h, width: w, circuit: qc, threads: Threads(2))
            }
            let ref = Quanvolution.applyReference(images: x, n: n, channels: ch, height: h, width: w, circuit: qc)
            XCTAssertEqual(fast.count, n * 4 * ch * (h / 2) * (w / 2))
            XCTAssertEqual(ref.count, fast.count)
            for k in fast.indices { XCTAssertEqual(fast[k], ref[k], accuracy: 1e-6) }
            XCTAssertTrue(fast.contains { abs($0) > 0.05 })
        }
    }

    func testOutputChannelLayoutAndDenseCheck() {
        // One 1-channel 2x2 image: output channel q is <Z_q> of the dense reference.
        let qc = QuanvolutionCircuit(seed: 7)
        let px: [Float] = [0.1, 0.9, 0.4, 0.7]
        let out = px.withUnsafeBufferPointer {
            Quanvolution.apply(images: $0.baseAddress!, n: 1, channels: 1, height: 2, width: 2, circuit: qc, threads: Threads(2))
        }
        let z = Dense.expvals(qc.circuit, inputs: px.map(Double.init), weights: qc.weights)
        XCTAssertEqual(out.count, 4)
        for q in 0..<4 { XCTAssertEqual(Double(out[q]), z[q], accuracy: 1e-6) }
        // The embedding is RY(pi x): first gates read inputs with scale pi.
        XCTAssertEqual(qc.circuit.operations[0].kind, .ry)
        XCTAssertEqual(qc.circuit.operations[0].params[0], .input(0, scale: Double.pi))
        XCTAssertEqual(QuanvolutionCircuit(seed: 7).weights, qc.weights)
        XCTAssertNotEqual(QuanvolutionCircuit(seed: 8).weights, qc.weights)
    }
}
