// The parameter-shift rule on the executor: every shifted circuit of a batch (each angle that maps
// to an input or a weight, each shift term, plus and minus, each sample) runs as ONE batch on a
// scratch executor of the same circuit and settings, so the lane engine sees a large batch instead
// of many small ones. Results equal the adjoint method's to rounding (tests check 1e-10).

import Core

/// Rows [sample][evaluation] of a shifted batch differ from their sample only at one angle, so
/// the lane engine takes each step's matrix from the sample's unshifted ones (built once per
/// sample) except at the step holding the row's shifted angle: the matrices cost batch x steps
/// instead of rows x steps (they dominate small circuits, where the state update is 16 amplitudes).
struct ShiftPlan {
    let evaluationsPerSample: Int
    /// Step that holds evaluation k's slot.
    let stepOfEvaluation: [Int]
    let steps: Int
    /// Unshifted step matrices [batch][steps].
    let base: [Mat2]
}

extension Program {
    /// The step that holds each slot's angle.
    var stepOfSlot: [Int] {
        var out = [Int](repeating: -1, count: nSlots)
        for (s, step) in steps.enumerated() {
            switch step {
            case let .single(_, factors, _, _), let .fusedCNOT(_, _, factors, _): for (_, slot) in factors where slot >= 0 { out[slot] = s }
            case let .controlled(_, _, _, slot, _): out[slot] = s
            case .cnot, .cz: break
            }
        }
        return out
    }
}

extension CircuitExecutor {
    /// The shifted evaluations of one sample: (slot, shift, coefficient), two per shift term of
    /// every slot that reads an input or a weight: df/dt = sum_k c_k (f(t + s_k) - f(t - s_k)).
    var shiftEvaluations: [(slot: Int, shift: Double, coeff: Double)] {
        var evals: [(slot: Int, shift: Double, coeff: Double)] = []
        for (s, ref) in program.slotRefs.enumerated() where ref.source != .constant {
            for (shift, c) in program.slotKinds[s].shiftTerms { evals.append((s, shift, c)); evals.append((s, -shift, -c)) }
        }
        return evals
    }

    /// Per-sample slot gradients [B, nSlots] of sum_i g[b,i] <Z_i>_b by the parameter-shift rule,
    /// from the slot angles of the last forward. Counts the shifted circuits in `counters.shifted`.
    func parameterShiftSlots(upstream: UnsafePointer<Double>, slotGrads: UnsafeMutablePointer<Double>) {
        let evals = shiftEvaluations
        let e = evals.count, ns = program.nSlots, n = circuit.nQubits, rows = batch * e
        guard rows > 0 else { return }
        let ex = shiftExecutor ?? CircuitExecutor(circuit: circuit, settings: settings, fuse: fuse)
        shiftExecutor = ex
        var big = [Double](repeating: 0, count: rows * ns)
        slotAngles.withUnsafeBufferPointer { a in
            big.withUnsafeMutableBufferPointer { g in
                for b in 0..<batch {
                    for (k, ev) in evals.enumerated() {
                        let row = g.baseAddress! + (b * e + k) * ns
                        row.update(from: a.baseAddress! + b * ns, count: ns)
                        row[ev.slot] += ev.shift
                    }
                }
            }
        }
        ex.slotAngles = big
        big = []
        if usesLanes {  // the shard path's state updates dwarf its matrices: no plan there
            let stepOfSlot = program.stepOfSlot, nSteps = kinds.count
            ex.shiftPlan = slotAngles.withUnsafeBufferPointer { a in
                ShiftPlan(evaluationsPerSample: e, stepOfEvaluation: evals.map { stepOfSlot[$0.slot] }, steps: nSteps,
                          base: (0..<(batch * nSteps)).map { i in stepMatrix(i % nSteps, a.baseAddress! + (i / nSteps) * ns) })
            }
        }
        defer { ex.shiftPlan = nil }
        let out = UnsafeMutablePointer<Double>.allocate(capacity: shiftReadoutDoubles(batch: batch))
        defer { out.deallocate() }
        workspacePeakBytes = Swift.max(workspacePeakBytes, shiftWorkspaceBytes(batch: batch))
        // shareNonInput false: the shifted weight angles differ from row to row.
        ex.forwardSlots(batch: rows, shareNonInput: false, expvals: out)
        counters.shifted += rows
        for b in 0..<batch {
            let g = upstream + b * n
            for (k, ev) in evals.enumerated() {
                let z = out + (b * e + k) * n
                var dot = 0.0
                for i in 0..<n { dot += g[i] * z[i] }
                slotGrads[b * ns + ev.slot] += ev.coeff * dot
            }
        }
    }
}
