// The `qubits` suite: how a quantum layer's cost grows with its qubit count. Two circuits per
// (nQubits, template, layers):
//   layer   the HQNN circuit layer (AngleEmbedding X + the template), forward + adjoint backward
//           over the configured batch: what one training step of one quantum layer costs
//   state   the template alone on one state (batch 1, forward): the simulator's raw gate speed
// for nQubits from 4 to --max-qubits (the batched layer also stops where its states would pass
// --max-state-mib), templates strong and basic, and 1..L layers. Each row has gates, depth,
// passes over the state (after fusion, counted by the executor), bytes of state, every repeat's
// wall time and samples/s. Passes are counted by the executor (CircuitCounters.statePasses):
// per sample, the forward's, and for `layer` rows also the adjoint's (adjoint_passes); the lane
// engine (up to laneMaxQubits) does not count passes, so small rows show the step count instead.
// Executors are built inside each measurement (and freed after it) so the interleaved grid never
// holds more than one configuration's states; each runs one untimed forward before the timed run.

import Core
import Foundation
import NN
import Quantum
import Reporting

/// What the qubits study runs.
public struct QubitsStudy: Sendable {
    public var minQubits = 4
    public var maxQubits = 20
    public var templates: [LayerTemplate] = [.strong, .basic]
    /// Layers 1...maxLayers.
    public var maxLayers = 2
    /// Samples of the batched `layer` circuit (the HQNN batch).
    public var batch = 32
    /// The batched layer's forward state budget (MiB); larger qubit counts run as `state` rows only.
    public var maxStateMiB = 512
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var plan = RepeatPlan.standard(quick: false)

    public init() {}

    /// `--quick`: 4..10 qubits, strong only, 1 layer, batch 8, 2 repeats.
    public static var quick: QubitsStudy {
        var s = QubitsStudy()
        s.maxQubits = 10; s.templates = [.strong]; s.maxLayers = 1; s.batch = 8; s.plan = .standard(quick: true)
        return s
    }
}

public enum QubitsSuite {
    public enum Kind: String, Sendable { case layer, state }

    struct Point {
        var kind: Kind, qubits: Int, template: LayerTemplate, layers: Int, batch: Int
        var circuit: Circuit
        var name: String { "\(kind.rawValue) \(template.rawValue) L\(layers) \(qubits)q" + (kind == .layer ? " B\(batch)" : "") }
        /// Bytes of the forward state(s): batch x 2^n complex doubles.
        var stateBytes: Double { Double(batch) * Double(1 << qubits) * 16 }
    }

    static func points(_ s: QubitsStudy) -> [Point] {
        var out: [Point] = []
        for n in s.minQubits...max(s.minQubits, s.maxQubits) {
            for t in s.templates {
                for l in 1...max(1, s.maxLayers) {
                    let layer = Point(kind: .layer, qubits: n, template: t, layers: l, batch: s.batch,
                                      circuit: Templates.layerCircuit(template: t, wires: n, layers: l, features: n))
                    if layer.stateBytes <= Double(s.maxStateMiB) * 1_048_576 { out.append(layer) }
                    out.append(Point(kind: .state, qubits: n, template: t, layers: l, batch: 1,
                                     circuit: Templates.layerCircuit(template: t, wires: n, layers: l, features: 0)))
                }
            }
        }
        return out
    }

    /// One timed run of a point on `threads`; returns (seconds, forward passes per sample, adjoint passes per sample).
    static func measure(_ p: Point, threads: Threads) -> (Double, Int, Int) {
        let ex = CircuitExecutor(circuit: p.circuit, settings: ExecutorSettings(threads: threads))
        let x = QuantumBenchmarks.randomValues(p.batch * p.circuit.nInputs, seed: 1, scale: 1)
        let w = QuantumBenchmarks.randomValues(p.circuit.nWeights, seed: 2)
        let up = QuantumBenchmarks.randomValues(p.batch * p.qubits, seed: 3, scale: 1)
        // One untimed forward first: a training run keeps its executor across steps, so the timed
        // run reuses states already touched rather than paying a fresh buffer's page faults.
        _ = ex.forward(inputs: x, batch: p.batch, weights: w)
        let before = ex.counters.statePasses
        var forwardPasses = 0
        let t = WallClock.time {
            _ = ex.forward(inputs: x, batch: p.batch, weights: w)
            forwardPasses = ex.counters.statePasses - before
            if p.kind == .layer { _ = ex.backward(upstream: up) }
        }
        let adjointPasses = ex.counters.statePasses - before - forwardPasses
        // The lane engine counts no passes: its rows keep the step count (one sweep per step).
        if forwardPasses == 0 { return (t, ex.passes, p.kind == .layer ? ex.passes : 0) }
        return (t, forwardPasses / p.batch, adjointPasses / p.batch)
    }

    public static func run(_ s: QubitsStudy, log: (String) -> Void = { print($0) }) -> [BenchRecord] {
        Compute.setThreads(s.threads)
        let grid = points(s)
        log("qubits suite: \(grid.count) configuration(s), \(s.plan.warmups) warm-up + \(s.plan.repeats) interleaved repeat(s), \(s.threads) thread(s)")
        var passes = Array(repeating: 0, count: grid.count), adjointPasses = passes
        let times = s.plan.interleaved(grid.count) { i in
            let (t, p, a) = measure(grid[i], threads: Threads(s.threads))
            passes[i] = p; adjointPasses[i] = a
            return t
        }
        return grid.indices.map { i in
            let p = grid[i], spread = Spread(times[i]), res = CircuitResources(p.circuit)
            var r = BenchRecord(row: BenchmarkRow(name: p.name, accuracy: .nan, loss: .nan, auc: .nan, gateCounts: res.gateCounts,
                                                  depth: res.depth, qubits: p.qubits, parameters: res.trainableParameters,
                                                  wallSeconds: times[i].reduce(0, +)),
                                model: "Quantum", dataset: "random", batchSize: p.batch, threads: s.threads,
                                throughput: Double(p.batch) / spread.median, throughputUnit: "samples/s",
                                note: p.kind == .layer ? "forward + adjoint backward of the batch" : "forward of one state")
            r.repeatSeconds = times[i]
            r.figures["passes"] = Double(passes[i])
            if p.kind == .layer { r.figures["adjoint_passes"] = Double(adjointPasses[i]) }
            r.figures["state_bytes"] = p.stateBytes
            r.figures["layers"] = Double(p.layers)
            r.scaling = "\(p.kind.rawValue) \(p.template.rawValue)"
            log(String(format: "qubits: %@: median %.4g s [%.4g-%.4g], %d passes", p.name, spread.median, spread.min, spread.max, passes[i]))
            return r
        }
    }
}
