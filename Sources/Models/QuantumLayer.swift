// Trainable quantum layer of the hybrid (HQNN) model: k parallel circuits of nQubits wires, each
// AngleEmbedding of its nQubits features + StronglyEntangling/BasicEntangler layers, readout <Z_i>.
// Gradients to the inputs and the circuit weights come from the adjoint method (exact).

import Core
import NN
import Quantum

public final class QuantumLayer: Layer {
    public let circuits: Int, qubits: Int, layers: Int
    public let template: LayerTemplate
    public let rotation: EmbeddingRotation
    /// The circuit every one of the k parallel copies runs (own weights each).
    public let circuit: Circuit
    private let executors: [CircuitExecutor]
    private var storage: ParameterStorage!
    private var wOff = 0
    private var batch = 0
    private var inputs: [Double] = []
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    /// Input [N, circuits * qubits] -> output [N, circuits * qubits]; circuit c reads features
    /// c*qubits ..< (c+1)*qubits and writes <Z_0..Z_{qubits-1}> to the same columns.
    public init(circuits: Int, qubits: Int, layers: Int, template: LayerTemplate, rotation: EmbeddingRotation = .x) {
        precondition(circuits >= 1 && qubits >= 1 && layers >= 1, "QuantumLayer needs circuits, qubits, layers >= 1")
        self.circuits = circuits; self.qubits = qubits; self.layers = layers
        self.template = template; self.rotation = rotation
        let c = Templates.layerCircuit(template: template, wires: qubits, layers: layers, features: qubits, rotation: rotation)
        circuit = c
        executors = (0..<circuits).map { _ in CircuitExecutor(circuit: c) }
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
        output.resize([batch, f])
        let xp = x.data, yp = output.data
        for c in 0..<circuits {
            var xin = [Double](repeating: 0, count: batch * qubits)
            for b in 0..<batch { for i in 0..<qubits { xin[b * qubits + i] = Double(xp[b * f + c * qubits + i]) } }
            let z = executors[c].forward(inputs: xin, batch: batch, weights: weights(c))
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
            let grads = executors[c].backward(upstream: up)
            for b in 0..<batch { for i in 0..<qubits { gx[b * f + c * qubits + i] = Float(grads.inputs[b * qubits + i]) } }
            let gw = storage.gradients + wOff + c * circuit.nWeights
            for j in 0..<circuit.nWeights { gw[j] += Float(grads.weights[j]) }
        }
        return gradInput
    }
}
