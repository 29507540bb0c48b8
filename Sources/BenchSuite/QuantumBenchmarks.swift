// Micro-benchmarks of the simulator for the `bench` executable and the peer scripts in
// benchmarks/quantum_*.py (moved here from the Quantum target: a library does not carry its own
// benchmark drivers). Each runs one untimed warm-up and returns the median of `repeats` timings
// (the peer scripts do the same: benchmarks/quantum_common.py median_of); the
// `bench quantum KIND` key names live in Peers.quantumFigures, their one home.

import Core
import Quantum

public enum QuantumBenchmarks {
    static func median(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        return Spread((0..<Swift.max(1, repeats)).map { _ in WallClock.time(body) }).median
    }

    static func randomValues(_ count: Int, seed: UInt64, scale: Double = 2 * Double.pi) -> [Double] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in scale * rng.uniform() }
    }

    /// The old tool's HQNN head: `circuits` parallel circuits of `qubits` wires (AngleEmbedding X
    /// + StronglyEntanglingLayers), forward + backward by `method` for `batch` samples.
    /// Returns seconds per training step (median of repeats).
    public static func hqnnHead(batch: Int = 256, layers: Int = 6, circuits: Int = 8, qubits: Int = 8,
                                repeats: Int = 3, method: DiffMethod = .adjoint, threads: Threads) -> Double {
        let c = Templates.layerCircuit(template: .strong, wires: qubits, layers: layers, features: qubits)
        let execs = (0..<circuits).map { _ in CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads)) }
        let inputs = (0..<circuits).map { randomValues(batch * qubits, seed: UInt64($0), scale: 1) }
        let weights = (0..<circuits).map { randomValues(c.nWeights, seed: UInt64(100 + $0)) }
        let upstream = randomValues(batch * qubits, seed: 7, scale: 1)
        return median(repeats) {
            for k in 0..<circuits {
                _ = execs[k].forward(inputs: inputs[k], batch: batch, weights: weights[k])
                _ = execs[k].backward(upstream: upstream, method: method)
            }
        }
    }

    /// Forward-only throughput (samples/s) of one circuit (AngleEmbedding X + StronglyEntangling).
    public static func forwardThroughput(batch: Int = 4096, qubits: Int = 8, layers: Int = 6, repeats: Int = 3,
                                         threads: Threads) -> Double {
        let c = Templates.layerCircuit(template: .strong, wires: qubits, layers: layers, features: qubits)
        let ex = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads))
        let x = randomValues(batch * qubits, seed: 1, scale: 1), w = randomValues(c.nWeights, seed: 2)
        return Double(batch) / median(repeats) { _ = ex.forward(inputs: x, batch: batch, weights: w) }
    }

    /// Seconds per gate application on one state of `qubits` wires (amplitude-parallel):
    /// `gates` RX gates on distinct wires 0, 1, ... (so fusion cannot merge them), or CNOT(k, k+1),
    /// minus the cost of preparing |0>.
    public static func singleStateGate(qubits: Int = 24, gate: GateKind = .rx, gates: Int = 8, repeats: Int = 2,
                                       threads: Threads) -> Double {
        precondition(gates < qubits)
        var c = Circuit(nQubits: qubits, nInputs: 0, nWeights: 1)
        for k in 0..<gates {
            if gate == .cnot { c.append(.cnot, wires: [k, k + 1]) } else {
                c.append(gate, wires: [k], params: gate.parameterCount == 1 ? [.weight(0)] : [])
            }
        }
        let t0 = emptyStateSeconds(qubits, repeats, threads: threads)
        let ex = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads))
        let t = median(repeats) { _ = ex.forward(inputs: [], batch: 1, weights: [0.3]) }
        return (t - t0) / Double(gates)
    }

    /// Time to prepare |0> and read <Z_i> on a `qubits` state (subtracted from gate timings).
    static func emptyStateSeconds(_ qubits: Int, _ repeats: Int, threads: Threads) -> Double {
        var empty = Circuit(nQubits: qubits, nInputs: 0, nWeights: 0)
        empty.append(.z, wires: [0])
        let e0 = CircuitExecutor(circuit: empty, settings: ExecutorSettings(threads: threads))
        return median(repeats) { _ = e0.forward(inputs: [], batch: 1, weights: []) }
    }

    /// One StronglyEntangling layer on a `qubits`-wire state: (seconds per layer, passes over
    /// the state per layer as the executor counted them, gates in the layer counting Rot as 3).
    public static func singleStateLayer(qubits: Int = 24, repeats: Int = 2, threads: Threads) -> (seconds: Double, passes: Int, gates: Int) {
        var c = Circuit(nQubits: qubits, nInputs: 0, nWeights: qubits * 3)
        Templates.stronglyEntangling(&c, layers: 1)
        // The shard engine at every size (the lane engine counts no passes; at 24 qubits it is the shard engine anyway).
        let ex = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads, laneMaxQubits: 0))
        let w = randomValues(c.nWeights, seed: 3)
        let t0 = emptyStateSeconds(qubits, repeats, threads: threads)
        let t = median(repeats) { _ = ex.forward(inputs: [], batch: 1, weights: w) }
        return (t - t0, ex.counters.statePasses / Swift.max(1, ex.counters.forward), qubits * 3 + qubits)
    }

    /// `layers` StronglyEntangling layers (default one) on one `qubits`-wire state, blocked
    /// schedule (`blockQubits`) and gate by gate, interleaved: forward, and forward + adjoint
    /// gradient of sum_i g_i <Z_i>. The first layer from |0> is cheaper than any later one (the
    /// blocked forward skips the zero blocks of its first pass), so the cost of a layer deep in a
    /// circuit is the difference between the figures at 2 layers and at 1.
    /// Keys layer_{n}q_{blocked,pergate}_{fwd,grad}_s (medians over `repeats` after one warm-up)
    /// and _passes (counted per run: the forward's passes; for grad, forward + adjoint).
    /// `perGate: false` leaves out the gate-by-gate reference (its 24-qubit gradient alone takes
    /// 5-11 s a round), for A/B runs of the blocked kernels.
    public static func layerFigures(qubits n: Int, layers: Int = 1, repeats: Int, blockQubits: Int, perGate: Bool = true,
                                    threads: Threads) -> [(String, Double)] {
        var c = Circuit(nQubits: n, nInputs: 0, nWeights: layers * n * 3)
        Templates.stronglyEntangling(&c, layers: layers)
        let w = randomValues(c.nWeights, seed: 3), g = randomValues(n, seed: 4, scale: 1)
        var times: [String: [Double]] = [:], passes: [String: Int] = [:]
        // One executor per schedule for all rounds, as a training run keeps its executor across
        // steps (and the peers keep their state): the timed forwards reuse a state already
        // touched, instead of paying the first-touch page faults of a fresh 2^n buffer each round.
        // The adjoint's workspace is transient in the executor itself, so the gradient still pays it.
        let schedules = perGate ? [("blocked", blockQubits), ("pergate", 0)] : [("blocked", blockQubits)]
        let executors = schedules.map { name, block in
            (name, CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads, laneMaxQubits: 0, blockQubits: block)))
        }
        for round in 0...Swift.max(1, repeats) {   // round 0: warm-up, not timed
            for (name, ex) in executors {
                let before = ex.counters.statePasses
                let tf = WallClock.time { _ = ex.forward(inputs: [], batch: 1, weights: w) }
                let afterForward = ex.counters.statePasses
                let tg = WallClock.time { _ = ex.forward(inputs: [], batch: 1, weights: w); _ = ex.backward(upstream: g) }
                if round > 0 {
                    times["\(name)_fwd", default: []].append(tf); times["\(name)_grad", default: []].append(tg)
                }
                passes["\(name)_fwd"] = afterForward - before; passes["\(name)_grad"] = ex.counters.statePasses - afterForward
            }
        }
        return times.keys.sorted().flatMap { k in
            [("layer_\(n)q_\(k)_s", Spread(times[k]!).median), ("layer_\(n)q_\(k)_passes", Double(passes[k]!))]
        }
    }

    /// Seconds per image of the quanvolution on `images` random RGB images of size x size.
    public static func quanvolution(images: Int = 1000, size: Int = 64, repeats: Int = 2, threads: Threads) -> Double {
        var rng = SeededRNG(seed: 5)
        let x = (0..<(images * 3 * size * size)).map { _ in rng.uniformFloat() }
        let qc = QuanvolutionCircuit(seed: 999)
        let t = median(repeats) {
            x.withUnsafeBufferPointer { p in
                _ = Quanvolution.apply(images: p.baseAddress!, n: images, channels: 3, height: size, width: size, circuit: qc, threads: threads)
            }
        }
        return t / Double(images)
    }
}
