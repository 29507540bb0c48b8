// Gradient methods that run on this simulator, the parameter-shift terms of each gate, and full
// Jacobians of <Z_i> with respect to inputs and weights by either method. (The config's diffType
// names and what each resolves to live in Config and Training's QuantumSettings, not here.)

import Core

/// Differentiation methods that actually run on this simulator (raw values: the names that
/// records and `deepfake qlayer` use).
public enum DiffMethod: String, CaseIterable, Sendable {
    /// One forward plus one backward sweep over the stored state, exact.
    case adjoint
    /// Two shifted circuit runs per shift term and angle (hardware-compatible), exact.
    case parameterShift = "parameter-shift"
}

/// Values and Jacobians of the readout for one sample.
public struct CircuitJacobian: Sendable {
    /// <Z_i>, [nQubits].
    public var expvals: [Double]
    /// d<Z_i>/d inputs_j, [nQubits][nInputs] row-major.
    public var inputs: [Double]
    /// d<Z_i>/d weights_j, [nQubits][nWeights] row-major.
    public var weights: [Double]
}

extension GateKind {
    /// Parameter-shift terms (shift, coefficient): df/dt = sum_k c_k (f(t + s_k) - f(t - s_k)).
    /// Two-term for rotations with generator eigenvalues +-1/2 (and PhaseShift's 0, 1); CRX has
    /// eigenvalues 0, +-1/2 and needs the four-term rule.
    var shiftTerms: [(Double, Double)] {
        if self == .crx {
            let r2 = 2.0.squareRoot()
            return [(Double.pi / 2, (r2 + 1) / (4 * r2)), (3 * Double.pi / 2, -(r2 - 1) / (4 * r2))]
        }
        return [(Double.pi / 2, 0.5)]
    }
}

public enum Gradients {
    /// Vector-Jacobian product of sum_{b,i} g[b,i] <Z_i>_b: returns expvals [B, n],
    /// gradInputs [B, nInputs] and gradWeights [nWeights] (summed over the batch).
    public static func vjp(circuit: Circuit, inputs: [Double], batch: Int, weights: [Double],
                           upstream: [Double], method: DiffMethod, settings: ExecutorSettings = .serial)
        -> (expvals: [Double], inputs: [Double], weights: [Double]) {
        let ex = CircuitExecutor(circuit: circuit, settings: settings)
        let y = ex.forward(inputs: inputs, batch: batch, weights: weights)
        let g = ex.backward(upstream: upstream, method: method)
        return (y, g.inputs, g.weights)
    }

    /// Full Jacobians of <Z_i> for one sample (inputs [nInputs], weights [nWeights]).
    public static func jacobian(circuit: Circuit, inputs: [Double], weights: [Double],
                                method: DiffMethod, settings: ExecutorSettings = .serial) -> CircuitJacobian {
        let n = circuit.nQubits, ni = circuit.nInputs, nw = circuit.nWeights
        var result = CircuitJacobian(expvals: [], inputs: [Double](repeating: 0, count: n * ni),
                                     weights: [Double](repeating: 0, count: n * nw))
        for i in 0..<n {
            var g = [Double](repeating: 0, count: n)
            g[i] = 1
            let r = vjp(circuit: circuit, inputs: inputs, batch: 1, weights: weights, upstream: g, method: method, settings: settings)
            if i == 0 { result.expvals = r.expvals }
            for j in 0..<ni { result.inputs[i * ni + j] = r.inputs[j] }
            for j in 0..<nw { result.weights[i * nw + j] = r.weights[j] }
        }
        return result
    }
}
