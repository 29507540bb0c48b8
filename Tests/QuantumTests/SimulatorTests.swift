// Simulator against the dense Kronecker-product reference: every gate, random circuits (fused
// and unfused, batched with different inputs), templates, and the amplitude-parallel path.

import XCTest
import Core
@testable import Quantum

final class SimulatorTests: XCTestCase {
    func assertState(_ ex: CircuitExecutor, sample: Int, _ ref: [C], tol: Double = 1e-12,
                     file: StaticString = #filePath, line: UInt = #line) {
        let a = ex.amplitudes(sample: sample)
        XCTAssertEqual(a.re.count, ref.count, file: file, line: line)
        var err = 0.0
        for k in ref.indices { err = max(err, abs(a.re[k] - ref[k].re), abs(a.im[k] - ref[k].im)) }
        XCTAssertLessThan(err, tol, file: file, line: line)
    }

    func testEveryGateMatchesDenseOn1To6Qubits() { forBothEngines { everyGate($0) } }

    func everyGate(_ settings: ExecutorSettings) {
        var rng = TestRNG(s: 11)
        for n in 1...6 {
            for kind in GateKind.allCases where kind.wireCount <= n {
                // A non-trivial entangled-free start: H and RY on every wire, then the gate.
                var c = Circuit(nQubits: n, nInputs: 0, nWeights: n + 3)
                for w in 0..<n { c.append(.h, wires: [w]); c.append(.ry, wires: [w], params: [.weight(w)]) }
                var wires = [rng.below(n)]
                if kind.wireCount == 2 { var b = rng.below(n - 1); if b >= wires[0] { b += 1 }; wires.append(b) }
                c.append(kind, wires: wires, params: (0..<kind.parameterCount).map { .weight(n + $0) })
                let w = rng.angles(n + 3)
                for fuse in [true, false] {
                    let ex = CircuitExecutor(circuit: c, settings: settings, fuse: fuse)
                    let z = ex.forward(inputs: [], batch: 1, weights: w)
                    assertState(ex, sample: 0, Dense.state(c, inputs: [], weights: w))
                    let zr = Dense.expvals(c, inputs: [], weights: w)
                    for i in 0..<n { XCTAssertEqual(z[i], zr[i], accuracy: 1e-12, "\(kind) n=\(n)") }
                }
            }
        }
    }

    func testRandomCircuitsBatchedFusedAndUnfused() { forBothEngines { randomCircuits($0) } }

    func randomCircuits(_ settings: ExecutorSettings) {
        for n in 1...6 {
            let c = randomCircuit(n: n, gates: 40, seed: UInt64(n))
            var rng = TestRNG(s: 99 + UInt64(n))
            let w = rng.angles(40)
            let batch = 11  // more than one lane chunk, with padding
            let x = rng.angles(batch * 3)
            for fuse in [true, false] {
                let ex = CircuitExecutor(circuit: c, settings: settings, fuse: fuse)
                let z = ex.forward(inputs: x, batch: batch, weights: w)
                for b in [0, 5, 8, 10] {
                    let xb = Array(x[(b * 3)..<(b * 3 + 3)])
                    assertState(ex, sample: b, Dense.state(c, inputs: xb, weights: w))
                    let zr = Dense.expvals(c, inputs: xb, weights: w)
                    for i in 0..<n { XCTAssertEqual(z[b * n + i], zr[i], accuracy: 1e-12) }
                }
            }
            // Fusion must reduce the passes when single-qubit gates repeat on a wire.
            XCTAssertLessThanOrEqual(CircuitExecutor(circuit: c, settings: .serial).passes, CircuitExecutor(circuit: c, settings: .serial, fuse: false).passes)
        }
    }

    func testTemplatesMatchDense() {
        var rng = TestRNG(s: 5)
        for n in 1...6 {
            for template in LayerTemplate.allCases {
                for rot in EmbeddingRotation.allCases {
                    let layers = 1 + rng.below(3), k = 1 + rng.below(n)
                    let c = Templates.layerCircuit(template: template, wires: n, layers: layers, features: k, rotation: rot)
                    let x = rng.angles(k), w = rng.angles(c.nWeights)
                    let ex = CircuitExecutor(circuit: c, settings: .serial)
                    _ = ex.forward(inputs: x, batch: 1, weights: w)
                    assertState(ex, sample: 0, Dense.state(c, inputs: x, weights: w))
                }
            }
        }
    }

    func testTemplateGateOrderFollowsPennyLane() {
        var c = Circuit(nQubits: 3, nInputs: 0, nWeights: 18)
        Templates.stronglyEntangling(&c, layers: 2)
        let cnots = c.operations.filter { $0.kind == .cnot }.map { $0.wires }
        XCTAssertEqual(cnots, [[0, 1], [1, 2], [2, 0], [0, 2], [1, 0], [2, 1]])
        // Fusion: layer 0 = Rot(w0); Rot(w1)+CNOT; Rot(w2)+CNOT; CNOT. Layer 1 = Rot(w0);
        // Rot(w2)+CNOT(0,2); Rot(w1); CNOT(1,0); CNOT(2,1). 9 passes for 12 operations.
        XCTAssertEqual(CircuitExecutor(circuit: c, settings: .serial).passes, 9)
        XCTAssertEqual(CircuitExecutor(circuit: c, settings: .serial, fuse: false).passes, 12)
        XCTAssertEqual(c.operations[1].params, [.weight(3), .weight(4), .weight(5)])
        var one = Circuit(nQubits: 1, nInputs: 0, nWeights: 6)
        Templates.stronglyEntangling(&one, layers: 2)
        XCTAssertEqual(one.operations.map { $0.kind }, [.rot, .rot])
        var b2 = Circuit(nQubits: 2, nInputs: 0, nWeights: 4)
        Templates.basicEntangler(&b2, layers: 2)
        XCTAssertEqual(b2.operations.filter { $0.kind == .cnot }.map { $0.wires }, [[0, 1], [0, 1]])
        var b4 = Circuit(nQubits: 4, nInputs: 0, nWeights: 4)
        Templates.basicEntangler(&b4, layers: 1)
        XCTAssertEqual(b4.operations.filter { $0.kind == .cnot }.map { $0.wires }, [[0, 1], [1, 2], [2, 3], [3, 0]])
        var e = Circuit(nQubits: 4, nInputs: 2, nWeights: 0)
        Templates.angleEmbedding(&e, features: 2, rotation: .z)
        XCTAssertEqual(e.operations.map { $0.wires }, [[0], [1]])
        XCTAssertEqual(e.operations.map { $0.kind }, [.rz, .rz])
    }

    func testRandomLayerIsSeededAndMatchesDense() {
        var a = Circuit(nQubits: 4, nInputs: 0, nWeights: 8)
        Templates.randomLayer(&a, layers: 2, rotations: 4, seed: 42)
        var b = Circuit(nQubits: 4, nInputs: 0, nWeights: 8)
        Templates.randomLayer(&b, layers: 2, rotations: 4, seed: 42)
        var d = Circuit(nQubits: 4, nInputs: 0, nWeights: 8)
        Templates.randomLayer(&d, layers: 2, rotations: 4, seed: 43)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, d)
        XCTAssertEqual(a.operations.filter { $0.kind.parameterCount == 1 }.count, 8)
        let w = Templates.randomLayerWeights(layers: 2, rotations: 4, seed: 42)
        XCTAssertEqual(w, Templates.randomLayerWeights(layers: 2, rotations: 4, seed: 42))
        XCTAssertTrue(w.allSatisfy { $0 >= 0 && $0 < 2 * Double.pi })
        let ex = CircuitExecutor(circuit: a, settings: .serial)
        _ = ex.forward(inputs: [], batch: 1, weights: w)
        assertState(ex, sample: 0, Dense.state(a, inputs: [], weights: w))
    }

    func testEmptyBatchAndEmptyCircuit() {
        let c = Templates.layerCircuit(template: .strong, wires: 3, layers: 1, features: 3)
        let ex = CircuitExecutor(circuit: c, settings: .serial)
        XCTAssertEqual(ex.forward(inputs: [], batch: 0, weights: [Double](repeating: 0.1, count: 9)), [])
        XCTAssertEqual(ex.backward(upstream: []).inputs, [])
        let empty = CircuitExecutor(circuit: Circuit(nQubits: 2), settings: .serial)
        XCTAssertEqual(empty.forward(inputs: [], batch: 2, weights: []), [1, 1, 1, 1])
    }

    func testAmplitudeParallelPathMatchesSerial() {
        let c = randomCircuit(n: 17, gates: 24, seed: 77)  // 2^17 amplitudes: several chunks
        var rng = TestRNG(s: 3)
        let w = rng.angles(40), x = rng.angles(3)
        let par = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: Threads(2), amplitudeParallelQubits: 12))
        let zp = par.forward(inputs: x, batch: 1, weights: w)
        let gp = par.backward(upstream: rng.angles(17))
        let ser = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: Threads(2), amplitudeParallelQubits: 99))
        let zs = ser.forward(inputs: x, batch: 1, weights: w)
        var rng2 = TestRNG(s: 3); _ = rng2.angles(43)
        let gs = ser.backward(upstream: rng2.angles(17))
        for i in 0..<17 { XCTAssertEqual(zp[i], zs[i], accuracy: 1e-12) }
        for j in 0..<40 { XCTAssertEqual(gp.weights[j], gs.weights[j], accuracy: 1e-10) }
        for j in 0..<3 { XCTAssertEqual(gp.inputs[j], gs.inputs[j], accuracy: 1e-10) }
        XCTAssertTrue(zs.contains { abs($0) > 1e-3 })
    }
}
