// Resource counts of a circuit (qubits, gates by kind, depth, parameters) and its OpenQASM 3
// export, both read from the same Circuit the simulator runs. (Executions per training step are
// counted by the executor that runs them: CircuitExecutor.counters.)

import Foundation

public struct CircuitResources: Sendable, Equatable {
    public let qubits: Int
    /// Gate counts by PennyLane name (Rot counted as one Rot).
    public let gateCounts: [String: Int]
    public let totalGates: Int
    /// Standard circuit depth: the longest chain of gates where consecutive gates share a wire.
    public let depth: Int
    /// Trainable parameters (the circuit's weights).
    public let trainableParameters: Int
    /// Angles read from the inputs (embedding gates).
    public let inputParameters: Int

    public init(_ c: Circuit) {
        qubits = c.nQubits
        var counts: [String: Int] = [:]
        var level = [Int](repeating: 0, count: c.nQubits)
        for op in c.operations {
            counts[op.kind.rawValue, default: 0] += 1
            let d = op.wires.map { level[$0] }.max()! + 1
            for w in op.wires { level[w] = d }
        }
        gateCounts = counts
        totalGates = c.operations.count
        depth = level.max() ?? 0
        trainableParameters = c.nWeights
        inputParameters = c.operations.reduce(0) { $0 + $1.params.filter { $0.source == .input }.count }
    }
}

public enum OpenQASM {
    /// OpenQASM 3 text with concrete angles for one sample: stdgates.inc names (rx, ry, rz, p,
    /// h, x, y, z, cx, cz, crx); Rot(phi, theta, omega) becomes rz(phi); ry(theta); rz(omega).
    /// Ends with a measurement of every qubit (the <Z_i> readout is estimated from it).
    public static func export(_ c: Circuit, inputs: [Double], weights: [Double]) -> String {
        precondition(inputs.count == c.nInputs && weights.count == c.nWeights,
                     "export: inputs must be [\(c.nInputs)], weights [\(c.nWeights)]")
        var lines = ["OPENQASM 3.0;", "include \"stdgates.inc\";", "qubit[\(c.nQubits)] q;", "bit[\(c.nQubits)] c;"]
        inputs.withUnsafeBufferPointer { x in weights.withUnsafeBufferPointer { w in
            for op in c.operations {
                let a = op.params.map { $0.value(inputs: x.baseAddress, weights: w.baseAddress) }
                let q = op.wires.map { "q[\($0)]" }.joined(separator: ", ")
                func fmt(_ v: Double) -> String { "\(v)" }
                switch op.kind {
                case .rx: lines.append("rx(\(fmt(a[0]))) \(q);")
                case .ry: lines.append("ry(\(fmt(a[0]))) \(q);")
                case .rz: lines.append("rz(\(fmt(a[0]))) \(q);")
                case .phaseShift: lines.append("p(\(fmt(a[0]))) \(q);")
                case .rot:
                    lines.append("rz(\(fmt(a[0]))) \(q);")
                    lines.append("ry(\(fmt(a[1]))) \(q);")
                    lines.append("rz(\(fmt(a[2]))) \(q);")
                case .h: lines.append("h \(q);")
                case .x: lines.append("x \(q);")
                case .y: lines.append("y \(q);")
                case .z: lines.append("z \(q);")
                case .cnot: lines.append("cx \(q);")
                case .cz: lines.append("cz \(q);")
                case .crx: lines.append("crx(\(fmt(a[0]))) \(q);")
                }
            }
        } }
        lines.append("c = measure q;")
        return lines.joined(separator: "\n") + "\n"
    }
}
