// Gradients on a sharded state (ShardedAdjoint.swift) against the single-process engine and
// PennyLane's fixtures, on 1, 2, 4 and 8 in-process ranks (threads with a mailbox, see
// ShardedStatevectorTests), on the blocked schedule with whole-shard blocks and with small blocks
// (permutation passes inside each shard), its counted passes and exchanges, and qubit remapping
// against gate-by-gate shard exchanges.

import Core
import Foundation
import XCTest
@testable import Quantum

final class ShardedAdjointTests: XCTestCase {
    /// Every rank's VJP for one circuit (identical on all ranks when correct).
    func shardedVJP(_ c: Circuit, _ x: [Double], _ w: [Double], _ g: [Double], ranks: Int,
                    _ method: DiffMethod, block: Int = ExecutorSettings.defaultBlockQubits) -> [Result<ShardedVJP, DeepfakeError>] {
        ThreadRanks(size: ranks).collect { comm in
            do {
                return .success(try ShardedGradients.vjp(circuit: c, inputs: x, weights: w, upstream: g,
                                                          method: method, communicator: comm, threads: .serial, blockQubits: block))
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
                      for block in [ExecutorSettings.defaultBlockQubits, 3] {
                        let tag = "n \(n) seed \(seed) ranks \(ranks) \(method) block \(block)"
                        for (r, res) in shardedVJP(c, x, w, g, ranks: ranks, method, block: block).enumerated() {
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
    }

    /// One ShardedCircuit evaluating sample after sample, as a training layer does: its states
    /// are allocated once and reset per sample (phi run forward, rewound by the adjoint, left
    /// in a non-canonical layout; lambda rewritten), and every sample's values and gradients
    /// equal the single-process engine's, whatever ran before it.
    func testOneShardedCircuitKeepsItsStatesAcrossSamples() throws {
        let c = randomCircuit(n: 7, gates: 60, seed: 77)
        var rng = TestRNG(s: 17)
        let samples = (0..<4).map { _ in (x: rng.angles(3), g: rng.angles(7)) }
        let w = rng.angles(40)
        let methods: [DiffMethod] = [.adjoint, .parameterShift, .adjoint, .adjoint]
        for ranks in [1, 2, 4] {
            for block in [ExecutorSettings.defaultBlockQubits, BlockedPlan.reservedQubits + 1] {
                let outcome = ThreadRanks(size: ranks).collect { comm -> (vjps: [ShardedVJP], forwards: [[Double]], moved: Bool) in
                    let sc = try! ShardedCircuit(circuit: c, communicator: comm, blockQubits: block)
                    let address = sc.phi.re.withUnsafeBufferPointer { $0.baseAddress }
                    var vjps: [ShardedVJP] = [], forwards: [[Double]] = []
                    for (k, s) in samples.enumerated() {
                        vjps.append(sc.vjp(inputs: s.x, weights: w, upstream: s.g, method: methods[k]))
                        forwards.append(sc.forward(inputs: samples[(k + 1) % samples.count].x, weights: w))
                    }
                    return (vjps, forwards, sc.phi.re.withUnsafeBufferPointer { $0.baseAddress } != address)
                }
                for (r, o) in outcome.enumerated() {
                    XCTAssertFalse(o.moved, "phi is allocated once")
                    for (k, s) in samples.enumerated() {
                        let tag = "ranks \(ranks) block \(block) rank \(r) sample \(k) \(methods[k])"
                        let ref = Gradients.vjp(circuit: c, inputs: s.x, batch: 1, weights: w, upstream: s.g, method: .adjoint)
                        assertClose(o.vjps[k].expvals, ref.expvals, 1e-10, tag + " expvals")
                        assertClose(o.vjps[k].inputs, ref.inputs, 1e-10, tag + " inputs")
                        assertClose(o.vjps[k].weights, ref.weights, 1e-10, tag + " weights")
                        let next = samples[(k + 1) % samples.count].x
                        let fwd = Gradients.vjp(circuit: c, inputs: next, batch: 1, weights: w, upstream: s.g, method: .adjoint)
                        assertClose(o.forwards[k], fwd.expvals, 1e-10, tag + " forward after it")
                    }
                    // The counts are per call: two adjoint calls on different samples send the same.
                    XCTAssertEqual(o.vjps[2].exchanges, o.vjps[3].exchanges, "ranks \(ranks)")
                    XCTAssertEqual(o.vjps[2].statePasses, o.vjps[3].statePasses, "ranks \(ranks)")
                    if ranks > 1 { XCTAssertGreaterThan(o.vjps[2].exchanges, 0) }
                }
            }
        }
    }

    /// From |0>, the exchange right after the first block pass (when only block 0 of rank 0 is
    /// nonzero) and its rewind in the adjoint (whose final block pass reads that block alone) move
    /// only that block's amplitudes. Where the plan has that shape (a StronglyEntangling layer:
    /// one block pass from |0>, an exchange, the rest) forwards, values and gradients still equal
    /// the single-process engine's (1e-10) on 2, 4 and 8 ranks, over samples on one
    /// ShardedCircuit, and fewer bytes move than a half-shard exchange per counted exchange.
    func testTheExchangesNextToTheFirstBlockMoveOnlyThatBlock() throws {
        let n = 12
        let c = Templates.layerCircuit(template: .strong, wires: n, layers: 1, features: n)
        var rng = TestRNG(s: 29)
        let w = rng.angles(c.nWeights), samples = (0..<2).map { _ in (x: rng.angles(n), g: rng.angles(n)) }
        var trimmed = 0
        for ranks in [2, 4, 8] {
            for block in [7, 8, 9] {
                let outcome = ThreadRanks(size: ranks).collect { comm -> ([ShardedVJP], [[Double]]) in
                    let sc = try! ShardedCircuit(circuit: c, communicator: comm, blockQubits: block)
                    let vjps = samples.map { sc.vjp(inputs: $0.x, weights: w, upstream: $0.g, method: .adjoint) }
                    return (vjps, samples.map { sc.forward(inputs: $0.x, weights: w) })
                }
                let halfShard = 16 * ((1 << n) / ranks) / 2
                for (r, (vjps, forwards)) in outcome.enumerated() {
                    for (k, s) in samples.enumerated() {
                        let tag = "ranks \(ranks) block \(block) rank \(r) sample \(k)"
                        let ref = Gradients.vjp(circuit: c, inputs: s.x, batch: 1, weights: w, upstream: s.g, method: .adjoint)
                        assertClose(forwards[k], ref.expvals, 1e-10, tag + " forward")
                        assertClose(vjps[k].expvals, ref.expvals, 1e-10, tag + " expvals")
                        assertClose(vjps[k].inputs, ref.inputs, 1e-10, tag + " inputs")
                        assertClose(vjps[k].weights, ref.weights, 1e-10, tag + " weights")
                    }
                    if r == 0 && vjps[1].bytesSent < vjps[1].exchanges * halfShard { trimmed += 1 }
                }
            }
        }
        XCTAssertGreaterThan(trimmed, 0, "some plan should have an exchange right after its first block pass")
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

    /// Both templates on 10 wires, blocks of 2^4 amplitudes (so every rank count both exchanges
    /// and permutes), against the single-process engine: values and both Jacobians by the
    /// adjoint and by parameter shift.
    func testTemplatesOnSmallBlocksEqualTheSingleProcessEngine() throws {
        for template in [LayerTemplate.strong, .basic] {
            let n = 10
            let c = Templates.layerCircuit(template: template, wires: n, layers: 2, features: n)
            var rng = TestRNG(s: 17)
            let x = rng.angles(n), w = rng.angles(c.nWeights), g = rng.angles(n)
            let ref = Gradients.vjp(circuit: c, inputs: x, batch: 1, weights: w, upstream: g, method: .adjoint)
            for ranks in [1, 2, 4, 8] {
                for method in DiffMethod.allCases {
                    let tag = "\(template) ranks \(ranks) \(method)"
                    for (r, res) in shardedVJP(c, x, w, g, ranks: ranks, method, block: 4).enumerated() {
                        let v = try res.get()
                        assertClose(v.expvals, ref.expvals, 1e-10, "\(tag) rank \(r) expvals")
                        assertClose(v.inputs, ref.inputs, 1e-10, "\(tag) rank \(r) inputs")
                        assertClose(v.weights, ref.weights, 1e-10, "\(tag) rank \(r) weights")
                    }
                }
            }
        }
    }

    /// Controls on rank bits: CRX, CNOT and CZ whose control wires start global (wires 0 and 1 on
    /// 4 ranks), and diagonal gates there, with targets both local and global.
    func testControlsOnRankBitsEqualTheSingleProcessEngine() throws {
        var c = Circuit(nQubits: 7, nInputs: 2, nWeights: 6)
        for q in 0..<7 { c.append(.h, wires: [q]) }
        c.append(.crx, wires: [0, 4], params: [.input(0)])
        c.append(.cnot, wires: [1, 5])
        c.append(.crx, wires: [1, 3], params: [.weight(0)])
        c.append(.rz, wires: [0], params: [.weight(1)])
        c.append(.cz, wires: [0, 6])
        c.append(.crx, wires: [0, 1], params: [.weight(2)])   // control and target both on rank bits
        c.append(.rot, wires: [2], params: [.weight(3), .input(1), .weight(4)])
        c.append(.cnot, wires: [2, 0])
        c.append(.crx, wires: [6, 1], params: [.weight(5)])
        var rng = TestRNG(s: 23)
        let x = rng.angles(2), w = rng.angles(6), g = rng.angles(7)
        let ref = Gradients.vjp(circuit: c, inputs: x, batch: 1, weights: w, upstream: g, method: .adjoint)
        XCTAssertTrue(ref.weights.contains { abs($0) > 1e-3 } && ref.inputs.contains { abs($0) > 1e-3 })
        for ranks in [2, 4, 8] {
            for block in [ExecutorSettings.defaultBlockQubits, 3] {
                for method in DiffMethod.allCases {
                    let tag = "ranks \(ranks) block \(block) \(method)"
                    let v = try shardedVJP(c, x, w, g, ranks: ranks, method, block: block)[ranks - 1].get()
                    assertClose(v.expvals, ref.expvals, 1e-10, tag + " expvals")
                    assertClose(v.inputs, ref.inputs, 1e-10, tag + " inputs")
                    assertClose(v.weights, ref.weights, 1e-10, tag + " weights")
                }
            }
        }
    }

    /// The 24-qubit StronglyEntangling layer of the issue on 2 ranks (planner only: no 128 MiB
    /// shards): as many shard passes as the single-process blocked engine plus the exchanges,
    /// and every pass well formed (mixing bits low, exchanges between a rank bit and a low bit,
    /// permutations inside the shard, above the fixed runs).
    func testTwentyFourQubitLayerOnTwoRanksPlansLikeOneProcessPlusExchanges() {
        var c = Circuit(nQubits: 24, nInputs: 0, nWeights: 72)
        Templates.stronglyEntangling(&c, layers: 1)
        let program = Program(c)
        let single = BlockedSchedule(program: program, blockQubits: ExecutorSettings.defaultBlockQubits)
        let sharded = BlockedSchedule(program: program, blockQubits: ExecutorSettings.defaultBlockQubits, localQubits: 23)
        let plan = sharded.plan
        var exchanges = 0
        for pass in plan.passes {
            switch pass {
            case let .exchange(pairs):
                exchanges += pairs.count
                for (g, l) in pairs { XCTAssertEqual(g, 23); XCTAssertLessThan(l, plan.blockQubits); XCTAssertGreaterThanOrEqual(l, plan.runQubits) }
            case let .permute(pairs):
                for (h, l) in pairs { XCTAssertLessThan(max(h, l), 23); XCTAssertGreaterThanOrEqual(min(h, l), plan.runQubits) }
            case let .block(steps, phys):
                for s in steps {
                    let t = BlockedPlan.mixingBit(sharded.kinds[s], sharded.bitA[s], sharded.bitB[s], hasSlots: program.stepHasSlots[s])
                    if t >= 0 { XCTAssertLessThan(phys[t], plan.blockQubits) }
                }
            }
        }
        XCTAssertGreaterThan(exchanges, 0)
        XCTAssertLessThanOrEqual(exchanges, 2)
        XCTAssertLessThanOrEqual(plan.passes.count - exchanges, single.plan.passes.count)
        XCTAssertLessThanOrEqual(single.plan.passes.count, 5)
    }

    /// What a real sharded run counts: one pass per planned block or exchange pass (a
    /// permutation pass moves nothing: later blocks are gathered through it), one exchange per
    /// planned pair, half a shard sent per exchange; the adjoint (which runs from |0>, so the
    /// passes up to its first block pass cost nothing and are not counted) the lambda
    /// preparation plus its forward's passes again.
    func testPassesAndExchangesAreCountedAsPlanned() {
        var sel = Circuit(nQubits: 12, nInputs: 0, nWeights: 36 * 2)
        Templates.stronglyEntangling(&sel, layers: 2)
        let c = sel
        let bq = BlockedPlan.reservedQubits + 3   // 3 free bits per block
        var rng = TestRNG(s: 3)
        let w = rng.angles(c.nWeights), g = rng.angles(12)
        let figures = ThreadRanks(size: 2).collect { comm -> (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int) in
            let s = try! ShardedStatevector(qubits: 12, communicator: comm, blockQubits: bq)
            let passes = s.schedule(for: Program(c)).schedule.plan.passes
            func pairs(_ passes: ArraySlice<BlockedPass>) -> Int {
                passes.reduce(0) { n, p in if case let .exchange(x) = p { return n + x.count }; return n }
            }
            func sweeps(_ passes: ArraySlice<BlockedPass>) -> Int {
                passes.reduce(0) { n, p in if case .permute = p { return n }; return n + 1 }
            }
            let planned = pairs(passes[...]), permutes = passes.count - sweeps(passes[...])
            // From |0>: the passes after the first block pass, and their exchanges.
            let first = passes.firstIndex { if case .block = $0 { return true } else { return false } }!
            let fromZero = sweeps(passes[(first + 1)...]), fromZeroPairs = pairs(passes[(first + 1)...])
            s.apply(c, weights: w)
            let v = try! ShardedGradients.vjp(circuit: c, inputs: [], weights: w, upstream: g, method: .adjoint,
                                              communicator: comm, blockQubits: bq)
            return (sweeps(passes[...]), planned, s.statePasses, s.exchanges, s.bytesSent, v.statePasses, v.exchanges,
                    fromZero, fromZeroPairs, permutes)
        }
        for f in figures {
            XCTAssertGreaterThan(f.1, 0, "the layer should need a wire from the rank bit")
            XCTAssertGreaterThan(f.9, 0, "the plan should bring high local wires down by permutations")
            XCTAssertEqual(f.2, f.0, "one counted pass per planned block or exchange pass")
            XCTAssertEqual(f.3, f.1, "one exchange per planned pair")
            XCTAssertEqual(f.4, f.3 * (1 << 11) * 8, "half a shard of 2^11 amplitudes (16 B) per exchange")
            XCTAssertLessThan(f.0, Program(c).steps.count * 2 / 3, "fewer passes than steps, even with 3 free bits per block")
            XCTAssertGreaterThan(f.7, 0)
            XCTAssertEqual(f.5, 2 * f.7 + 1, "adjoint from |0>: forward, lambda, the same passes backwards")
            XCTAssertEqual(f.6, 3 * f.8, "adjoint from |0>: the forward's exchanges, then phi's and lambda's backwards")
        }
    }
}
