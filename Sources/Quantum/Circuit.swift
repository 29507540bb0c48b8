// Circuit description: the single source of truth. The simulator, both gradient methods, the
// resource counter and the OpenQASM exporter all read this one value, so they cannot disagree.

/// Gate kinds supported by the simulator, named as in PennyLane.
public enum GateKind: String, CaseIterable, Sendable {
    case rx = "RX", ry = "RY", rz = "RZ", rot = "Rot", phaseShift = "PhaseShift"
    case h = "Hadamard", x = "PauliX", y = "PauliY", z = "PauliZ"
    case cnot = "CNOT", cz = "CZ", crx = "CRX"

    /// Number of angles the gate takes (Rot: phi, theta, omega).
    public var parameterCount: Int {
        switch self {
        case .rx, .ry, .rz, .phaseShift, .crx: return 1
        case .rot: return 3
        case .h, .x, .y, .z, .cnot, .cz: return 0
        }
    }

    /// Number of wires the gate acts on (control first for CNOT / CRX).
    public var wireCount: Int {
        switch self {
        case .cnot, .cz, .crx: return 2
        default: return 1
        }
    }
}

/// Where a gate angle comes from: `angle = scale * inputs[index]`, `scale * weights[index]`,
/// or the constant `scale` itself. The scale lets an embedding such as RY(pi * x) stay exact
/// under the chain rule (d angle / d x = scale).
public struct ParamRef: Sendable, Equatable {
    public enum Source: Sendable, Equatable { case input, weight, constant }
    public var source: Source
    public var index: Int
    public var scale: Double

    public static func input(_ i: Int, scale: Double = 1) -> ParamRef { ParamRef(source: .input, index: i, scale: scale) }
    public static func weight(_ i: Int) -> ParamRef { ParamRef(source: .weight, index: i, scale: 1) }
    public static func constant(_ v: Double) -> ParamRef { ParamRef(source: .constant, index: 0, scale: v) }

    /// The concrete angle for given inputs and weights.
    @inline(__always)
    public func value(inputs: UnsafePointer<Double>?, weights: UnsafePointer<Double>?) -> Double {
        switch source {
        case .input: return scale * inputs![index]
        case .weight: return scale * weights![index]
        case .constant: return scale
        }
    }
}

/// One gate application: kind, wires (control first), and one ParamRef per angle.
public struct Gate: Sendable, Equatable {
    public let kind: GateKind
    public let wires: [Int]
    public let params: [ParamRef]
}

/// A circuit over `nQubits` wires (wire 0 is the most significant bit, as in PennyLane) that
/// reads `nInputs` per-sample features and `nWeights` shared trainable weights; the readout is
/// <Z_i> on every wire.
public struct Circuit: Sendable, Equatable {
    public let nQubits: Int
    public let nInputs: Int
    public let nWeights: Int
    public private(set) var operations: [Gate] = []

    public init(nQubits: Int, nInputs: Int = 0, nWeights: Int = 0) {
        precondition(nQubits >= 1, "a circuit needs at least one qubit")
        self.nQubits = nQubits
        self.nInputs = nInputs
        self.nWeights = nWeights
    }

    /// Appends a gate; wires and parameter references are checked here so later stages can
    /// trust them.
    public mutating func append(_ kind: GateKind, wires: [Int], params: [ParamRef] = []) {
        precondition(wires.count == kind.wireCount, "\(kind.rawValue) needs \(kind.wireCount) wire(s)")
        precondition(params.count == kind.parameterCount, "\(kind.rawValue) needs \(kind.parameterCount) angle(s)")
        precondition(wires.allSatisfy { $0 >= 0 && $0 < nQubits }, "wire out of range 0..<\(nQubits)")
        precondition(Set(wires).count == wires.count, "\(kind.rawValue) wires must differ")
        for p in params {
            switch p.source {
            case .input: precondition(p.index >= 0 && p.index < nInputs, "input index \(p.index) out of range")
            case .weight: precondition(p.index >= 0 && p.index < nWeights, "weight index \(p.index) out of range")
            case .constant: break
            }
        }
        operations.append(Gate(kind: kind, wires: wires, params: params))
    }

    /// Appends all gates of another circuit with the same wires (inputs/weights indices kept).
    public mutating func append(contentsOf other: Circuit) {
        for op in other.operations { append(op.kind, wires: op.wires, params: op.params) }
    }
}
