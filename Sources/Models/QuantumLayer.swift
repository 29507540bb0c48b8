// Trainable quantum layer of the hybrid (HQNN) model: k parallel circuits of nQubits wires, each
// AngleEmbedding of its nQubits features + StronglyEntangling/BasicEntangler layers, readout <Z_i>.
// Gradients to the inputs and the circuit weights come from `diffMethod` (adjoint or the batched
// parameter-shift rule, both exact); the executors count what ran (`counters`, `firstTrainingStep`).

import Core
import NN
import Quantum

public final class QuantumLayer: Layer {
    public let circuits: Int, qubits: Int, layers: Int
    public let template: LayerTemplate
    public let rotation: EmbeddingRotation
    /// How backward differentiates the circuits.
    public let diffMethod: DiffMethod
    /// The circuit every one of the k parallel copies runs (own weights each).
    public let circuit: Circuit
    private let executors: [CircuitExecutor]
    /// With a state group of more than one rank: the circuits run sharded over it instead (ShardedQuantumLayer.swift).
    private let sharded: [ShardedCircuitRunner]
    /// Ranks sharing each circuit's statevector (1: this process holds whole states).
    public var statevectorRanks: Int { sharded.first?.communicator.size ?? 1 }
    private var meter = StepMeter()
    private var storage: ParameterStorage!
    private var wOff = 0
    private var batch = 0
    private var inputs: [Double] = []
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    /// Input [N, circuits * qubits] -> output [N, circuits * qubits]; circuit c reads features
    /// c*qubits ..< (c+1)*qubits and writes <Z_0..Z_{qubits-1}> to the same columns.
    /// `executor`: threads and engine thresholds of the k circuit executors. `stateGroup`: the
    /// ranks sharing each statevector (ProcessGrid.state); with more than one, every circuit runs
    /// sharded over them (every rank of the group must run this layer on the same inputs).
    public init(circuits: Int, qubits: Int, layers: Int, template: LayerTemplate, rotation: EmbeddingRotation = .x,
                diffMethod: DiffMethod, executor: ExecutorSettings, stateGroup: (any Communicator)? = nil) {
        precondition(circuits >= 1 && qubits >= 1 && layers >= 1, "QuantumLayer needs circuits, qubits, layers >= 1")
        self.circuits = circuits; self.qubits = qubits; self.layers = layers
        self.template = template; self.rotation = rotation; self.diffMethod = diffMethod
        let c = Templates.layerCircuit(template: template, wires: qubits, layers: layers, features: qubits, rotation: rotation)
        circuit = c
        if let g = stateGroup, g.size > 1 {
            executors = []
            sharded = (0..<circuits).map { _ in ShardedCircuitRunner(circuit: c, communicator: g, threads: executor.threads, method: diffMethod) }
        } else {
            executors = (0..<circuits).map { _ in CircuitExecutor(circuit: c, settings: executor) }
            sharded = []
        }
    }

    /// Exchanges and bytes this rank's sharded states sent since creation (zero unsharded).
    public var traffic: StateTraffic { sharded.reduce(StateTraffic()) { $0 + $1.traffic } }

    /// Circuit runs of all k executors since creation.
    public var counters: CircuitCounters {
        executors.reduce(CircuitCounters()) { $0 + $1.counters } + sharded.reduce(CircuitCounters()) { $0 + $1.counters }
    }
    /// Circuit runs of the first training step (nil before one ran).
    public var firstTrainingStep: MeasuredStep? { meter.first }

    /// Memory the k executors will hold for a batch: their states side by side (each keeps its
    /// own), plus the largest single backward workspace (the circuits differentiate one by one).
    /// Sharded: one sample's states at a time on this rank (ShardedMemory), whatever the batch.
    public func stateBytes(batch: Int) -> StateBytes {
        if let r = sharded.first {
            return StateBytes(persistent: 0, workspace: Int(ShardedMemory(qubits: qubits, ranks: r.communicator.size, method: diffMethod).bytesPerRank))
        }
        let each = executors.map { $0.stateBytes(batch: batch, method: diffMethod) }
        return StateBytes(persistent: each.reduce(0) { $0 + $1.persistent }, workspace: each.map(\.workspace).max() ?? 0)
    }

    /// Memory the k executors have actually reserved (same accounting as `stateBytes`).
    public var reservedBytes: StateBytes {
        let each = executors.map(\.reservedBytes)
        return StateBytes(persistent: each.reduce(0) { $0 + $1.persistent }, workspace: each.map(\.workspace).max() ?? 0)
    }

    /// Qubits, gates, depth and parameters of one circuit (the report multiplies by `circuits`).
    public var resources: CircuitResources { CircuitResources(circuit) }

    public func register(in registry: ParameterRegistry, prefix: String) {
        // [k, L, n, 3] (strong) or [k, L, n] (basic): PennyLane's weight shape per circuit.
        wOff = registry.add(prefix + "weights", shape: [circuits] + template.weightShape(layers: layers, wires: qubits))
    }

    public func bind(_ storage: ParameterStorage) { self.storage = storage }

    /// Uniform in [0, 2 pi), as PennyLane's TorchLayer initialises circuit weights.
    public func resetParameters(rng: inout SeededRNG) {
        let p = storage.parameters + wOff
        for i in 0..<(circuits * circuit.nWeights) { p[i] = Float(2 * Double.pi * rng.uniform()) }
    }

    private func weights(_ c: Int) -> [Double] {
        let p = storage.parameters + wOff + c * circuit.nWeights
        return (0..<circuit.nWeights).map { Double(p[$0]) }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let f = circuits * qubits
        precondition(x.shape.count == 2 && x.shape[1] == f,
                     "QuantumLayer(\(circuits) x \(qubits) qubits) expects [N, \(f)], got \(x.shape)")
        batch = x.shape[0]
        meter.forward(training: training, images: batch, counters: counters, traffic: traffic)
        output.resize([batch, f])
        let xp = x.data, yp = output.data
        for c in 0..<circuits {
            var xin = [Double](repeating: 0, count: batch * qubits)
            for b in 0..<batch { for i in 0..<qubits { xin[b * qubits + i] = Double(xp[b * f + c * qubits + i]) } }
            let z = sharded.isEmpty ? executors[c].forward(inputs: xin, batch: batch, weights: weights(c))
                : sharded[c].forward(inputs: xin, batch: batch, weights: weights(c))
            for b in 0..<batch { for i in 0..<qubits { yp[b * f + c * qubits + i] = Float(z[b * qubits + i]) } }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let f = circuits * qubits
        precondition(dy.shape == [batch, f], "QuantumLayer.backward: gradient \(dy.shape), expected [\(batch), \(f)]")
        gradInput.resize([batch, f])
        let g = dy.data, gx = gradInput.data
        for c in 0..<circuits {
            var up = [Double](repeating: 0, count: batch * qubits)
            for b in 0..<batch { for i in 0..<qubits { up[b * qubits + i] = Double(g[b * f + c * qubits + i]) } }
            let grads = sharded.isEmpty ? executors[c].backward(upstream: up, method: diffMethod) : sharded[c].backward(upstream: up)
            for b in 0..<batch { for i in 0..<qubits { gx[b * f + c * qubits + i] = Float(grads.inputs[b * qubits + i]) } }
            let gw = storage.gradients + wOff + c * circuit.nWeights
            for j in 0..<circuit.nWeights { gw[j] += Float(grads.weights[j]) }
        }
        meter.backward(counters: counters, traffic: traffic)
        return gradInput
    }
}
