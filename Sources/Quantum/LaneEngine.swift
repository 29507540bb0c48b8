// Batched forward and adjoint backward for small circuits on the lane layout (laneWidth = 4
// samples per SIMD vector, see LaneKernels.swift). Used by CircuitExecutor when nQubits <=
// settings.laneMaxQubits; results are identical to the shard path (tests run both).

import Core

extension CircuitExecutor {
    /// Matrix of step s for each of the laneWidth lanes of chunk `ch` (padding lanes repeat the last
    /// sample). With a shift plan, a row's matrix is its sample's unshifted one except at the step
    /// that holds the row's shifted angle.
    @inline(__always)
    func laneMatrix(_ s: Int, chunk ch: Int, batch: Int, _ ang: UnsafePointer<Double>, dagger: Bool,
                    plan: ShiftPlan? = nil) -> LaneMat {
        let ns = program.nSlots
        var m = LaneMat(.identity)
        for l in 0..<laneWidth {
            let b = Swift.min(ch * laneWidth + l, batch - 1)
            let x: Mat2
            if let p = plan, p.stepOfEvaluation[b % p.evaluationsPerSample] != s {
                x = p.base[(b / p.evaluationsPerSample) * p.steps + s]
            } else {
                x = stepMatrix(s, ang + b * ns)
            }
            m.set(l, dagger ? x.dagger : x)
        }
        return m
    }

    @inline(__always)
    func laneApply(_ kind: StepKind, _ a: Int, _ b: Int, _ m: LaneMat, _ re: UnsafeMutablePointer<Lane>,
                   _ im: UnsafeMutablePointer<Lane>) {
        switch kind {
        case .dense: LaneKernels.apply2x2(re, im, dim: dim, bit: a, m)
        case .diagonal: LaneKernels.applyDiagonal(re, im, dim: dim, bit: a, m)
        case .cnot: LaneKernels.applyCNOT(re, im, dim: dim, control: a, target: b)
        case .cz: LaneKernels.applyCZ(re, im, dim: dim, a, b)
        case .controlled: LaneKernels.applyControlled(re, im, dim: dim, control: a, target: b, m)
        case .denseThenCNOT: LaneKernels.apply2x2(re, im, dim: dim, bit: b, m, swapMask: 1 << a)
        }
    }

    /// Forward on the lane layout; states stay in `lanes` ([chunk][re dim | im dim]).
    func laneForward(batch: Int, shareNonInput: Bool, expvals: UnsafeMutablePointer<Double>) {
        let chunks = (batch + laneWidth - 1) / laneWidth
        reserveLanes(batch: batch)
        let n = circuit.nQubits, dim = self.dim, nSteps = kinds.count
        let kinds = self.kinds, bitA = self.bitA, bitB = self.bitB, dep = self.dependsOnInputs
        let lanes = self.lanes, plan = shiftPlan
        slotAngles.withUnsafeBufferPointer { angBuf in
            let ang = angBuf.baseAddress!
            let shared = (0..<nSteps).map { s in
                shareNonInput && !dep[s] && !kinds[s].isPermutation ? LaneMat(stepMatrix(s, ang)) : LaneMat(.identity)
            }
            settings.threads.forChunks(chunks) { lo, hi in
                let z = UnsafeMutablePointer<Lane>.allocate(capacity: n)
                defer { z.deallocate() }
                for ch in lo..<hi {
                    let re = lanes + ch * 2 * dim, im = re + dim
                    re.initialize(repeating: Lane(), count: 2 * dim)
                    re[0] = Lane(repeating: 1)
                    for s in 0..<nSteps {
                        let k = kinds[s]
                        let m: LaneMat
                        if k.isPermutation { m = shared[s] }  // matrix unused
                        else if shareNonInput && !dep[s] { m = shared[s] }
                        else { m = self.laneMatrix(s, chunk: ch, batch: batch, ang, dagger: false, plan: plan) }
                        self.laneApply(k, bitA[s], bitB[s], m, re, im)
                    }
                    LaneKernels.expvals(re, im, n: n, into: z)
                    for l in 0..<laneWidth where ch * laneWidth + l < batch {
                        for w in 0..<n { expvals[(ch * laneWidth + l) * n + w] = z[w][l] }
                    }
                }
            }
        }
    }

    /// Adjoint backward on the lane layout: per-sample slot gradients [B, nSlots].
    func laneBackward(upstream: UnsafePointer<Double>, slotGrads: UnsafeMutablePointer<Double>) {
        let batch = self.batch, chunks = (batch + laneWidth - 1) / laneWidth
        let n = circuit.nQubits, dim = self.dim, nSteps = kinds.count, ns = program.nSlots
        let kinds = self.kinds, bitA = self.bitA, bitB = self.bitB, dep = self.dependsOnInputs
        let lanes = self.lanes, shareable = lastForwardShared
        let program = self.program
        let workspace = WorkspaceTally()
        defer { workspacePeakBytes = Swift.max(workspacePeakBytes, workspace.bytes) }
        slotAngles.withUnsafeBufferPointer { angBuf in
            let ang = angBuf.baseAddress!
            // Steps that read no inputs: inverse matrix and derivative matrices built once.
            var sharedDag = [LaneMat](repeating: LaneMat(.identity), count: nSteps)
            var sharedDer = [[(Int, Mat2)]](repeating: [], count: nSteps)
            for s in 0..<nSteps where shareable && !dep[s] {
                switch program.steps[s] {
                case let .single(_, factors, _, _), let .fusedCNOT(_, _, factors, _):
                    sharedDag[s] = LaneMat(program.matrix(factors, ang).dagger)
                    sharedDer[s] = program.derivatives(factors, ang)
                case let .controlled(_, _, f, slot, _):
                    sharedDag[s] = LaneMat(f.matrix(ang[slot]).dagger)
                    sharedDer[s] = [(slot, f.derivative(ang[slot]))]
                default: break
                }
            }
            settings.threads.forChunks(chunks) { lo, hi in
                let pr = UnsafeMutablePointer<Lane>.allocate(capacity: self.laneAdjointWorkspaceVectors)
                workspace.add(self.laneAdjointWorkspaceVectors * MemoryLayout<Lane>.stride)
                defer { pr.deallocate() }
                let pi = pr + dim, lr = pr + 2 * dim, li = pr + 3 * dim, g = pr + 4 * dim
                for ch in lo..<hi {
                    pr.update(from: lanes + ch * 2 * dim, count: 2 * dim)
                    for w in 0..<n {
                        var v = Lane()
                        for l in 0..<laneWidth where ch * laneWidth + l < batch { v[l] = upstream[(ch * laneWidth + l) * n + w] }
                        g[w] = v
                    }
                    for k in 0..<dim {
                        var h = Lane()
                        for w in 0..<n { if (k >> (n - 1 - w)) & 1 == 0 { h += g[w] } else { h -= g[w] } }
                        lr[k] = h * pr[k]; li[k] = h * pi[k]
                    }
                    for s in stride(from: nSteps - 1, through: 0, by: -1) {
                        let k = kinds[s]
                        if k.isPermutation {
                            self.laneApply(k, bitA[s], bitB[s], sharedDag[s], pr, pi)
                            self.laneApply(k, bitA[s], bitB[s], sharedDag[s], lr, li)
                            continue
                        }
                        let isShared = shareable && !dep[s]
                        let u = isShared ? sharedDag[s] : self.laneMatrix(s, chunk: ch, batch: batch, ang, dagger: true)
                        // Fused CNOT steps: V = CNOT (U on target), V^dagger = U^dagger CNOT, i.e.
                        // load swapped where the control bit is set, then the plain adjoint step.
                        let swap = k == .denseThenCNOT ? 1 << bitA[s] : 0
                        let target = k == .controlled || k == .denseThenCNOT ? bitB[s] : bitA[s]
                        let control = k == .controlled ? bitA[s] : -1
                        if !program.stepHasSlots[s] {
                            LaneKernels.adjointApply(pr, pi, dim: dim, control: control, target: target, u, swapMask: swap)
                            LaneKernels.adjointApply(lr, li, dim: dim, control: control, target: target, u, swapMask: swap)
                            continue
                        }
                        let m = LaneKernels.adjointStep(pr, pi, lr, li, dim: dim, control: control,
                                                        target: target, u, swapMask: swap)
                        if isShared {
                            for (slot, d) in sharedDer[s] {
                                let v = m.realContraction(with: d)
                                for l in 0..<laneWidth where ch * laneWidth + l < batch {
                                    slotGrads[(ch * laneWidth + l) * ns + slot] += 2 * v[l]
                                }
                            }
                        } else {
                            for l in 0..<laneWidth where ch * laneWidth + l < batch {
                                let b = ch * laneWidth + l
                                for (slot, d) in program.stepDerivatives(s, ang + b * ns) {
                                    slotGrads[b * ns + slot] += 2 * d.realContraction(m.lane(l))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Program {
    /// Derivative matrices of step s with respect to each of its slots.
    func stepDerivatives(_ s: Int, _ a: UnsafePointer<Double>) -> [(Int, Mat2)] {
        switch steps[s] {
        case let .single(_, factors, _, _), let .fusedCNOT(_, _, factors, _): return derivatives(factors, a)
        case let .controlled(_, _, f, slot, _): return [(slot, f.derivative(a[slot]))]
        default: return []
        }
    }
}
