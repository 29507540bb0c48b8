// Gradient methods: the config's diffType names resolved to what runs here, the parameter-shift
// rule, and full Jacobians of <Z_i> with respect to inputs and weights by either method.

import Core

/// Differentiation methods that actually run on this simulator.
public enum DiffMethod: String, CaseIterable, Sendable {
    case adjoint
    case parameterShift = "parameter-shift"

    /// Accepted config names (old `diffType`): best, adjoint, parameter-shift, backprop, default.
    public static let acceptedNames = ["best", "adjoint", "parameter-shift", "backprop", "default"]

    /// Resolves a config name; best/default/backprop run as adjoint here (exact, one forward
    /// plus one backward sweep, like backprop but without storing intermediates).
    public static func resolve(_ name: String) throws -> DiffResolution {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        switch key {
        case "adjoint": return DiffResolution(requested: name, method: .adjoint, note: "adjoint differentiation")
        case "parameter-shift", "parametershift":
            return DiffResolution(requested: name, method: .parameterShift, note: "parameter-shift rule")
        case "best", "default", "backprop":
            return DiffResolution(requested: name, method: .adjoint,
                                  note: "'\(name)' resolved to adjoint: exact gradients in one backward sweep on this statevector simulator")
        default:
            throw DeepfakeError("unknown diff method '\(name)'; valid choices: \(acceptedNames.joined(separator: ", "))")
        }
    }
}

/// What a diff-method name resolved to, with a human-readable note for logs and reports.
public struct DiffResolution: Sendable, Equatable {
    public let requested: String
    public let method: DiffMethod
    public let note: String
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
    /// Per-sample slot Jacobians [B][nQubits][nSlots] by the parameter-shift rule: every shifted
    /// circuit of the whole batch runs as one big batch.
    static func parameterShiftSlots(_ program: Program, circuit: Circuit, angles: [Double], batch: Int) -> [Double] {
        let ns = program.nSlots, n = circuit.nQubits
        var evals: [(slot: Int, shift: Double, coeff: Double)] = []
        for s in 0..<ns {
            for (shift, c) in program.slotKinds[s].shiftTerms { evals.append((s, shift, c)); evals.append((s, -shift, -c)) }
        }
        let ex = CircuitExecutor(circuit: circuit)
        var jac = [Double](repeating: 0, count: batch * n * ns)
        if evals.isEmpty || batch == 0 { return jac }
        var big = [Double](repeating: 0, count: batch * evals.count * ns)
        for b in 0..<batch {
            for (e, ev) in evals.enumerated() {
                let base = (b * evals.count + e) * ns
                for s in 0..<ns { big[base + s] = angles[b * ns + s] }
                big[base + ev.slot] += ev.shift
            }
        }
        ex.slotAngles = big
        var out = [Double](repeating: 0, count: batch * evals.count * n)
        out.withUnsafeMutableBufferPointer { ex.forwardSlots(batch: batch * evals.count, shareNonInput: false, expvals: $0.baseAddress!) }
        for b in 0..<batch {
            for (e, ev) in evals.enumerated() {
                for i in 0..<n { jac[(b * n + i) * ns + ev.slot] += ev.coeff * out[(b * evals.count + e) * n + i] }
            }
        }
        return jac
    }

    /// Vector-Jacobian product of sum_{b,i} g[b,i] <Z_i>_b: returns expvals [B, n],
    /// gradInputs [B, nInputs] and gradWeights [nWeights] (summed over the batch).
    public static func vjp(circuit: Circuit, inputs: [Double], batch: Int, weights: [Double],
                           upstream: [Double], method: DiffMethod)
        -> (expvals: [Double], inputs: [Double], weights: [Double]) {
        let ex = CircuitExecutor(circuit: circuit)
        let y = ex.forward(inputs: inputs, batch: batch, weights: weights)
        switch method {
        case .adjoint:
            let g = ex.backward(upstream: upstream)
            return (y, g.inputs, g.weights)
        case .parameterShift:
            let ns = ex.program.nSlots, n = circuit.nQubits
            let jac = parameterShiftSlots(ex.program, circuit: circuit, angles: ex.slotAngles, batch: batch)
            var slotGrads = [Double](repeating: 0, count: Swift.max(1, batch * ns))
            for b in 0..<batch {
                for i in 0..<n {
                    let g: Double = upstream[b * n + i]
                    let row = (b * n + i) * ns
                    for s in 0..<ns { slotGrads[b * ns + s] += g * jac[row + s] }
                }
            }
            var gi = [Double](repeating: 0, count: batch * circuit.nInputs)
            var gw = [Double](repeating: 0, count: circuit.nWeights)
            gi.withUnsafeMutableBufferPointer { x in gw.withUnsafeMutableBufferPointer { w in
                ex.mapSlotGradients(slotGrads, gradInputs: x.baseAddress, gradWeights: w.baseAddress)
            } }
            return (y, gi, gw)
        }
    }

    /// Full Jacobians of <Z_i> for one sample (inputs [nInputs], weights [nWeights]).
    public static func jacobian(circuit: Circuit, inputs: [Double], weights: [Double],
                                method: DiffMethod) -> CircuitJacobian {
        let n = circuit.nQubits, ni = circuit.nInputs, nw = circuit.nWeights
        var result = CircuitJacobian(expvals: [], inputs: [Double](repeating: 0, count: n * ni),
                                     weights: [Double](repeating: 0, count: n * nw))
        for i in 0..<n {
            var g = [Double](repeating: 0, count: n)
            g[i] = 1
            let r = vjp(circuit: circuit, inputs: inputs, batch: 1, weights: weights, upstream: g, method: method)
            if i == 0 { result.expvals = r.expvals }
            for j in 0..<ni { result.inputs[i * ni + j] = r.inputs[j] }
            for j in 0..<nw { result.weights[i * nw + j] = r.weights[j] }
        }
        return result
    }
}
