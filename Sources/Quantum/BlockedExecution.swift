// The blocked schedule (BlockedPlan.swift) run pass by pass: BlockedSchedule holds a lowered
// program's step table and its plan, and runs one permutation or block pass of the forward or of
// the adjoint sweep on a run of amplitudes. Its two users: CircuitExecutor on one whole state
// (here; the per-gate path, settings blockQubits = 0, stays as the reference these must equal),
// and ShardedStatevector on each rank's shard, which also runs the plan's exchange passes.
// Inside a block, consecutive 2x2 steps run in pairs and the adjoint undoes a step (CNOT
// included) in one sweep (BlockedFusion.swift).

import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel for transparent huge pages over a large state buffer (where THP is
/// "madvise", the default here): the permutation passes jump across the whole state, and with
/// 4 KiB pages every 8-amplitude run they move costs a TLB miss. Advisory; failures are ignored.
func adviseHugePages(_ p: UnsafeMutablePointer<Double>, count: Int) {
    #if canImport(Glibc)
    let bytes = count * MemoryLayout<Double>.stride, huge = 2 << 20
    guard bytes >= 2 * huge else { return }
    let start = (Int(bitPattern: p) + huge - 1) & ~(huge - 1), end = (Int(bitPattern: p) + bytes) & ~(huge - 1)
    if end > start, let q = UnsafeMutableRawPointer(bitPattern: start) { _ = madvise(q, end - start, MADV_HUGEPAGE) }
    #endif
}

/// A lowered program with its blocked schedule: what runs each pass on a run of amplitudes.
struct BlockedSchedule {
    let program: Program
    let plan: BlockedPlan
    /// The flat step table (Step.table): kernel and logical bits of every step.
    let kinds: [StepKind]
    let bitA: [Int]
    let bitB: [Int]

    /// - Parameters: localQubits: the physical bits held here (n for one whole state);
    ///   initialPhys: the layout the first pass starts in (nil: canonical).
    init(program: Program, blockQubits: Int, localQubits: Int? = nil, initialPhys: [Int]? = nil) {
        self.program = program
        let table = program.steps.map(\.table), hasSlots = program.stepHasSlots
        kinds = table.map(\.kind); bitA = table.map(\.bitA); bitB = table.map(\.bitB)
        plan = BlockedPlan(nQubits: program.nQubits,
                           needs: table.indices.map { BlockedPlan.mixingBit(table[$0].kind, table[$0].bitA, table[$0].bitB, hasSlots: hasSlots[$0]) },
                           blockQubits: blockQubits, localQubits: localQubits, initialPhys: initialPhys)
    }

    /// Runs one permutation or block pass of the forward on `count` amplitudes at r, i whose
    /// first has global index `base` (0 for a whole state, rank << localQubits on a shard: a
    /// block reads its high control and diagonal bits, rank bits included, from its base).
    /// `ms[s]` is step s's matrix. Exchange passes move amplitudes between ranks: the sharded
    /// state runs those itself.
    func forward(_ pass: BlockedPass, _ ms: [Mat2], _ r: UnsafeMutablePointer<Double>, _ i: UnsafeMutablePointer<Double>,
                 count: Int, base: Int, threads: Threads) {
        let bq = plan.blockQubits
        switch pass {
        case let .permute(pairs):
            let runBits = plan.runQubits
            threads.forChunks(count >> runBits, minPerChunk: 1 << 10) { lo, hi in
                BlockedKernels.permute(r, i, pairs: pairs, runBits: runBits, lo, hi)
            }
        case .exchange:
            preconditionFailure("an exchange pass trades amplitudes with another rank: ShardedStatevector runs it")
        case let .block(steps, phys):
            let a = steps.map { bitA[$0] < 0 ? -1 : phys[bitA[$0]] }, b = steps.map { bitB[$0] < 0 ? -1 : phys[bitB[$0]] }
            let k = steps.map { kinds[$0] }, m = steps.map { ms[$0] }
            let forms = k.indices.map { BlockedKernels.targetForm(k[$0], a[$0], b[$0], m[$0]) }
            let groups = BlockedKernels.pairSchedule(forms)
            threads.forChunks(count >> bq) { lo, hi in
                for blk in lo..<hi {
                    let at = blk << bq
                    for (j, paired) in groups {
                        if paired { BlockedKernels.applyPair(forms[j]!, forms[j + 1]!, r + at, i + at, base: base | at, bq: bq) }
                        else { BlockedKernels.step(k[j], a[j], b[j], m[j], r + at, i + at, base: base | at, bq: bq) }
                    }
                }
            }
        }
    }

    /// Runs one permutation or block pass of the adjoint sweep (the caller walks the passes
    /// backwards from the forward's final layout) on `count` amplitudes of phi (pr, pi) and
    /// lambda (lr, li) whose first has global index `base`. Adds 2 Re <lambda| dU |phi>, this
    /// run's part of it, to each slot in `grads` (the parts of a sharded state's ranks add up).
    func adjoint(_ pass: BlockedPass, _ angles: UnsafePointer<Double>, _ pr: UnsafeMutablePointer<Double>,
                 _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>, _ li: UnsafeMutablePointer<Double>,
                 _ grads: UnsafeMutablePointer<Double>, count: Int, base: Int, threads: Threads) {
        let bq = plan.blockQubits
        switch pass {
        case let .permute(pairs):
            // A product of disjoint bit transpositions is its own inverse.
            let runBits = plan.runQubits
            threads.forChunks(count >> runBits, minPerChunk: 1 << 10) { lo, hi in
                BlockedKernels.permute(pr, pi, pairs: pairs, runBits: runBits, lo, hi)
                BlockedKernels.permute(lr, li, pairs: pairs, runBits: runBits, lo, hi)
            }
        case .exchange:
            preconditionFailure("an exchange pass trades amplitudes with another rank: ShardedStatevector runs it")
        case let .block(steps, phys):
            let order = Array(steps.reversed())
            let a = order.map { bitA[$0] < 0 ? -1 : phys[bitA[$0]] }, b = order.map { bitB[$0] < 0 ? -1 : phys[bitB[$0]] }
            let u = order.map { program.stepMatrix($0, angles).dagger }
            let slots = order.map { program.stepHasSlots[$0] }
            var total = [Mat2](repeating: .zero, count: order.count)
            let lock = NSLock()
            threads.forChunks(count >> bq) { lo, hi in
                var part = [Mat2](repeating: .zero, count: order.count)
                for blk in lo..<hi {
                    let at = blk << bq
                    for j in order.indices {
                        let c = Self.adjointBlockStep(kinds[order[j]], a[j], b[j], u[j], hasSlots: slots[j],
                                                      pr + at, pi + at, lr + at, li + at, base: base | at, bq: bq)
                        if let c { part[j] = part[j] + c }
                    }
                }
                lock.lock(); for j in order.indices { total[j] = total[j] + part[j] }; lock.unlock()
            }
            for (j, s) in order.enumerated() where slots[j] {
                switch program.steps[s] {
                case let .single(_, factors, _, _), let .fusedCNOT(_, _, factors, _):
                    for (slot, d) in program.derivatives(factors, angles) { grads[slot] += 2 * d.realContraction(total[j]) }
                case let .controlled(_, _, f, slot, _):
                    grads[slot] += 2 * f.derivative(angles[slot]).realContraction(total[j])
                default: break
                }
            }
        }
    }

    /// Undoes one step on a block of phi and lambda (u: the inverse of the step's matrix) and,
    /// for a step with angles, returns this block's contraction M_ab = sum conj(lambda_a) phi_b
    /// (old lambda, new phi; see Kernels.adjointStep); nil where the step has no angles.
    static func adjointBlockStep(_ kind: StepKind, _ a: Int, _ b: Int, _ u: Mat2, hasSlots: Bool,
                                 _ pr: UnsafeMutablePointer<Double>, _ pi: UnsafeMutablePointer<Double>,
                                 _ lr: UnsafeMutablePointer<Double>, _ li: UnsafeMutablePointer<Double>,
                                 base: Int, bq: Int) -> Mat2? {
        let size = 1 << bq
        @inline(__always) func set(_ bit: Int) -> Bool { (base >> bit) & 1 == 1 }
        if hasSlots && (kind == .dense || kind == .controlled || kind == .denseThenCNOT) {
            // One sweep of phi and lambda per step, CNOT included (BlockedFusion.swift).
            return BlockedKernels.adjointTargetStep(kind, a, b, u, pr, pi, lr, li, base: base, bq: bq)
        }
        if kind == .denseThenCNOT {
            // V = CNOT (U on b): undo the CNOT on both, then U (with the contraction).
            BlockedKernels.step(.cnot, a, b, .identity, pr, pi, base: base, bq: bq)
            BlockedKernels.step(.cnot, a, b, .identity, lr, li, base: base, bq: bq)
            guard hasSlots else {
                BlockedKernels.step(.dense, b, -1, u, pr, pi, base: base, bq: bq)
                BlockedKernels.step(.dense, b, -1, u, lr, li, base: base, bq: bq)
                return nil
            }
            return BlockedKernels.adjointStep(pr, pi, lr, li, control: -1, target: b, u, 0, size >> 1)
        }
        guard hasSlots else {
            BlockedKernels.step(kind, a, b, u, pr, pi, base: base, bq: bq)
            BlockedKernels.step(kind, a, b, u, lr, li, base: base, bq: bq)
            return nil
        }
        switch kind {
        case .dense, .diagonal:
            // Planned with the bit low (BlockedPlan.mixingBit).
            return BlockedKernels.adjointStep(pr, pi, lr, li, control: -1, target: a, u, 0, size >> 1)
        case .denseThenCNOT:
            return nil  // handled above
        case .controlled:
            if a < bq { return BlockedKernels.adjointStep(pr, pi, lr, li, control: a, target: b, u, 0, size >> 2) }
            return set(a) ? BlockedKernels.adjointStep(pr, pi, lr, li, control: -1, target: b, u, 0, size >> 1) : .zero
        case .cnot, .cz:
            BlockedKernels.step(kind, a, b, u, pr, pi, base: base, bq: bq)
            BlockedKernels.step(kind, a, b, u, lr, li, base: base, bq: bq)
            return nil
        }
    }
}

extension CircuitExecutor {
    /// Applies every step to one state on the blocked schedule; `ms[s]` is step s's matrix.
    /// Returns the passes that swept the whole state (permutations and block passes).
    ///
    /// fromZeroState: the state is |0> (as every forward starts). Until the first block pass it
    /// stays |0>: a permutation of index bits fixes amplitude 0, so leading permutations are
    /// skipped; and in that first block pass every block but block 0 is zero and stays zero
    /// (its steps act inside blocks; a high control only picks the matrix), so it runs on block 0
    /// alone: at 24 qubits, one of the two block passes' arithmetic is 1/512 of a sweep. Such a
    /// pass is not counted as a sweep unless block 0 is the whole state.
    func blockedForward(_ schedule: BlockedSchedule, _ ms: [Mat2], _ r: UnsafeMutablePointer<Double>,
                        _ i: UnsafeMutablePointer<Double>, fromZeroState: Bool, threads: Threads) -> Int {
        var zero = fromZeroState, sweeps = 0
        let blockSize = 1 << schedule.plan.blockQubits
        for pass in schedule.plan.passes {
            if zero {
                if case .permute = pass { continue }
                if case .block = pass {
                    schedule.forward(pass, ms, r, i, count: Swift.min(dim, blockSize), base: 0, threads: threads)
                    zero = false
                    if blockSize >= dim { sweeps += 1 }
                    continue
                }
            }
            schedule.forward(pass, ms, r, i, count: dim, base: 0, threads: threads)
            sweeps += 1
        }
        return sweeps
    }

    /// The adjoint sweep of one sample on the blocked schedule, walking the passes backwards from
    /// the forward's final layout: phi and lambda (re, im) start as psi and H psi in that layout.
    /// Adds 2 Re <lambda| dU |phi> to each slot in `grads`; returns the passes (a pass here
    /// sweeps both phi and lambda).
    ///
    /// fromZeroState: the forward started from |0> (blockedForward's fromZeroState). Then phi, as
    /// the sweep rewinds the forward's first block pass, is again nonzero in block 0 alone: the
    /// other blocks add nothing to the contractions and lambda is not read afterwards, so that
    /// pass runs on block 0 and the permutations before it (phi is |0> there) are skipped, as in
    /// the forward. Returns the passes that swept the whole state.
    func blockedAdjoint(_ schedule: BlockedSchedule, _ angles: UnsafePointer<Double>, _ pr: UnsafeMutablePointer<Double>,
                        _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>,
                        _ li: UnsafeMutablePointer<Double>, _ grads: UnsafeMutablePointer<Double>,
                        fromZeroState: Bool, threads: Threads) -> Int {
        let passes = schedule.plan.passes, blockSize = 1 << schedule.plan.blockQubits
        let firstBlock = fromZeroState ? passes.firstIndex { if case .block = $0 { return true } else { return false } } : nil
        var sweeps = 0
        for (k, pass) in passes.enumerated().reversed() {
            if let f = firstBlock, k <= f {
                if k == f {
                    schedule.adjoint(pass, angles, pr, pi, lr, li, grads, count: Swift.min(dim, blockSize), base: 0, threads: threads)
                    if blockSize >= dim { sweeps += 1 }
                }
                continue
            }
            schedule.adjoint(pass, angles, pr, pi, lr, li, grads, count: dim, base: 0, threads: threads)
            sweeps += 1
        }
        return sweeps
    }

    /// Index of canonical amplitude k in a state laid out by `phys` (physical bit of each logical bit).
    static func physicalIndex(_ k: Int, _ phys: [Int]) -> Int {
        var j = 0
        for (l, p) in phys.enumerated() where (k >> l) & 1 == 1 { j |= 1 << p }
        return j
    }
}

extension Mat2 {
    /// Entry-wise sum (for contraction partials).
    static func + (x: Mat2, y: Mat2) -> Mat2 {
        Mat2(x.ar + y.ar, x.ai + y.ai, x.br + y.br, x.bi + y.bi, x.cr + y.cr, x.ci + y.ci, x.dr + y.dr, x.di + y.di)
    }
}
