// The blocked + remapped schedule (BlockedPlan.swift, BlockedExecution.swift) against the
// gate-by-gate reference (blockQubits 0): states, <Z>, adjoint gradients on random circuits with
// gates on high wires, and the counted passes.

import Core
@testable import Quantum
import XCTest

final class BlockedScheduleTests: XCTestCase {
    func settings(block: Int, threads: Int = 1, ampParallel: Int = 14) -> ExecutorSettings {
        ExecutorSettings(threads: Threads(threads), laneMaxQubits: 0, amplitudeParallelQubits: ampParallel, blockQubits: block)
    }

    /// Forward state, <Z> and adjoint gradients of `c` equal the gate-by-gate run to 1e-12.
    func assertMatchesReference(_ c: Circuit, block: Int, batch: Int, threads: Int = 1, seed: UInt64,
                                file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(s: seed)
        let w = rng.angles(c.nWeights), x = rng.angles(batch * c.nInputs), up = rng.angles(batch * c.nQubits)
        let ref = CircuitExecutor(circuit: c, settings: settings(block: 0, threads: threads))
        let blk = CircuitExecutor(circuit: c, settings: settings(block: block, threads: threads, ampParallel: 4))
        XCTAssertNotNil(blk.blockedPlan, file: file, line: line)
        let zr = ref.forward(inputs: x, batch: batch, weights: w), zb = blk.forward(inputs: x, batch: batch, weights: w)
        for k in zr.indices { XCTAssertEqual(zb[k], zr[k], accuracy: 1e-12, "n \(c.nQubits) block \(block) <Z> \(k)", file: file, line: line) }
        for b in Set([0, batch - 1]) {
            let (rr, ri) = ref.amplitudes(sample: b), (br, bi) = blk.amplitudes(sample: b)
            var diff = 0.0
            for k in rr.indices { diff = max(diff, abs(rr[k] - br[k]), abs(ri[k] - bi[k])) }
            XCTAssertLessThan(diff, 1e-12, "n \(c.nQubits) block \(block) sample \(b) amplitudes", file: file, line: line)
        }
        let gr = ref.backward(upstream: up), gb = blk.backward(upstream: up)
        for k in gr.weights.indices { XCTAssertEqual(gb.weights[k], gr.weights[k], accuracy: 1e-12, "weight \(k)", file: file, line: line) }
        for k in gr.inputs.indices { XCTAssertEqual(gb.inputs[k], gr.inputs[k], accuracy: 1e-12, "input \(k)", file: file, line: line) }
        XCTAssertTrue(zr.contains { abs($0) > 1e-3 }, "a trivial readout cannot tell the paths apart", file: file, line: line)
    }

    func testRandomCircuitsMatchGateByGate() {
        for n in 4...14 {
            let c = randomCircuit(n: n, gates: 60, seed: 1000 + UInt64(n))
            for block in [4, 5, 7, 10] where block < n {
                assertMatchesReference(c, block: block, batch: 1, seed: UInt64(n * 31 + block))
            }
            assertMatchesReference(c, block: 15, batch: 1, seed: UInt64(n))   // the whole state in one block
        }
    }

    func testBatchesAndThreadsMatchGateByGate() {
        let c = randomCircuit(n: 9, gates: 50, seed: 7)
        assertMatchesReference(c, block: 5, batch: 5, threads: 2, seed: 8)   // batch split over threads
        let d = randomCircuit(n: 13, gates: 50, seed: 9)
        assertMatchesReference(d, block: 6, batch: 1, threads: 2, seed: 10)  // blocks split over threads
    }

    func testStronglyEntanglingLayersMatchGateByGate() {
        for (n, block) in [(12, 5), (14, 6), (16, 8)] {
            let c = Templates.layerCircuit(template: .strong, wires: n, layers: 2, features: n)
            assertMatchesReference(c, block: block, batch: 1, threads: 2, seed: UInt64(n))
        }
    }

    /// Counted passes: the blocked run counts what it swept, far fewer than one per step.
    func testPassesAreCountedAndFewer() {
        var c = Circuit(nQubits: 16, nInputs: 0, nWeights: 48)
        Templates.stronglyEntangling(&c, layers: 1)
        let w = (0..<48).map { 0.1 * Double($0) }
        let ref = CircuitExecutor(circuit: c, settings: settings(block: 0))
        let blk = CircuitExecutor(circuit: c, settings: settings(block: 10))
        _ = ref.forward(inputs: [], batch: 1, weights: w); _ = blk.forward(inputs: [], batch: 1, weights: w)
        XCTAssertEqual(ref.counters.statePasses, 17)   // Rot(w0); 15 x Rot+CNOT; CNOT(15, 0)
        // The executor moves no data for a permutation (it gathers blocks instead), and a forward
        // starts from |0>: its first block pass runs on block 0 alone (the rest is zero and stays
        // zero), which is no sweep. So a forward sweeps once per later block pass.
        let plan = blk.blockedPlan!
        let blockPasses = plan.passes.filter { if case .block = $0 { return true } else { return false } }.count
        let forwardSweeps = blockPasses - 1
        XCTAssertEqual(blk.counters.statePasses, forwardSweeps)
        XCTAssertGreaterThan(forwardSweeps, 0)
        XCTAssertLessThanOrEqual(forwardSweeps, 3)
        _ = blk.backward(upstream: [Double](repeating: 0.5, count: 16))
        // The adjoint: the phi/lambda preparation plus the same sweeps backwards (rewinding the
        // first block pass, phi is nonzero in block 0 alone again).
        XCTAssertEqual(blk.counters.statePasses, 2 * forwardSweeps + 1)
        _ = blk.forward(inputs: [], batch: 3, weights: w)
        XCTAssertEqual(blk.counters.statePasses, 5 * forwardSweeps + 1)
    }

    /// The schedule for the 24-qubit layer the issue targets (planner only: no 256 MiB state).
    func testTwentyFourQubitLayerPlansInAtMostFivePasses() {
        var c = Circuit(nQubits: 24, nInputs: 0, nWeights: 72)
        Templates.stronglyEntangling(&c, layers: 1)
        let ex = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: .serial))
        XCTAssertEqual(ex.passes, 25)
        let plan = ex.blockedPlan!
        XCTAssertLessThanOrEqual(plan.passes.count, 5)
        // Every block pass's mixing bits are low in its layout, and permutations leave the
        // reserved low bits alone.
        for pass in plan.passes {
            switch pass {
            case let .permute(pairs):
                for (h, l) in pairs { XCTAssertGreaterThanOrEqual(min(h, l), BlockedPlan.reservedQubits) }
            case .exchange:
                XCTFail("a single-process plan has no rank bits to exchange")
            case let .block(steps, phys):
                for s in steps {
                    let t = BlockedPlan.mixingBit(ex.kinds[s], ex.bitA[s], ex.bitB[s], hasSlots: ex.program.stepHasSlots[s])
                    if t >= 0 { XCTAssertLessThan(phys[t], plan.blockQubits) }
                }
            }
        }
    }
}
