// The blocked schedule (BlockedPlan.swift) block by block: BlockedSchedule holds a lowered
// program's step table and its plan, and makes the body of a block pass of the forward
// (blockRunner) or of the adjoint sweep (adjointPass). Both users, CircuitExecutor on one whole
// state and ShardedStatevector on each rank's shard (which also runs the plan's exchange
// passes), run those bodies on blocks they gather instead of permuting (BlockedGather.swift; the
// per-gate path, settings blockQubits = 0, stays as the reference both must equal).
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

    /// The steps of a block pass as one closure over a block of 2^bq amplitudes at (r, i) whose
    /// first has plan index `base` (high control and diagonal bits are read from it).
    func blockRunner(_ steps: Range<Int>, _ phys: [Int], _ ms: [Mat2])
        -> (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void {
        let bq = plan.blockQubits
        let a = steps.map { bitA[$0] < 0 ? -1 : phys[bitA[$0]] }, b = steps.map { bitB[$0] < 0 ? -1 : phys[bitB[$0]] }
        let k = steps.map { kinds[$0] }, m = steps.map { ms[$0] }
        let forms = k.indices.map { BlockedKernels.targetForm(k[$0], a[$0], b[$0], m[$0]) }
        let groups = BlockedKernels.pairSchedule(forms)
        return { r, i, base in
            for (j, paired) in groups {
                if paired { BlockedKernels.applyPair(forms[j]!, forms[j + 1]!, r, i, base: base, bq: bq) }
                else if bq >= 2, let f = forms[j] {
                    if BlockedKernels.isLow(f) { BlockedKernels.applyLow(f, r, i, base: base, bq: bq) }
                    else { BlockedKernels.applyOne(f, r, i, base: base, bq: bq) }
                } else if bq >= 2 && k[j] == .cnot && b[j] >= 2 {
                    BlockedKernels.applyCNOT(control: a[j], target: b[j], r, i, base: base, bq: bq)
                } else { BlockedKernels.step(k[j], a[j], b[j], m[j], r, i, base: base, bq: bq) }
            }
        }
    }

    /// A block pass of the adjoint sweep with its steps prepared (reversed, in `phys`, inverse
    /// matrices at `angles`), for this schedule's passes and for the executor's gathered blocks.
    func adjointPass(_ steps: Range<Int>, _ phys: [Int], _ angles: UnsafePointer<Double>) -> BlockAdjointPass {
        let order = Array(steps.reversed())
        return BlockAdjointPass(schedule: self, order: order, kinds: order.map { kinds[$0] },
                                a: order.map { bitA[$0] < 0 ? -1 : phys[bitA[$0]] }, b: order.map { bitB[$0] < 0 ? -1 : phys[bitB[$0]] },
                                u: order.map { program.stepMatrix($0, angles).dagger }, slots: order.map { program.stepHasSlots[$0] })
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

/// One block pass of the adjoint sweep, its steps prepared once (BlockedSchedule.adjointPass).
struct BlockAdjointPass {
    let schedule: BlockedSchedule
    /// The pass's steps, last first, with their kinds, physical bits, inverse matrices and
    /// whether they have angles.
    let order: [Int]
    let kinds: [StepKind]
    let a: [Int]
    let b: [Int]
    let u: [Mat2]
    let slots: [Bool]

    /// Undoes the steps on one block of phi and lambda whose first amplitude has plan index
    /// `base`, adding each step's contraction to `part`.
    @inline(__always)
    func run(_ pr: UnsafeMutablePointer<Double>, _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>,
             _ li: UnsafeMutablePointer<Double>, base: Int, into part: inout [Mat2]) {
        let bq = schedule.plan.blockQubits
        for j in kinds.indices {
            let c = BlockedSchedule.adjointBlockStep(kinds[j], a[j], b[j], u[j], hasSlots: slots[j], pr, pi, lr, li, base: base, bq: bq)
            if let c { part[j] = part[j] + c }
        }
    }

    /// Runs `chunk(lo, hi, &part)` over blocks 0..<blocks split across threads, each chunk with
    /// its own partial contractions, then adds 2 Re <lambda| dU |phi> of the summed contractions
    /// to each step's slots in `grads`.
    func sweep(blocks: Int, threads: Threads, angles: UnsafePointer<Double>, grads: UnsafeMutablePointer<Double>,
               _ chunk: (Int, Int, inout [Mat2]) -> Void) {
        var total = [Mat2](repeating: .zero, count: order.count)
        let lock = NSLock()
        threads.forChunks(blocks) { lo, hi in
            var part = [Mat2](repeating: .zero, count: order.count)
            chunk(lo, hi, &part)
            lock.lock(); for j in order.indices { total[j] = total[j] + part[j] }; lock.unlock()
        }
        let program = schedule.program
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

extension CircuitExecutor {
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
