// Batched statevector execution of a Circuit: forward <Z_i> for B independent states and the
// vector-Jacobian product by the adjoint method (here) or the parameter-shift rule
// (ParameterShift.swift). Threads split the batch; a single large state (batch 1, >=
// settings.amplitudeParallelQubits) is split over amplitudes instead. Every run is counted in
// `counters`, every buffer in `reservedBytes` (ExecutorMemory.swift).

import Core
import Foundation

/// Runs one circuit on a batch of states and keeps the final states for `backward`.
///
/// Shapes: inputs [B, nInputs] row-major, weights [nWeights] shared by the batch,
/// expvals [B, nQubits] with expvals[b, i] = <psi_b| Z_i |psi_b>.
public final class CircuitExecutor {
    public let circuit: Circuit
    public let settings: ExecutorSettings
    let program: Program
    let fuse: Bool
    /// Flattened step table (see Step.table): kernel, bits, whether the matrix reads inputs.
    let kinds: [StepKind]
    let bitA: [Int]
    let bitB: [Int]
    let dependsOnInputs: [Bool]
    public let dim: Int
    /// Amplitudes of the last forward: [batch][dim] real parts, then imaginary parts.
    private var re: UnsafeMutablePointer<Double>
    private var im: UnsafeMutablePointer<Double>
    /// Amplitudes allocated in re (and in im).
    private(set) var capacity = 0
    public private(set) var batch = 0
    var slotAngles: [Double] = []
    /// Lane-layout states of the last forward: [chunk][re dim | im dim].
    var lanes: UnsafeMutablePointer<Lane>
    /// Lane vectors allocated in `lanes`.
    private(set) var laneCapacity = 0
    /// Circuits run so far (forward samples, parameter-shift circuits, adjoint sweeps).
    public internal(set) var counters = CircuitCounters()
    /// Largest transient workspace (adjoint buffers, parameter-shift readouts) allocated so far, bytes.
    var workspacePeakBytes = 0
    /// Runs the shifted circuits of the parameter-shift rule (created on first use).
    var shiftExecutor: CircuitExecutor?
    /// Set on a shift executor during its forward: rows share their sample's matrices.
    var shiftPlan: ShiftPlan?
    /// Whether the last forward used the lane layout / shared non-input matrices.
    private(set) var usedLanes = false
    private(set) var lastForwardShared = false
    /// The blocked schedule of the shard path (nil: gate by gate, settings.blockQubits = 0).
    let blockedSchedule: BlockedSchedule?
    var blockedPlan: BlockedPlan? { blockedSchedule?.plan }
    /// How this executor runs it: permutations composed, blocks gathered (BlockedGather.swift).
    let gatheredSchedule: GatheredSchedule?
    /// Physical bit of each logical bit in the states of the last forward (nil: canonical).
    private(set) var forwardPhys: [Int]?
    /// Adjoint worker buffers (adjointWorkspaceDoubles each) kept from one backward to the next:
    /// a training run differentiates every step, and a fresh 4 x 2^n buffer each time paid its
    /// page faults again (at 24 qubits, 512 MiB zeroed by the kernel: a quarter of the gradient).
    private var adjointPool: [UnsafeMutablePointer<Double>] = []
    private let adjointPoolLock = NSLock()

    public init(circuit: Circuit, settings: ExecutorSettings, fuse: Bool = true) {
        self.circuit = circuit
        self.settings = settings
        self.fuse = fuse
        program = Program(circuit, fuse: fuse)
        dim = 1 << circuit.nQubits
        let table = program.steps.map(\.table)
        kinds = table.map(\.kind); bitA = table.map(\.bitA); bitB = table.map(\.bitB)
        dependsOnInputs = table.map(\.dependsOnInputs)
        blockedSchedule = settings.blockQubits > 0 ? BlockedSchedule(program: program, blockQubits: settings.blockQubits) : nil
        gatheredSchedule = blockedSchedule.map(GatheredSchedule.init)
        re = .allocate(capacity: 1); im = .allocate(capacity: 1)
        lanes = .allocate(capacity: 1)
    }

    deinit {
        re.deallocate(); im.deallocate(); lanes.deallocate()
        for b in adjointPool { b.deallocate() }
    }

    /// An adjoint worker's buffer set: one kept from an earlier backward, else a new one.
    private func takeAdjointBuffer() -> UnsafeMutablePointer<Double> {
        adjointPoolLock.lock(); defer { adjointPoolLock.unlock() }
        if let b = adjointPool.popLast() { return b }
        let b = UnsafeMutablePointer<Double>.allocate(capacity: adjointWorkspaceDoubles)
        adviseHugePages(b, count: adjointWorkspaceDoubles)
        return b
    }

    private func returnAdjointBuffer(_ b: UnsafeMutablePointer<Double>) {
        adjointPoolLock.lock(); adjointPool.append(b); adjointPoolLock.unlock()
    }

    /// Lane-layout states for `batch` samples (ceil(batch / laneWidth) chunks).
    func reserveLanes(batch: Int) {
        let need = laneVectors(batch: batch)
        if need > laneCapacity {
            lanes.deallocate()
            laneCapacity = need
            lanes = .allocate(capacity: laneCapacity)
        }
    }

    /// Number of steps after fusion: the passes over the state per circuit gate by gate (the
    /// blocked schedule's counted passes are in `counters.statePasses`).
    public var passes: Int { kinds.count }

    private func reserve(_ b: Int) {
        if shardAmplitudes(batch: b) > capacity {
            re.deallocate(); im.deallocate()
            capacity = shardAmplitudes(batch: b)
            re = .allocate(capacity: capacity); im = .allocate(capacity: capacity)
            adviseHugePages(re, count: capacity); adviseHugePages(im, count: capacity)
        }
    }

    /// Matrix of step s at slot angles a (identity for permutation steps).
    @inline(__always)
    func stepMatrix(_ s: Int, _ a: UnsafePointer<Double>) -> Mat2 { program.stepMatrix(s, a) }

    /// Applies step s with matrix m to one state, split over `threads` by amplitude (inline when serial).
    @inline(__always)
    func apply(_ s: Int, _ m: Mat2, _ r: UnsafeMutablePointer<Double>, _ i: UnsafeMutablePointer<Double>, threads: Threads) {
        let n = circuit.nQubits
        let a = bitA[s], b = bitB[s]
        let range: Int
        switch kinds[s] {
        case .dense: range = dim >> 1
        case .diagonal: range = dim
        case .cnot, .cz, .controlled, .denseThenCNOT: range = dim >> 2
        }
        func run(_ lo: Int, _ hi: Int) {
            switch kinds[s] {
            case .dense: Kernels.apply2x2(r, i, bit: a, m, lo, hi)
            case .diagonal: Kernels.applyDiagonal(r, i, bit: a, m, lo, hi)
            case .cnot: Kernels.applyCNOT(r, i, control: a, target: b, lo, hi)
            case .cz: Kernels.applyCZ(r, i, a, b, lo, hi)
            case .controlled: Kernels.applyControlled2x2(r, i, control: a, target: b, m, lo, hi)
            case .denseThenCNOT: Kernels.apply2x2ThenCNOT(r, i, control: a, target: b, m, lo, hi)
            }
        }
        if n > 1 { threads.forChunks(range, minPerChunk: 1 << 12, run) } else { run(0, range) }
    }

    /// Forward from inputs and weights; returns expvals [B, nQubits].
    public func forward(inputs: [Double], batch: Int, weights: [Double]) -> [Double] {
        precondition(inputs.count == batch * circuit.nInputs && weights.count == circuit.nWeights,
                     "forward: inputs must be [\(batch), \(circuit.nInputs)], weights [\(circuit.nWeights)]")
        var out = [Double](repeating: 0, count: batch * circuit.nQubits)
        inputs.withUnsafeBufferPointer { x in weights.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { o in
                forward(inputs: x.baseAddress, batch: batch, weights: w.baseAddress, expvals: o.baseAddress!)
            }
        } }
        return out
    }

    /// Forward from raw buffers: inputs [B, nInputs], weights [nWeights], expvals [B, nQubits].
    public func forward(inputs: UnsafePointer<Double>?, batch: Int, weights: UnsafePointer<Double>?,
                        expvals: UnsafeMutablePointer<Double>) {
        let ns = program.nSlots
        slotAngles = [Double](repeating: 0, count: Swift.max(1, batch * ns))
        slotAngles.withUnsafeMutableBufferPointer { a in
            for b in 0..<batch {
                program.angles(inputs: inputs.map { $0 + b * circuit.nInputs }, weights: weights, into: a.baseAddress! + b * ns)
            }
        }
        forwardSlots(batch: batch, shareNonInput: true, expvals: expvals)
        counters.forward += batch
    }

    /// Forward from the slot angles already in `slotAngles` ([B, nSlots]). With shareNonInput,
    /// matrices of steps that read no inputs are built once from sample 0.
    func forwardSlots(batch: Int, shareNonInput: Bool, expvals: UnsafeMutablePointer<Double>) {
        self.batch = batch
        guard batch > 0 else { return }
        lastForwardShared = shareNonInput
        usedLanes = usesLanes
        if usedLanes { laneForward(batch: batch, shareNonInput: shareNonInput, expvals: expvals); return }
        reserve(batch)
        let nSteps = kinds.count, n = circuit.nQubits, ns = program.nSlots, dim = self.dim
        let ampParallel = batch == 1 && n >= settings.amplitudeParallelQubits
        let threads = settings.threads, ampThreads = ampParallel ? threads : .serial
        let schedule = gatheredSchedule
        forwardPhys = schedule?.finalMemoryPhys
        let physOfLogical = schedule?.finalMemoryPhys ?? Array(0..<n)
        let passTally = WorkspaceTally()
        defer { counters.statePasses += passTally.bytes }
        slotAngles.withUnsafeBufferPointer { ang in
            let shared = shareNonInput && batch > 0
                ? (0..<nSteps).map { dependsOnInputs[$0] ? Mat2.identity : stepMatrix($0, ang.baseAddress!) } : []
            let body: (Int, Int) -> Void = { lo, hi in
                let z = UnsafeMutablePointer<Double>.allocate(capacity: n)
                defer { z.deallocate() }
                for b in lo..<hi {
                    let r = self.re + b * dim, i = self.im + b * dim
                    let a = ang.baseAddress! + b * ns
                    ampThreads.forChunks(dim, minPerChunk: 1 << 16) { lo, hi in
                        (r + lo).initialize(repeating: 0, count: hi - lo); (i + lo).initialize(repeating: 0, count: hi - lo)
                    }
                    r[0] = 1
                    if let schedule {
                        let ms = (0..<nSteps).map { s in (!shared.isEmpty && !self.dependsOnInputs[s]) ? shared[s] : self.stepMatrix(s, a) }
                        passTally.add(self.blockedForward(schedule, ms, r, i, threads: ampThreads))
                    } else {
                        for s in 0..<nSteps {
                            let m = (!shared.isEmpty && !self.dependsOnInputs[s]) ? shared[s] : self.stepMatrix(s, a)
                            self.apply(s, m, r, i, threads: ampThreads)
                        }
                        passTally.add(nSteps)
                    }
                    z.initialize(repeating: 0, count: n)
                    if ampParallel {
                        // Per-thread partial sums of the readout, combined under a lock.
                        let lock = NSLock()
                        threads.forChunks(dim, minPerChunk: 1 << 16) { lo, hi in
                            var part = [Double](repeating: 0, count: n)
                            part.withUnsafeMutableBufferPointer {
                                Kernels.accumulateZ(r, i, local: n, base: 0, lo, hi, into: $0.baseAddress!, bits: n)
                            }
                            lock.lock(); for w in 0..<n { z[w] += part[w] }; lock.unlock()
                        }
                    } else {
                        Kernels.accumulateZ(r, i, local: n, base: 0, 0, dim, into: z, bits: n)
                    }
                    for w in 0..<n { expvals[b * n + w] = z[physOfLogical[n - 1 - w]] }
                }
            }
            if ampParallel { body(0, batch) } else { threads.forChunks(batch, body) }
        }
    }

    /// Vector-Jacobian product of sum_{b,i} g[b,i] <Z_i>_b after `forward`, by `method`.
    /// Writes gradInputs [B, nInputs] and gradWeights [nWeights] (summed over the batch).
    public func backward(upstream: UnsafePointer<Double>, gradInputs: UnsafeMutablePointer<Double>?,
                         gradWeights: UnsafeMutablePointer<Double>?, method: DiffMethod) {
        let ns = program.nSlots
        var slotGrads = [Double](repeating: 0, count: Swift.max(1, batch * ns))
        slotGrads.withUnsafeMutableBufferPointer { sg in
            switch method {
            case .adjoint: backwardSlots(upstream: upstream, slotGrads: sg.baseAddress!)
            case .parameterShift: parameterShiftSlots(upstream: upstream, slotGrads: sg.baseAddress!)
            }
        }
        mapSlotGradients(slotGrads, gradInputs: gradInputs, gradWeights: gradWeights)
    }

    /// Array convenience: returns (gradInputs [B, nInputs], gradWeights [nWeights]).
    public func backward(upstream: [Double], method: DiffMethod = .adjoint) -> (inputs: [Double], weights: [Double]) {
        precondition(upstream.count == batch * circuit.nQubits, "backward: upstream must be [\(batch), \(circuit.nQubits)]")
        var gi = [Double](repeating: 0, count: batch * circuit.nInputs)
        var gw = [Double](repeating: 0, count: circuit.nWeights)
        upstream.withUnsafeBufferPointer { g in gi.withUnsafeMutableBufferPointer { x in gw.withUnsafeMutableBufferPointer { w in
            backward(upstream: g.baseAddress!, gradInputs: x.baseAddress, gradWeights: w.baseAddress, method: method)
        } } }
        return (gi, gw)
    }

    /// Chain rule from per-sample slot gradients to inputs (per sample) and weights (summed).
    func mapSlotGradients(_ slotGrads: [Double], gradInputs: UnsafeMutablePointer<Double>?,
                          gradWeights: UnsafeMutablePointer<Double>?) {
        let ns = program.nSlots, ni = circuit.nInputs
        gradInputs?.initialize(repeating: 0, count: batch * ni)
        gradWeights?.initialize(repeating: 0, count: circuit.nWeights)
        for b in 0..<batch {
            for (s, r) in program.slotRefs.enumerated() {
                let g = slotGrads[b * ns + s] * r.scale
                switch r.source {
                case .input: gradInputs?[b * ni + r.index] += g
                case .weight: gradWeights?[r.index] += g
                case .constant: break
                }
            }
        }
    }

    /// Per-sample slot gradients [B, nSlots] by the adjoint method.
    func backwardSlots(upstream: UnsafePointer<Double>, slotGrads: UnsafeMutablePointer<Double>) {
        counters.adjointSweeps += batch
        if usedLanes { laneBackward(upstream: upstream, slotGrads: slotGrads); return }
        let nSteps = kinds.count, n = circuit.nQubits, ns = program.nSlots, dim = self.dim
        let ampParallel = batch == 1 && n >= settings.amplitudeParallelQubits
        let ampThreads = ampParallel ? settings.threads : .serial
        let workspace = WorkspaceTally()
        defer { workspacePeakBytes = Swift.max(workspacePeakBytes, workspace.bytes) }
        let schedule = gatheredSchedule, phys = forwardPhys ?? Array(0..<n)
        let passTally = WorkspaceTally()
        defer { counters.statePasses += passTally.bytes }
        slotAngles.withUnsafeBufferPointer { ang in
            let body: (Int, Int) -> Void = { lo, hi in
                let pr = self.takeAdjointBuffer()
                workspace.add(self.adjointWorkspaceDoubles * MemoryLayout<Double>.stride)
                defer { self.returnAdjointBuffer(pr) }
                let sk = Self.adjointSkew, pi = pr + dim + sk, lr = pi + dim + sk, li = lr + dim + sk
                for b in lo..<hi {
                    let a = ang.baseAddress! + b * ns
                    // phi = psi, lambda = H psi with H = sum_i g_i Z_i (diagonal), in the forward's
                    // layout, in one pass: H's diagonal is a sum of per-byte tables of the index.
                    let g = upstream + b * n
                    let tables = Self.diagonalTables(n: n, phys: phys) { g[$0] }
                    let sr = self.re + b * dim, si = self.im + b * dim
                    tables.withUnsafeBufferPointer { tp in
                        let t = tp.baseAddress!, bytes = (n + 7) / 8
                        ampThreads.forChunks(dim, minPerChunk: 1 << 14) { lo, hi in
                            for k in lo..<hi {
                                var h = 0.0
                                for c in 0..<bytes { h += t[c << 8 | ((k >> (8 * c)) & 255)] }
                                let xr = sr[k], xi = si[k]
                                pr[k] = xr; pi[k] = xi; lr[k] = h * xr; li[k] = h * xi
                            }
                        }
                    }
                    passTally.add(1)
                    if let schedule {
                        passTally.add(self.blockedAdjoint(schedule, a, pr, pi, lr, li, slotGrads + b * ns, threads: ampThreads))
                    } else {
                        for s in stride(from: nSteps - 1, through: 0, by: -1) {
                            self.adjointStep(s, a, pr, pi, lr, li, slotGrads + b * ns, threads: ampThreads)
                        }
                        passTally.add(nSteps)
                    }
                }
            }
            if ampParallel { body(0, batch) } else { settings.threads.forChunks(batch, body) }
        }
    }

    /// H = sum_w g(w) Z_w as tables over the bytes of a (physical) amplitude index:
    /// H[k] = sum_c tables[c * 256 + byte c of k]; `phys[l]` is the physical bit of logical bit l.
    static func diagonalTables(n: Int, phys: [Int], _ g: (Int) -> Double) -> [Double] {
        let bytes = (n + 7) / 8
        var t = [Double](repeating: 0, count: bytes * 256)
        for w in 0..<n {
            let p = phys[n - 1 - w], c = p / 8, bit = p % 8
            for v in 0..<256 { t[c * 256 + v] += (v >> bit) & 1 == 0 ? g(w) : -g(w) }
        }
        return t
    }

    /// Undoes step s on phi and lambda and adds 2 Re <lambda| dU |phi> to each of its slots.
    private func adjointStep(_ s: Int, _ a: UnsafePointer<Double>, _ pr: UnsafeMutablePointer<Double>,
                             _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>,
                             _ li: UnsafeMutablePointer<Double>, _ grads: UnsafeMutablePointer<Double>, threads: Threads) {
        switch program.steps[s] {
        case .cnot, .cz:
            apply(s, .identity, pr, pi, threads: threads)
            apply(s, .identity, lr, li, threads: threads)
        case let .fusedCNOT(c, t, factors, _):
            // V = CNOT (U on t): V^dagger = U^dagger CNOT, so undo the CNOT on both, then U.
            Kernels.applyCNOTAll(pr, pi, control: c, target: t, dim: dim, threads: threads)
            Kernels.applyCNOTAll(lr, li, control: c, target: t, dim: dim, threads: threads)
            let u = program.matrix(factors, a).dagger
            let m = contraction(control: -1, target: t, u, pr, pi, lr, li, range: dim >> 1, threads: threads)
            for (slot, d) in program.derivatives(factors, a) { grads[slot] += 2 * d.realContraction(m) }
        case let .single(bit, factors, _, _):
            let u = program.matrix(factors, a).dagger
            let hasSlots = factors.contains { $0.1 >= 0 }
            if !hasSlots {
                apply(s, u, pr, pi, threads: threads); apply(s, u, lr, li, threads: threads)
                return
            }
            let m = contraction(control: -1, target: bit, u, pr, pi, lr, li, range: dim >> 1, threads: threads)
            for (slot, d) in program.derivatives(factors, a) { grads[slot] += 2 * d.realContraction(m) }
        case let .controlled(c, t, f, slot, _):
            let u = f.matrix(a[slot]).dagger
            let m = contraction(control: c, target: t, u, pr, pi, lr, li, range: dim >> 2, threads: threads)
            grads[slot] += 2 * f.derivative(a[slot]).realContraction(m)
        }
    }

    private func contraction(control: Int, target: Int, _ u: Mat2, _ pr: UnsafeMutablePointer<Double>,
                             _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>,
                             _ li: UnsafeMutablePointer<Double>, range: Int, threads: Threads) -> Mat2 {
        if threads.count == 1 { return Kernels.adjointStep(pr, pi, lr, li, control: control, target: target, u, 0, range) }
        let lock = NSLock()
        var total = Mat2.zero
        threads.forChunks(range, minPerChunk: 1 << 12) { lo, hi in
            let m = Kernels.adjointStep(pr, pi, lr, li, control: control, target: target, u, lo, hi)
            lock.lock()
            total = Mat2(total.ar + m.ar, total.ai + m.ai, total.br + m.br, total.bi + m.bi,
                         total.cr + m.cr, total.ci + m.ci, total.dr + m.dr, total.di + m.di)
            lock.unlock()
        }
        return total
    }

    /// Final amplitudes of sample b from the last forward (for tests and exporters).
    public func amplitudes(sample b: Int) -> (re: [Double], im: [Double]) {
        precondition(b < batch)
        if usedLanes {
            let base = lanes + (b / laneWidth) * 2 * dim, l = b % laneWidth
            return ((0..<dim).map { base[$0][l] }, (0..<dim).map { base[dim + $0][l] })
        }
        let r = re + b * dim, i = im + b * dim
        guard let phys = forwardPhys, phys != Array(0..<circuit.nQubits) else {
            return (Array(UnsafeBufferPointer(start: r, count: dim)), Array(UnsafeBufferPointer(start: i, count: dim)))
        }
        let at = (0..<dim).map { Self.physicalIndex($0, phys) }
        return (at.map { r[$0] }, at.map { i[$0] })
    }
}
