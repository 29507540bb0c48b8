// Blocked execution of a lowered Program on ONE large state: fewer passes over memory.
//
// Per-gate execution sweeps the whole state once per step (25 sweeps for a 24-qubit
// StronglyEntangling layer), each bound by memory bandwidth. Here the steps are cut into windows;
// within a window every step's "mixing" bit (the target of a dense 2x2 or of a CNOT/controlled
// step) is one of the low `blockQubits` physical bits, so the state splits into independent
// blocks of 2^blockQubits amplitudes that fit in cache: each block is loaded once, every step of
// the window runs on it, then the next block (one pass per window). Controls and diagonal bits
// may be high: inside a block they are constants read from the block's base index.
//
// Wires that a window needs low but sit high are brought down by qubit remapping, the same move
// as a sharded wire made local (QubitRemap.swift): one permutation pass swaps several (high, low)
// bit pairs at once, and a logical-to-physical map follows. Which low bits to push out is
// Belady's choice (needed furthest ahead). The lowest `reservedQubits` physical bits are never
// swapped, so a permutation moves contiguous runs of 2^reservedQubits amplitudes (whole cache
// lines). The final layout is left as is: readout and the adjoint read through the map. No user
// moves data for a permutation: one whole state (CircuitExecutor) and each shard of a sharded
// state gather every later block from where it lies (BlockedGather.swift).
//
// The same plan runs on each rank's shard of a sharded state (ShardedStatevector): there the
// physical bits from `localQubits` up are rank bits, a block's base index carries the rank's
// value of them (so a high control or diagonal bit may be a rank bit), and a wire a window needs
// low that sits on a rank bit comes down by an exchange pass (half a shard traded with the partner
// rank, QubitRemap.swift) instead of a permutation. Such wires take the low bits needed furthest
// ahead, since sending one back costs another exchange.

import Core

/// One pass of the blocked schedule.
enum BlockedPass {
    /// Swaps physical bit positions pairs[k].0 <-> pairs[k].1 (a permutation of amplitudes).
    case permute([(Int, Int)])
    /// Sharded states only: rank bit pairs[k].0 trades places with local bit pairs[k].1, one
    /// half-shard exchange with the partner rank each (ShardedStatevector.exchangeBits).
    case exchange([(Int, Int)])
    /// Steps `steps` applied block by block; `phys[logical bit]` is the layout they run in.
    case block(steps: Range<Int>, phys: [Int])
}

/// The blocked schedule of a program: passes in order and the layout after the last one.
struct BlockedPlan {
    let blockQubits: Int
    /// Physical bits below this are this process's (local); from it up they are rank bits.
    let localQubits: Int
    /// The low physical bits never swapped: `reservedQubits`, or 0 where the block is a whole
    /// shard of a sharded state (no permutations; exchanges may then take any local bit).
    let runQubits: Int
    let passes: [BlockedPass]
    /// Physical bit of each logical bit (n - 1 - wire) before the first and after the last pass.
    let initialPhys: [Int]
    let finalPhys: [Int]

    /// Index of the first block pass. A run from |0> finds the state still |0> before it (a bit
    /// permutation or exchange fixes amplitude 0), and in it every block but block 0 stays zero
    /// (BlockedGather.swift, ShardedStatevector.run).
    var firstBlockPass: Int? { passes.firstIndex { if case .block = $0 { return true } else { return false } } }

    /// The low physical bits never swapped by a permutation: runs of 2^4 doubles (two cache
    /// lines of re, two of im). The executor gathers a block from such runs scattered across the
    /// whole state; at 24 qubits 16-double runs made a deep StronglyEntangling layer about 10-20%
    /// cheaper than 8-double ones with the same passes, 32 cost one more pass per two layers.
    static let reservedQubits = 4

    /// The logical bit a step needs low (its mixing target), -1 for none. A diagonal step with
    /// angles needs its bit low too: the adjoint's contraction runs on a low bit.
    static func mixingBit(_ kind: StepKind, _ a: Int, _ b: Int, hasSlots: Bool) -> Int {
        switch kind {
        case .dense: return a
        case .diagonal: return hasSlots ? a : -1
        case .cz: return -1
        case .cnot, .controlled, .denseThenCNOT: return b
        }
    }

    /// - Parameters: needs: per step, the logical bit that must be low (-1: none); localQubits:
    ///   the physical bits this process holds (n for one whole state, fewer on a shard);
    ///   initialPhys: the layout before the first pass (nil: logical bit l at physical bit l).
    init(nQubits n: Int, needs: [Int], blockQubits requested: Int, localQubits: Int? = nil, initialPhys: [Int]? = nil) {
        let local = localQubits ?? n
        precondition(local >= 1 && local <= n, "BlockedPlan: \(local) local qubits of \(n)")
        // A block never spans rank bits. Where the block is the whole shard nothing is permuted,
        // so no bit needs fixing and exchanges may take any local bit.
        let bq = Swift.min(local, Swift.max(requested, Self.reservedQubits + 1))
        let reserved = bq == local && local < n ? 0 : Swift.min(Self.reservedQubits, bq)
        blockQubits = bq; self.localQubits = local; runQubits = reserved
        var phys = initialPhys ?? Array(0..<n), logicalAt = [Int](repeating: 0, count: n)
        for (l, p) in phys.enumerated() { logicalAt[p] = l }
        self.initialPhys = phys
        var out: [BlockedPass] = []
        func nextNeed(_ l: Int, from p: Int) -> Int {
            var q = p
            while q < needs.count { if needs[q] == l { return q }; q += 1 }
            return Int.max
        }
        var p = 0
        while p < needs.count {
            // The window: steps from p while the set of bits that must be low (reserved bits plus
            // mixing bits) fits in the block.
            var must = Set((0..<reserved).map { logicalAt[$0] })
            if bq == n { must = Set(0..<n) }
            var q = p
            while q < needs.count {
                let t = needs[q]
                if t >= 0 && !must.contains(t) {
                    if must.count == bq { break }
                    must.insert(t)
                }
                q += 1
            }
            // Incoming bits from rank bits first (they take the victims needed furthest ahead),
            // then by next use; ties by physical bit, so every rank plans the same.
            let incoming = must.filter { phys[$0] >= bq }.sorted {
                let gx = phys[$0] >= local, gy = phys[$1] >= local
                if gx != gy { return gx }
                let x = nextNeed($0, from: p), y = nextNeed($1, from: p)
                return x != y ? x < y : phys[$0] < phys[$1]
            }
            if !incoming.isEmpty {
                // Victims: low bits outside the window, needed furthest ahead (ties: higher bit first).
                let candidates = (reserved..<bq).map { logicalAt[$0] }.filter { !must.contains($0) }
                let victims = candidates.sorted {
                    let x = nextNeed($0, from: q), y = nextNeed($1, from: q)
                    return x != y ? x > y : phys[$0] > phys[$1]
                }
                var exchanged: [(Int, Int)] = [], permuted: [(Int, Int)] = []
                for (k, l) in incoming.enumerated() {
                    let v = victims[k], hp = phys[l], lp = phys[v]
                    if hp >= local { exchanged.append((hp, lp)) } else { permuted.append((hp, lp)) }
                    phys[l] = lp; phys[v] = hp; logicalAt[lp] = l; logicalAt[hp] = v
                }
                if !exchanged.isEmpty { out.append(.exchange(exchanged)) }
                if !permuted.isEmpty { out.append(.permute(permuted)) }
            }
            out.append(.block(steps: p..<q, phys: phys))
            p = q
        }
        passes = out
        finalPhys = phys
    }
}

enum BlockedKernels {
    static let pauliX = Mat2(0, 0, 1, 0, 1, 0, 0, 0)
    static let pauliZ = Mat2(1, 0, 0, 0, 0, 0, -1, 0)

    /// Scales amplitudes 0..<count by sr + i si.
    @inline(__always)
    static func scale(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, _ sr: Double, _ si: Double, _ count: Int) {
        for k in 0..<count {
            let a = re[k], b = im[k]
            re[k] = sr * a - si * b; im[k] = sr * b + si * a
        }
    }

    /// One step on one block of 2^bq amplitudes starting at global index `base`, in physical bits
    /// a (only bit / control) and b (target, -1 for one-bit steps). The mixing bit is < bq; a
    /// high control or diagonal bit is read from `base`.
    @inline(__always)
    static func step(_ kind: StepKind, _ a: Int, _ b: Int, _ m: Mat2, _ r: UnsafeMutablePointer<Double>,
                     _ i: UnsafeMutablePointer<Double>, base: Int, bq: Int) {
        let size = 1 << bq
        @inline(__always) func set(_ bit: Int) -> Bool { (base >> bit) & 1 == 1 }
        switch kind {
        case .dense:
            Kernels.apply2x2(r, i, bit: a, m, 0, size >> 1)
        case .diagonal:
            if a < bq { Kernels.applyDiagonal(r, i, bit: a, m, 0, size) }
            else if set(a) { scale(r, i, m.dr, m.di, size) } else { scale(r, i, m.ar, m.ai, size) }
        case .cnot:
            if a < bq { Kernels.applyCNOT(r, i, control: a, target: b, 0, size >> 2) }
            else if set(a) { Kernels.apply2x2(r, i, bit: b, pauliX, 0, size >> 1) }
        case .cz:
            switch (a < bq, b < bq) {
            case (true, true): Kernels.applyCZ(r, i, a, b, 0, size >> 2)
            case (true, false): if set(b) { Kernels.applyDiagonal(r, i, bit: a, pauliZ, 0, size) }
            case (false, true): if set(a) { Kernels.applyDiagonal(r, i, bit: b, pauliZ, 0, size) }
            case (false, false): if set(a) && set(b) { scale(r, i, -1, 0, size) }
            }
        case .controlled:
            if a < bq { Kernels.applyControlled2x2(r, i, control: a, target: b, m, 0, size >> 2) }
            else if set(a) { Kernels.apply2x2(r, i, bit: b, m, 0, size >> 1) }
        case .denseThenCNOT:
            if a < bq { Kernels.apply2x2ThenCNOT(r, i, control: a, target: b, m, 0, size >> 2) }
            else { Kernels.apply2x2(r, i, bit: b, set(a) ? pauliX * m : m, 0, size >> 1) }
        }
    }
}
