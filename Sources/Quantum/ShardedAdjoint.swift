// Gradients of <Z_i> readouts on a statevector sharded across ranks: the adjoint method (one
// forward, one backward sweep over two sharded states, phi and lambda) and the parameter-shift
// rule (forward passes only). Both return the same vector-Jacobian product as the single-process
// `Gradients.vjp`, summed over ranks, identical on every rank.
//
// Adjoint on shards: phi = U|0> on the blocked schedule (ShardedStatevector.run), lambda = H phi
// with H = sum_w g_w Z_w (diagonal: every rank scales its own amplitudes, reading global bits from
// its rank). The schedule's passes then run backwards on phi and lambda together
// (GatheredSchedule.adjointBlock, the single-process engine's sweep): a block pass undoes its steps
// block by block and contracts lambda with phi at each step with angles; the contraction is a
// sum over amplitude pairs, so per-rank partial sums simply add up and the slot gradients are
// reduced ONCE at the end. An exchange pass runs on phi and lambda alike, so the two keep one
// layout. A control on a rank bit reads this rank's value of it from the block's base index:
// where it is 0 the step is the identity and contributes 0.

import Core
import Foundation

/// Values and vector-Jacobian products of one sample on a sharded state.
public struct ShardedVJP: Sendable {
    /// <Z_w>, [nQubits].
    public var expvals: [Double]
    /// d(sum_w g_w <Z_w>)/d inputs, [nInputs]; / d weights, [nWeights].
    public var inputs: [Double]
    public var weights: [Double]
    /// Exchanges and bytes sent by this rank over the forward and (adjoint) backward sweeps.
    public var exchanges: Int
    public var bytesSent: Int
    /// Passes over this rank's shard (ShardedStatevector.statePasses) over all of them.
    public var statePasses: Int
    /// Forward circuit executions (1 for the adjoint, 1 + 2 per shift term for parameter shift).
    public var forwardRuns: Int
}

/// One circuit evaluated on sharded states sample after sample: its lowered program and blocked
/// schedule, planned once from the canonical layout (every sample starts from |0> in it), and
/// the states, allocated once and reset per sample: phi (the forward's state and the adjoint's
/// phi) and lambda (on the first adjoint). A fresh 24-qubit state per sample cost its page
/// faults and the kernel's zeroing again: 30% of a 24-qubit sharded gradient's profile.
public final class ShardedCircuit {
    public let circuit: Circuit
    let program: Program
    let schedule: GatheredSchedule
    /// The forward's state, and the adjoint's phi.
    public let phi: ShardedStatevector
    /// The adjoint's lambda (H phi), allocated by the first adjoint.
    private var lambda: ShardedStatevector?
    /// Whether phi is |0> in the canonical layout (fresh, or reset since its last run).
    private var phiIsZero = true

    /// - Throws: what ShardedStatevector.init throws (rank count, qubits per rank).
    public init(circuit: Circuit, communicator: any Communicator, threads: Threads = .serial,
                blockQubits: Int = ExecutorSettings.defaultBlockQubits) throws {
        self.circuit = circuit
        program = Program(circuit)
        phi = try ShardedStatevector(qubits: circuit.nQubits, communicator: communicator, threads: threads, blockQubits: blockQubits)
        schedule = phi.schedule(for: program)
    }

    /// Amplitudes per message of the states' remap swaps (ShardedStatevector.exchangeChunk).
    public var exchangeChunk: Int {
        get { phi.exchangeChunk }
        set { phi.exchangeChunk = newValue; lambda?.exchangeChunk = newValue }
    }

    /// Exchanges, bytes sent and passes over the shard by this circuit's states so far.
    public var counts: (exchanges: Int, bytesSent: Int, passes: Int) {
        (phi.exchanges + (lambda?.exchanges ?? 0), phi.bytesSent + (lambda?.bytesSent ?? 0), phi.statePasses)
    }

    /// Seconds this rank's states spent in remap swaps so far, and inside their messages.
    public var exchangeTimes: (exchange: Double, messages: Double) {
        (phi.exchangeSeconds + (lambda?.exchangeSeconds ?? 0), phi.messageSeconds + (lambda?.messageSeconds ?? 0))
    }

    /// phi = U(inputs, weights)|0>, from |0> in the canonical layout; returns <Z_w> per wire.
    @discardableResult
    public func forward(inputs: [Double], weights: [Double]) -> [Double] {
        precondition(inputs.count >= circuit.nInputs && weights.count >= circuit.nWeights, "too few inputs or weights")
        run(angles: ShardedStatevector.slotAngles(program, inputs: inputs, weights: weights))
        return phi.expectationZ()
    }

    private func run(angles: [Double]) {
        if !phiIsZero { phi.reset(); phi.resetLayout() }
        phi.run(schedule, angles: angles, fromZeroState: true)
        phiIsZero = false
    }

    /// g . d<Z>/d(inputs, weights) for one sample, identical on every rank.
    public func vjp(inputs: [Double], weights: [Double], upstream: [Double], method: DiffMethod) -> ShardedVJP {
        precondition(upstream.count == circuit.nQubits, "upstream must have one entry per wire")
        precondition(inputs.count >= circuit.nInputs && weights.count >= circuit.nWeights, "too few inputs or weights")
        let before = counts
        let angles = ShardedStatevector.slotAngles(program, inputs: inputs, weights: weights)
        var v: ShardedVJP
        switch method {
        case .adjoint: v = adjoint(angles, upstream)
        case .parameterShift: v = parameterShift(angles, upstream)
        }
        let after = counts
        v.exchanges = after.exchanges - before.exchanges; v.bytesSent = after.bytesSent - before.bytesSent
        v.statePasses = after.passes - before.passes
        return v
    }

    /// The adjoint method: forward, lambda = H phi, the passes backwards on both.
    private func adjoint(_ angles: [Double], _ upstream: [Double]) -> ShardedVJP {
        run(angles: angles)
        let z = phi.expectationZ()
        let lambda: ShardedStatevector
        if let l = self.lambda { lambda = l; l.setObservable(upstream, times: phi) } else {
            lambda = ShardedStatevector(observable: upstream, times: phi); self.lambda = lambda
        }
        phi.statePasses += 1
        var slotGrads = [Double](repeating: 0, count: angles.count)
        phi.runAdjoint(schedule, angles: angles, lambda: lambda, into: &slotGrads, fromZeroState: true)
        // One reduction for every angle of the circuit.
        phi.communicator.allreduceSum(&slotGrads)
        let (gi, gw) = ShardedGradients.mapSlots(program, slotGrads, circuit)
        return ShardedVJP(expvals: z, inputs: gi, weights: gw, exchanges: 0, bytesSent: 0, statePasses: 0, forwardRuns: 1)
    }

    /// Parameter shift: for every angle of every operation, the circuit runs again with the angle
    /// shifted by each term of its rule (two runs for rotations, four for CRX).
    private func parameterShift(_ angles: [Double], _ upstream: [Double]) -> ShardedVJP {
        run(angles: angles)
        let z = phi.expectationZ()
        var runs = 1
        var slotGrads = [Double](repeating: 0, count: angles.count)
        for (slot, ref) in program.slotRefs.enumerated() where ref.source != .constant {
            for (s, c) in program.slotKinds[slot].shiftTerms {
                for sign in [1.0, -1.0] {
                    var shifted = angles
                    shifted[slot] += sign * s
                    run(angles: shifted)
                    runs += 1
                    let zs = phi.expectationZ()
                    for w in 0..<circuit.nQubits { slotGrads[slot] += sign * c * upstream[w] * zs[w] }
                }
            }
        }
        let (gi, gw) = ShardedGradients.mapSlots(program, slotGrads, circuit)
        return ShardedVJP(expvals: z, inputs: gi, weights: gw, exchanges: 0, bytesSent: 0, statePasses: 0, forwardRuns: runs)
    }
}

public enum ShardedGradients {
    /// g . d<Z>/d(inputs, weights) for one sample, sharded over `communicator`'s ranks, on the
    /// blocked schedule in blocks of 2^blockQubits amplitudes (a ShardedCircuit used once).
    public static func vjp(circuit: Circuit, inputs: [Double], weights: [Double], upstream: [Double],
                           method: DiffMethod, communicator: any Communicator, threads: Threads = .serial,
                           blockQubits: Int = ExecutorSettings.defaultBlockQubits) throws -> ShardedVJP {
        try ShardedCircuit(circuit: circuit, communicator: communicator, threads: threads, blockQubits: blockQubits)
            .vjp(inputs: inputs, weights: weights, upstream: upstream, method: method)
    }

    /// Adds d/d(angle k of operation p) = `g` to the input / weight it reads (chain rule by scale).
    static func accumulate(_ ref: ParamRef, _ g: Double, _ gi: inout [Double], _ gw: inout [Double]) {
        switch ref.source {
        case .input: gi[ref.index] += ref.scale * g
        case .weight: gw[ref.index] += ref.scale * g
        case .constant: break
        }
    }

    /// Per-slot gradients (one per operation angle) mapped to inputs and weights by the chain rule.
    static func mapSlots(_ program: Program, _ slotGrads: [Double], _ circuit: Circuit) -> (inputs: [Double], weights: [Double]) {
        var gi = [Double](repeating: 0, count: circuit.nInputs), gw = [Double](repeating: 0, count: circuit.nWeights)
        for (s, ref) in program.slotRefs.enumerated() { accumulate(ref, slotGrads[s], &gi, &gw) }
        return (gi, gw)
    }
}

extension ShardedStatevector {
    /// The adjoint sweep of `gathered` (run forward on this state, phi, which holds its final
    /// layout) with `lambda` = H phi in the same layout: the passes backwards on both, exchange
    /// passes as messages, block passes gathered on this rank's shards (permutation passes move
    /// nothing, as in the forward). Adds this rank's part of 2 Re <lambda| dU |phi> to each slot
    /// of `grads` (one per angle).
    ///
    /// fromZeroState: the forward ran from |0> (`run`'s fromZeroState). Rewinding its first block
    /// pass, phi is again nonzero in block 0 of rank 0 alone: that pass runs there only (the other
    /// blocks add nothing to the contractions, and lambda is not read afterwards), the exchange
    /// rewound just before it moves only what lands in that block (exchangeFirstBlock), and
    /// the passes before it only restore the layout, as in the forward.
    func runAdjoint(_ gathered: GatheredSchedule, angles: [Double], lambda: ShardedStatevector, into grads: inout [Double],
                    fromZeroState: Bool = false) {
        let plan = gathered.schedule.plan
        precondition(physicalLayout == gathered.finalMemoryPhys && lambda.physicalLayout == physicalLayout,
                     "the adjoint starts from the forward's final layout")
        precondition(grads.count >= gathered.schedule.program.nSlots && !grads.isEmpty && !angles.isEmpty)
        let base = communicator.rank << localQubits, blocks = dim >> plan.blockQubits
        let firstBlock = fromZeroState ? gathered.firstBlock : nil
        func block(_ k: Int, blocks: Int) {
            angles.withUnsafeBufferPointer { a in grads.withUnsafeMutableBufferPointer { gp in
                withShard { pr, pi in lambda.withShard { lr, li in
                    gathered.adjointBlock(k, a.baseAddress!, pr, pi, lr, li, gp.baseAddress!, blocks: blocks, base: base, threads: threads)
                } }
            } }
        }
        for (k, pass) in plan.passes.enumerated().reversed() {
            let beforeFirst = firstBlock.map { k < $0 } ?? false
            switch pass {
            case .permute: continue
            case .exchange where beforeFirst:
                let back = Array(gathered.exchangePairs[k].reversed())
                swapLayout(back); lambda.swapLayout(back)
                continue
            case .exchange:
                if !exchangePass(gathered, k, fromZeroState: fromZeroState, rewinding: lambda) { continue }
            case .block where k == firstBlock:
                if communicator.rank == 0 { block(k, blocks: 1) }
                if plan.blockQubits >= qubits { statePasses += 1 }
                continue
            case .block:
                block(k, blocks: blocks)
            }
            statePasses += 1
        }
        precondition(physicalLayout == plan.initialPhys, "the adjoint ends in the forward's first layout")
    }

    /// Exchange pass k of `gathered` on this state: forward (its pairs in order), or rewound on
    /// this state and `lambda` alike (the adjoint: pairs in reverse order, each on phi then
    /// lambda). From |0> (fromZeroState), where k is the exchange next to the first block pass
    /// (GatheredSchedule.exchangeAfterFirstBlock), its first pair (run first forward, last rewound)
    /// moves only block 0 of rank 0 (exchangeFirstBlock). Returns whether the pass swept the shard:
    /// not where that trimmed pair was its only one.
    func exchangePass(_ gathered: GatheredSchedule, _ k: Int, fromZeroState: Bool, rewinding lambda: ShardedStatevector? = nil) -> Bool {
        let pairs = gathered.exchangePairs[k]
        let trimmed = fromZeroState && k == gathered.exchangeAfterFirstBlock
        let gather = trimmed ? gathered.firstBlock.flatMap { gathered.gathers[$0] } : nil
        let states = [self] + (lambda.map { [$0] } ?? [])
        for n in (lambda == nil ? Array(pairs.indices) : pairs.indices.reversed()) {
            let (g, l) = pairs[n]
            for state in states {
                if n == 0, let gather { state.exchangeFirstBlock(global: g, local: l, gather: gather, outward: lambda == nil) }
                else { state.exchangeBits(global: g, local: l) }
            }
        }
        return !(gather != nil && pairs.count == 1)
    }

    /// A remap swap (global bit g, local memory bit l) next to a from-|0> run's first block pass,
    /// which holds (forward) or reads (the adjoint's rewind) nonzero amplitudes in block 0 of
    /// rank 0 alone (through `gather`, that pass's map): only that block's amplitudes move.
    /// Rank 0's positions p there with bit l set trade with position p with bit l clear on its
    /// partner. Outward (the forward's exchange right after that pass): rank 0 sends them and
    /// zeroes them (the partner's amplitudes they trade with are zero, as is every other pair).
    /// Inward (the adjoint's rewind just before that pass, after which nothing else is read until
    /// the next reset): the partner sends, rank 0 writes; rank 0's bit-l-clear amplitudes stay.
    /// One message of at most half a block between rank 0 and its partner (none where no block-0
    /// position has bit l set) instead of half a shard between every pair of ranks; the layout
    /// changes as exchangeBits changes it.
    func exchangeFirstBlock(global g: Int, local l: Int, gather: BlockGather, outward: Bool) {
        precondition(!isLocal(bit: g) && isLocal(bit: l), "exchangeFirstBlock needs a global bit and a local one")
        let partner = 1 << (g - localQubits), rank = communicator.rank, bit = 1 << l
        if rank == 0 || rank == partner {
            let run = 1 << gather.runBits
            let at = gather.runOffsets.flatMap { off in (0..<run).map { off | $0 } }.filter { $0 & bit != 0 }
            if !at.isEmpty {
                let m = at.count, sender = outward ? 0 : partner
                // Rank 0's position p is partner's p ^ bit.
                let here = { (p: Int) in rank == 0 ? p : p ^ bit }
                var send = [Double](repeating: 0, count: 2 * m), got = send
                if rank == sender {
                    for (j, p) in at.enumerated() {
                        let q = here(p)
                        send[j] = re[q]; send[m + j] = im[q]
                        if outward { re[q] = 0; im[q] = 0 }
                    }
                }
                // The receiver's message is only its half of the pairwise call; it is not used.
                send.withUnsafeBufferPointer { sp in got.withUnsafeMutableBufferPointer { communicator.exchange(sp, $0, partner: rank ^ partner) } }
                if rank != sender { for (j, p) in at.enumerated() { let q = here(p); re[q] = got[j]; im[q] = got[m + j] } }
                exchanges += 1; bytesSent += 16 * m
            }
        }
        swapWires(global: g, local: l)
    }

    /// Forgets the layout after `reset()` (the state |0...0> is the same in every layout).
    public func resetLayout() {
        bitOfWire = (0..<qubits).map { qubits - 1 - $0 }
        wireOfBit = (0..<qubits).map { qubits - 1 - $0 }
    }
}

extension ShardedRun {
    /// `bench sharded --gradient`: AngleEmbedding(X) + `layers` StronglyEntangling layers on
    /// `qubits` wires on one ShardedCircuit (its states kept, as a training layer keeps them):
    /// one untimed adjoint VJP (first touch of phi, lambda and the message buffers), then the
    /// forward and the adjoint VJP (its own forward included) timed; with `check`, the largest
    /// difference of values and gradients to the single-process CircuitExecutor.
    public static func gradientFigures(qubits: Int, layers: Int, seed: UInt64, communicator: any Communicator,
                                       threads: Threads, check: Bool,
                                       exchangeChunk: Int = ShardedStatevector.defaultExchangeChunk) throws -> [(String, String)] {
        let c = Templates.layerCircuit(template: .strong, wires: qubits, layers: layers, features: qubits)
        var rng = SeededRNG(seed: seed)
        let x = (0..<qubits).map { _ in rng.uniform() }, w = (0..<c.nWeights).map { _ in 2 * Double.pi * rng.uniform() }
        let g = (0..<qubits).map { _ in rng.uniform() - 0.5 }
        let sharded = try ShardedCircuit(circuit: c, communicator: communicator, threads: threads)
        sharded.exchangeChunk = exchangeChunk
        _ = sharded.vjp(inputs: x, weights: w, upstream: g, method: .adjoint)
        communicator.barrier()
        let before = sharded.counts
        var t0 = WallClock.now()
        sharded.forward(inputs: x, weights: w)
        let forwardSeconds = communicator.allreduceMax(WallClock.now() - t0)
        let afterForward = sharded.counts
        communicator.barrier()
        let timesBefore = sharded.exchangeTimes
        t0 = WallClock.now()
        let v = sharded.vjp(inputs: x, weights: w, upstream: g, method: .adjoint)
        let gradientSeconds = communicator.allreduceMax(WallClock.now() - t0)
        let timesAfter = sharded.exchangeTimes
        var out: [(String, String)] = [
            ("sharded_gradient_layers", "\(layers)"), ("sharded_forward_seconds", "\(forwardSeconds)"),
            ("sharded_forward_exchanges", "\(afterForward.exchanges - before.exchanges)"),
            ("sharded_forward_passes", "\(afterForward.passes - before.passes)"),
            ("sharded_adjoint_seconds", "\(gradientSeconds)"), ("sharded_adjoint_exchanges", "\(v.exchanges)"),
            ("sharded_adjoint_passes", "\(v.statePasses)"),
            ("sharded_adjoint_bytes_sent_per_rank", "\(v.bytesSent)"),
            // The slowest rank's seconds in the gradient's remap swaps, and inside their messages.
            ("sharded_adjoint_exchange_seconds", "\(communicator.allreduceMax(timesAfter.exchange - timesBefore.exchange))"),
            ("sharded_adjoint_message_seconds", "\(communicator.allreduceMax(timesAfter.messages - timesBefore.messages))"),
        ]
        if check {
            let ex = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads))
            let y = ex.forward(inputs: x, batch: 1, weights: w)
            let ref = ex.backward(upstream: g)
            var d = 0.0
            for (a, b) in zip(v.expvals + v.inputs + v.weights, y + ref.inputs + ref.weights) { d = Swift.max(d, abs(a - b)) }
            out.append(("sharded_gradient_max_diff", "\(communicator.allreduceMax(d))"))
        }
        return out
    }

    /// Each rank's binding as `<key> <value>` lines: the launcher's policy and, per rank, the
    /// number of CPUs in its affinity mask (the ground truth).
    public static func bindingFigures(communicator: any Communicator, threads: Threads) -> [(String, String)] {
        let cpus = CPUAffinity.allowedCPUs()
        let counts = communicator.allgather([Double(cpus.count)]).map { String(Int($0)) }
        var out = [("sharded_binding", CPUAffinity.launcherBinding()),
                   ("sharded_cpus_per_rank", counts.joined(separator: ",")),
                   ("sharded_threads_per_rank", "\(threads.count)")]
        if let least = counts.compactMap(Int.init).min(), least < threads.count {
            out.append(("sharded_binding_warning", "a rank may run on \(least) CPU(s) but uses \(threads.count) threads: launch with `mpirun --bind-to none` or `--map-by slot:PE=\(threads.count)` (srun: --cpus-per-task=\(threads.count))"))
        }
        return out
    }
}
