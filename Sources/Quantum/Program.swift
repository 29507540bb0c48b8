// Lowering of a Circuit into executable steps: consecutive single-qubit gates on a wire are
// fused into one 2x2 block (multiplied before touching the state), diagonal blocks take the
// diagonal kernel, CNOT/CZ are permutations/sign flips. Angles are addressed by "slots": one slot
// per (operation, angle) occurrence, so gradients per slot map back to inputs and weights.

/// One lowered step. Bits are positions in the amplitude index (bit = nQubits - 1 - wire).
enum Step {
    /// Fused product of `factors` (application order) on `bit`; slot -1 for a fixed factor.
    case single(bit: Int, factors: [(Elementary, Int)], diagonal: Bool, dependsOnInputs: Bool)
    case cnot(control: Int, target: Int)
    /// A fused block on the target followed by CNOT(control, target): one pass, the 2x2 result
    /// stored swapped where the control bit is set.
    case fusedCNOT(control: Int, target: Int, factors: [(Elementary, Int)], dependsOnInputs: Bool)
    case cz(Int, Int)
    /// Controlled rotation; `factor` acts on the target when the control is set.
    case controlled(control: Int, target: Int, factor: Elementary, slot: Int, dependsOnInputs: Bool)
}

/// The kernel a lowered step runs: the flat step table of CircuitExecutor and both engines switch on this.
enum StepKind: UInt8 {
    /// Dense 2x2 on one bit.
    case dense
    /// Diagonal 2x2 on one bit.
    case diagonal
    case cnot
    case cz
    /// 2x2 on the target where the control bit is set.
    case controlled
    /// Dense 2x2 on the target followed by CNOT(control, target) in one pass.
    case denseThenCNOT

    /// Permutation/sign steps: no matrix, no angle.
    var isPermutation: Bool { self == .cnot || self == .cz }
}

extension Step {
    /// Kernel, bits (bitA: the only bit, or the control; bitB: the target, -1 for one-bit steps)
    /// and whether the step's matrix reads inputs, for the executor's flat step table.
    var table: (kind: StepKind, bitA: Int, bitB: Int, dependsOnInputs: Bool) {
        switch self {
        case let .single(bit, _, diag, dep): return (diag ? .diagonal : .dense, bit, -1, dep)
        case let .cnot(c, t): return (.cnot, c, t, false)
        case let .cz(x, y): return (.cz, x, y, false)
        case let .controlled(c, t, _, _, dep): return (.controlled, c, t, dep)
        case let .fusedCNOT(c, t, _, dep): return (.denseThenCNOT, c, t, dep)
        }
    }
}

/// A compiled circuit: steps plus the slot table.
struct Program {
    let nQubits: Int
    let steps: [Step]
    /// Parameter reference of each slot.
    let slotRefs: [ParamRef]
    /// Gate kind of each slot's operation (for the parameter-shift rule).
    let slotKinds: [GateKind]
    /// Whether each step has any angle (else the adjoint only undoes it).
    let stepHasSlots: [Bool]

    init(_ c: Circuit, fuse: Bool = true) {
        let n = c.nQubits
        var steps: [Step] = []
        var slotRefs: [ParamRef] = []
        var slotKinds: [GateKind] = []
        var pending = [[(Elementary, Int)]](repeating: [], count: n)

        func isDiagonal(_ f: Elementary) -> Bool {
            switch f {
            case .rz, .phase: return true
            case .fixed(let m): return m.isDiagonal
            default: return false
            }
        }
        func flush(_ w: Int) {
            guard !pending[w].isEmpty else { return }
            let fs = pending[w]
            let dep = fs.contains { $0.1 >= 0 && slotRefs[$0.1].source == .input }
            steps.append(.single(bit: n - 1 - w, factors: fs, diagonal: fs.allSatisfy { isDiagonal($0.0) },
                                 dependsOnInputs: dep))
            pending[w] = []
        }

        for op in c.operations {
            var slots: [Int] = []
            for p in op.params { slots.append(slotRefs.count); slotRefs.append(p); slotKinds.append(op.kind) }
            switch op.kind {
            case .cnot, .cz, .crx:
                let cb = n - 1 - op.wires[0], tb = n - 1 - op.wires[1]
                flush(op.wires[0])
                if fuse && op.kind == .cnot && !pending[op.wires[1]].isEmpty {
                    // The target's pending block commutes with everything since its last flush,
                    // so it can be applied together with this CNOT in one pass.
                    let fs = pending[op.wires[1]]
                    let dep = fs.contains { $0.1 >= 0 && slotRefs[$0.1].source == .input }
                    steps.append(.fusedCNOT(control: cb, target: tb, factors: fs, dependsOnInputs: dep))
                    pending[op.wires[1]] = []
                    continue
                }
                flush(op.wires[1])
                switch op.kind {
                case .cnot: steps.append(.cnot(control: cb, target: tb))
                case .cz: steps.append(.cz(cb, tb))
                default:
                    steps.append(.controlled(control: cb, target: tb, factor: .rx, slot: slots[0],
                                             dependsOnInputs: op.params[0].source == .input))
                }
            default:
                var k = 0
                let w = op.wires[0]
                for f in op.kind.factors {
                    if case .fixed = f { pending[w].append((f, -1)) } else { pending[w].append((f, slots[k])); k += 1 }
                }
                if !fuse { flush(w) }
            }
        }
        for w in 0..<n { flush(w) }
        self.nQubits = n
        self.steps = steps
        self.slotRefs = slotRefs
        self.slotKinds = slotKinds
        stepHasSlots = steps.map { s in
            switch s {
            case let .single(_, f, _, _): return f.contains { $0.1 >= 0 }
            case let .fusedCNOT(_, _, f, _): return f.contains { $0.1 >= 0 }
            case .controlled: return true
            default: return false
            }
        }
    }

    var nSlots: Int { slotRefs.count }

    /// Slot angles [nSlots] for one sample.
    func angles(inputs: UnsafePointer<Double>?, weights: UnsafePointer<Double>?, into out: UnsafeMutablePointer<Double>) {
        for (s, r) in slotRefs.enumerated() { out[s] = r.value(inputs: inputs, weights: weights) }
    }

    /// The step's matrix (product of its factors) at the given slot angles.
    @inline(__always)
    func matrix(_ factors: [(Elementary, Int)], _ a: UnsafePointer<Double>) -> Mat2 {
        var m = factors[0].0.matrix(factors[0].1 >= 0 ? a[factors[0].1] : 0)
        for k in 1..<factors.count {
            let (f, s) = factors[k]
            m = f.matrix(s >= 0 ? a[s] : 0) * m
        }
        return m
    }

    /// Matrix of step s at slot angles a (identity for permutation steps).
    @inline(__always)
    func stepMatrix(_ s: Int, _ a: UnsafePointer<Double>) -> Mat2 {
        switch steps[s] {
        case let .single(_, factors, _, _), let .fusedCNOT(_, _, factors, _): return matrix(factors, a)
        case let .controlled(_, _, f, slot, _): return f.matrix(a[slot])
        default: return .identity
        }
    }

    /// Derivatives of a fused block with respect to each factor's angle:
    /// dU/dt_j = F_m ... F_{j+1} dF_j F_{j-1} ... F_1 (only for factors with a slot).
    func derivatives(_ factors: [(Elementary, Int)], _ a: UnsafePointer<Double>) -> [(Int, Mat2)] {
        let m = factors.count
        var mats = [Mat2](repeating: .identity, count: m)
        for k in 0..<m { mats[k] = factors[k].0.matrix(factors[k].1 >= 0 ? a[factors[k].1] : 0) }
        // suffix[k] = F_m ... F_{k+1}
        var suffix = [Mat2](repeating: .identity, count: m + 1)
        for k in stride(from: m - 1, through: 0, by: -1) { suffix[k] = suffix[k + 1] * mats[k] }
        var out: [(Int, Mat2)] = []
        var prefix = Mat2.identity  // F_{k-1} ... F_1
        for k in 0..<m {
            let (f, s) = factors[k]
            if s >= 0 { out.append((s, suffix[k + 1] * f.derivative(a[s]) * prefix)) }
            prefix = mats[k] * prefix
        }
        return out
    }
}
