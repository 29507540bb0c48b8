// Gradients on a sharded state (ShardedAdjoint.swift) against the single-process engine and
// PennyLane's fixtures, on 1, 2, 4 and 8 in-process ranks (threads with a mailbox, see
// ShardedStatevectorTests), and qubit remapping against gate-by-gate shard exchanges.

import Core
import Foundation
import XCTest
@testable import Quantum

final class ShardedAdjointTests: XCTestCase {
    /// Every rank's VJP for one circuit (identical on all ranks when correct).
    func shardedVJP(_ c: Circuit, _ x: [Double], _ w: [Double], _ g: [Double], ranks: Int,
                    _ method: DiffMethod) -> [Result<ShardedVJP, DeepfakeError>] {
        ThreadRanks(size: ranks).collect { comm in
            do {
                return .success(try ShardedGradients.vjp(circuit: c, inputs: x, weights: w, upstream: g,
                                                          method: method, communicator: comm, threads: .serial))
            } catch { return .failure(error as! DeepfakeError) }
        }
    }

    func assertClose(_ a: [Double], _ b: [Double], _ tol: Double, _ tag: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, tag, file: file, line: line)
        for (k, (u, v)) in zip(a, b).enumerated() where abs(u - v) > tol {
            XCTFail("\(tag) [\(k)]: \(u) vs \(v)", file: file, line: line); return
        }
    }

    func testAdjointAndParameterShiftEqualTheSingleProcessEngineOn1To8Ranks() throws {
        for (n, gates) in [(6, 60), (7, 45)] {
            for seed in 1...2 as ClosedRange<UInt64> {
                let c = randomCircuit(n: n, gates: gates, seed: seed * 31 + UInt64(n))
                var rng = TestRNG(s: seed + 5)
                let x = rng.angles(3), w = rng.angles(40), g = rng.angles(n)
                let ref = Gradients.vjp(circuit: c, inputs: x, batch: 1, weights: w, upstream: g, method: .adjoint)
                XCTAssertTrue(ref.weights.contains { abs($0) > 1e-3 }, "the reference gradient should not vanish")
                for ranks in [1, 2, 4, 8] {
                    for method in DiffMethod.allCases {
                        let tag = "n \(n) seed \(seed) ranks \(ranks) \(method)"
                        for (r, res) in shardedVJP(c, x, w, g, ranks: ranks, method).enumerated() {
                            let v = try res.get()
                            assertClose(v.expvals, ref.expvals, 1e-10, "\(tag) rank \(r) expvals")
                            assertClose(v.inputs, ref.inputs, 1e-10, "\(tag) rank \(r) inputs")
                            assertClose(v.weights, ref.weights, 1e-10, "\(tag) rank \(r) weights")
                            if ranks > 1 { XCTAssertGreaterThan(v.exchanges, 0, tag) } else { XCTAssertEqual(v.exchanges, 0, tag) }
                            if method == .parameterShift { XCTAssertGreaterThan(v.forwardRuns, 2 * c.nWeights / 2, tag) }
                        }
                    }
                }
            }
        }
    }

    func testShardedJacobiansMatchPennyLaneFixtures() throws {
        let cases = try FixtureTests.loadCases()
        var checked = 0
        for cs in cases {
            let c = Templates.layerCircuit(template: cs.template, wires: cs.wires, layers: cs.layers,
                                           features: cs.inputs.count, rotation: cs.rotation)
            for ranks in [1, 2, 4, 8] where cs.wires - ranks.trailingZeroBitCount >= 3 {
                for i in 0..<cs.wires {
                    var g = [Double](repeating: 0, count: cs.wires); g[i] = 1
                    let tag = "\(cs.template) n=\(cs.wires) L=\(cs.layers) \(cs.rotation) ranks \(ranks) row \(i)"
                    let v = try shardedVJP(c, cs.inputs, cs.weights, g, ranks: ranks, .adjoint)[0].get()
                    assertClose(v.expvals, cs.expvals, 1e-10, tag + " expvals")
                    assertClose(v.inputs, cs.jacInputs[i], 1e-10, tag + " d/dinputs")
                    assertClose(v.weights, cs.jacWeights[i], 1e-10, tag + " d/dweights")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 40, "fixtures with enough wires for 2+ ranks should be checked")
    }

    func testRemappingSendsLessThanGateByGateExchangesAndKeepsTheState() throws {
        var sel = Circuit(nQubits: 8, nInputs: 0, nWeights: 8 * 3 * 3)
        Templates.stronglyEntangling(&sel, layers: 3)
        let c = sel
        var rng = TestRNG(s: 9)
        let w = rng.angles(c.nWeights)
        let ref = Dense.state(c, inputs: [], weights: w)
        for ranks in [2, 4, 8] {
            let figures = ThreadRanks(size: ranks).collect { comm -> (Int, Int, Int, Int, Double) in
                let a = try! ShardedStatevector(qubits: 8, communicator: comm)
                let b = try! ShardedStatevector(qubits: 8, communicator: comm)
                a.apply(c, weights: w, remap: true)
                b.apply(c, weights: w, remap: false)
                let remapped = (a.exchanges, a.bytesSent)
                a.restoreLayout()
                let base = comm.rank << a.localQubits
                var diff = 0.0
                for k in 0..<a.re.count {
                    diff = max(diff, abs(a.re[k] - ref[base + k].re), abs(a.im[k] - ref[base + k].im),
                               abs(b.re[k] - ref[base + k].re), abs(b.im[k] - ref[base + k].im))
                }
                return (remapped.0, remapped.1, b.exchanges, b.bytesSent, diff)
            }
            for (r, f) in figures.enumerated() {
                XCTAssertLessThan(f.4, 1e-12, "ranks \(ranks) rank \(r): amplitudes")
                XCTAssertGreaterThan(f.0, 0, "ranks \(ranks): some remap swaps")
                XCTAssertLessThan(f.1, f.3, "ranks \(ranks) rank \(r): remapping should send fewer bytes (\(f.0) vs \(f.2) exchanges)")
            }
        }
    }
}
