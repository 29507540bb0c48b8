// A state on the blocked schedule without permutation passes (CircuitExecutor's whole states,
// ShardedStatevector's shards).
//
// A permutation pass swept the whole state to move amplitude runs of 16 (128 bytes) across it, a
// pass with little arithmetic and poor locality: at 24 qubits it cost about what a block pass
// does. The executor therefore never moves data for one. It composes each permutation into a
// map from the plan's physical bits to memory bits (`GatheredSchedule.memoryBits`), and a block
// pass gathers each block from where its amplitudes lie (runs of 2^runBits contiguous
// amplitudes: the block's lowest bits the permutations left alone, at least the plan's 3
// reserved ones), applies its steps on the gathered copy in L2, and scatters it back: the same
// block pass, one sweep, and no permutation sweep. A block whose bits all sit in place runs in
// memory directly. The state ends in the memory layout `finalMemoryPhys`, which the readout, the
// adjoint's lambda and `amplitudes(sample:)` read through. The sharded state runs the same
// gathered passes on each rank's shard (ShardedStatevector.run): its exchange passes move data
// between ranks, between memory bits (a rank bit and the memory bit its local partner sits at).
//
// From |0> (every forward): until the first block pass the state is |0> and in that pass every
// block but block 0 is zero and stays zero (its steps act inside blocks; a high control only
// picks the matrix), so that pass runs on block 0 alone; the adjoint, rewinding it, finds phi
// nonzero in block 0 alone again (the other blocks add nothing to the contractions and lambda is
// not read afterwards). Such a pass is not counted as a sweep unless block 0 is the whole state.

import Core
import Foundation

/// Where a block pass's blocks lie in memory when the plan's physical bit p is memory bit
/// memoryBit[p].
struct BlockGather {
    let blockQubits: Int
    /// The block's lowest bits that are their own memory bits: its runs of contiguous amplitudes.
    let runBits: Int
    /// Memory offset inside a block of each run (its index's bits at their memory bits).
    let runOffsets: [Int]
    /// Memory bit of each plan-physical bit from blockQubits up.
    let highBits: [Int]
    /// Bit k of a visiting index is bit visitOrder[k] of the plan block index (`visit`).
    let visitOrder: [Int]

    init(memoryBit v: [Int], blockQubits bq: Int) {
        blockQubits = bq
        var l = 0
        while l < bq && v[l] == l { l += 1 }
        runBits = l
        runOffsets = (0..<(1 << (bq - l))).map { j in
            var off = 0
            for k in 0..<(bq - l) where (j >> k) & 1 == 1 { off |= 1 << v[l + k] }
            return off
        }
        let high = Array(v[bq...])
        highBits = high
        visitOrder = high.indices.sorted { high[$0] < high[$1] }
    }

    /// Whether every block is contiguous in memory (it runs in place).
    var inPlace: Bool { runBits >= blockQubits }

    /// Memory index of block blk's first amplitude.
    @inline(__always) func memoryBase(_ blk: Int) -> Int {
        var off = 0, b = blk, k = 0
        while b != 0 {
            if b & 1 == 1 { off |= 1 << highBits[k] }
            b >>= 1; k += 1
        }
        return off
    }

    /// The n-th block in visiting order: its plan index (the block's base is that << blockQubits)
    /// and its memory base. Blocks are visited with their memory bits counting up from the
    /// lowest, so that consecutive blocks gather neighbouring runs: in plan order the first
    /// high bit may be a high memory bit, and every block then jumps across the state.
    @inline(__always) func visit(_ n: Int) -> (block: Int, memory: Int) {
        var blk = 0, off = 0, b = n, k = 0
        while b != 0 {
            if b & 1 == 1 { blk |= 1 << visitOrder[k]; off |= 1 << highBits[visitOrder[k]] }
            b >>= 1; k += 1
        }
        return (blk, off)
    }

    @inline(__always) func gather(_ src: UnsafeMutablePointer<Double>, at base: Int, into dst: UnsafeMutablePointer<Double>) {
        let len = 1 << runBits
        runOffsets.withUnsafeBufferPointer { offs in
            for j in offs.indices { Self.copyRun(from: src + base + offs[j], to: dst + (j << runBits), count: len) }
        }
    }

    @inline(__always) func scatter(_ src: UnsafeMutablePointer<Double>, into dst: UnsafeMutablePointer<Double>, at base: Int) {
        let len = 1 << runBits
        runOffsets.withUnsafeBufferPointer { offs in
            for j in offs.indices { Self.copyRun(from: src + (j << runBits), to: dst + base + offs[j], count: len) }
        }
    }

    /// Copies one run (a power of two, at least 16 doubles: the plan's reserved bits). Short runs
    /// are most of a gather, and a memmove call per 128 bytes cost about as much as the block's
    /// arithmetic, so they are copied inline in 4-wide vectors.
    @inline(__always) static func copyRun(from src: UnsafeMutablePointer<Double>, to dst: UnsafeMutablePointer<Double>, count: Int) {
        guard count <= 64 else { dst.update(from: src, count: count); return }
        var k = 0
        while k < count {
            UnsafeMutableRawPointer(dst + k).storeBytes(of: UnsafeRawPointer(src + k).loadUnaligned(as: SIMD4<Double>.self), as: SIMD4<Double>.self)
            k += 4
        }
    }
}

/// A blocked schedule as the executor and the sharded state run it: per pass, the memory map in
/// force (nil for permutation passes, which only compose it), an exchange pass's bit pairs in
/// memory bits, and the layout the state ends in.
struct GatheredSchedule {
    let schedule: BlockedSchedule
    /// Per pass: the gather of a block pass, nil for a permutation or exchange pass.
    let gathers: [BlockGather?]
    /// Per pass: an exchange pass's (global bit, local memory bit) pairs, empty for the others.
    /// A rank bit is its own memory bit; the local plan bit it trades with sits at memory bit
    /// memoryBit[l], and after the exchange that memory bit holds what the plan's bit l holds.
    let exchangePairs: [[(Int, Int)]]
    /// Memory bit of each logical bit after the last pass.
    let finalMemoryPhys: [Int]
    /// Index of the first block pass (the one that runs on block 0 alone from |0>).
    let firstBlock: Int?
    /// The first exchange pass after the first block pass with no block pass between (sharded
    /// plans): from |0> the state is nonzero in block 0 of rank 0 alone there, so its first pair
    /// moves only that block's amplitudes, forward and in the adjoint's rewind
    /// (ShardedStatevector.exchangeFirstBlock).
    var exchangeAfterFirstBlock: Int? {
        guard let f = firstBlock else { return nil }
        for j in (f + 1)..<schedule.plan.passes.count {
            switch schedule.plan.passes[j] {
            case .block: return nil
            case .exchange: return j
            case .permute: continue
            }
        }
        return nil
    }

    init(_ schedule: BlockedSchedule) {
        self.schedule = schedule
        let plan = schedule.plan, n = schedule.program.nQubits
        var memoryBit = Array(0..<n)
        var gathers: [BlockGather?] = [], exchangePairs: [[(Int, Int)]] = []
        for pass in plan.passes {
            switch pass {
            case let .permute(pairs):
                for (h, l) in pairs { memoryBit.swapAt(h, l) }
                gathers.append(nil); exchangePairs.append([])
            case .block:
                gathers.append(BlockGather(memoryBit: memoryBit, blockQubits: plan.blockQubits)); exchangePairs.append([])
            case let .exchange(pairs):
                precondition(plan.localQubits < n, "a single-process plan has no exchanges")
                gathers.append(nil); exchangePairs.append(pairs.map { ($0.0, memoryBit[$0.1]) })
            }
        }
        self.gathers = gathers; self.exchangePairs = exchangePairs
        finalMemoryPhys = plan.finalPhys.map { memoryBit[$0] }
        firstBlock = plan.firstBlockPass
    }

    /// Block pass k forward on `blocks` blocks of a state (or shard) at r, i whose first
    /// amplitude has global index `base` (0, or rank << localQubits: high control and diagonal
    /// bits, rank bits included, are read from it). `ms[s]` is step s's matrix.
    func forwardBlock(_ k: Int, _ ms: [Mat2], _ r: UnsafeMutablePointer<Double>, _ i: UnsafeMutablePointer<Double>,
                      blocks: Int, base: Int, threads: Threads) {
        guard case let .block(steps, phys) = schedule.plan.passes[k], let g = gathers[k] else { preconditionFailure("pass \(k) is not a block pass") }
        let bq = schedule.plan.blockQubits, run = schedule.blockRunner(steps, phys, ms)
        threads.forChunks(blocks) { lo, hi in
            if g.inPlace {
                for blk in lo..<hi { let at = g.memoryBase(blk); run(r + at, i + at, base | blk << bq) }
                return
            }
            let size = 1 << bq, buf = UnsafeMutablePointer<Double>.allocate(capacity: 2 * size)
            defer { buf.deallocate() }
            for nth in lo..<hi {
                let (blk, at) = g.visit(nth)
                g.gather(r, at: at, into: buf); g.gather(i, at: at, into: buf + size)
                run(buf, buf + size, base | blk << bq)
                g.scatter(buf, into: r, at: at); g.scatter(buf + size, into: i, at: at)
            }
        }
    }

    /// Block pass k of the adjoint sweep on `blocks` blocks of phi (pr, pi) and lambda (lr, li)
    /// whose first amplitude has global index `base`; adds this run's part of 2 Re <lambda| dU |phi>
    /// to each slot in `grads` (the parts of a sharded state's ranks add up).
    func adjointBlock(_ k: Int, _ angles: UnsafePointer<Double>, _ pr: UnsafeMutablePointer<Double>,
                      _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>, _ li: UnsafeMutablePointer<Double>,
                      _ grads: UnsafeMutablePointer<Double>, blocks: Int, base: Int, threads: Threads) {
        guard case let .block(steps, phys) = schedule.plan.passes[k], let g = gathers[k] else { preconditionFailure("pass \(k) is not a block pass") }
        let bq = schedule.plan.blockQubits, undo = schedule.adjointPass(steps, phys, angles)
        undo.sweep(blocks: blocks, threads: threads, angles: angles, grads: grads) { lo, hi, part in
            if g.inPlace {
                for blk in lo..<hi {
                    let at = g.memoryBase(blk)
                    undo.run(pr + at, pi + at, lr + at, li + at, base: base | blk << bq, into: &part)
                }
                return
            }
            let size = 1 << bq, buf = UnsafeMutablePointer<Double>.allocate(capacity: 4 * size)
            defer { buf.deallocate() }
            let arrays = [pr, pi, lr, li]
            for nth in lo..<hi {
                let (blk, at) = g.visit(nth)
                for (j, x) in arrays.enumerated() { g.gather(x, at: at, into: buf + j * size) }
                undo.run(buf, buf + size, buf + 2 * size, buf + 3 * size, base: base | blk << bq, into: &part)
                for (j, x) in arrays.enumerated() { g.scatter(buf + j * size, into: x, at: at) }
            }
        }
    }
}

extension CircuitExecutor {
    /// Applies every step to one state (which is |0>) on the blocked schedule; `ms[s]` is step s's
    /// matrix. Returns the passes that swept the whole state; the state ends in the layout
    /// `gathered.finalMemoryPhys`.
    func blockedForward(_ gathered: GatheredSchedule, _ ms: [Mat2], _ r: UnsafeMutablePointer<Double>,
                        _ i: UnsafeMutablePointer<Double>, threads: Threads) -> Int {
        let bq = gathered.schedule.plan.blockQubits
        var sweeps = 0
        for k in gathered.gathers.indices where gathered.gathers[k] != nil {
            let fromZero = k == gathered.firstBlock
            gathered.forwardBlock(k, ms, r, i, blocks: fromZero ? 1 : dim >> bq, base: 0, threads: threads)
            if !fromZero || dim >> bq == 1 { sweeps += 1 }
        }
        return sweeps
    }

    /// The adjoint sweep of one sample on the blocked schedule, walking the block passes backwards
    /// from the forward's final layout: phi and lambda (re, im) start as psi and H psi in that
    /// layout (`finalMemoryPhys`). Adds 2 Re <lambda| dU |phi> to each slot in `grads`; returns
    /// the passes that swept the whole state (a pass here sweeps both phi and lambda).
    func blockedAdjoint(_ gathered: GatheredSchedule, _ angles: UnsafePointer<Double>, _ pr: UnsafeMutablePointer<Double>,
                        _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>,
                        _ li: UnsafeMutablePointer<Double>, _ grads: UnsafeMutablePointer<Double>, threads: Threads) -> Int {
        let bq = gathered.schedule.plan.blockQubits
        var sweeps = 0
        for k in gathered.gathers.indices.reversed() where gathered.gathers[k] != nil {
            let fromZero = k == gathered.firstBlock
            gathered.adjointBlock(k, angles, pr, pi, lr, li, grads, blocks: fromZero ? 1 : dim >> bq, base: 0, threads: threads)
            if !fromZero || dim >> bq == 1 { sweeps += 1 }
        }
        return sweeps
    }
}
