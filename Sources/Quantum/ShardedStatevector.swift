// One statevector split across the ranks of a Communicator, for qubit counts whose state does not
// fit (or runs too slowly) in one process.
//
// Layout: with 2^g ranks, rank r holds the 2^local amplitudes (local = n - g) whose top g bits
// equal r. Each wire sits at a bit position (`bitOfWire`); it starts canonical (wire 0 the most
// significant bit, PennyLane's order), so wires 0..<g start "global" and the rest "local", and
// remapping (QubitRemap.swift) moves wires between global and local bits. Which bit is which is
// explicit in `isLocal(bit:)`.
// - By default (`apply(_:remap: true)`) a circuit runs on the single-process engine's blocked
//   schedule (BlockedPlan.swift, BlockedExecution.swift) on this rank's shard: the circuit is
//   lowered and fused like CircuitExecutor's, gates whose mixing bit is low run block by block
//   in cache (one pass over the shard per window), high local wires come down by permutations
//   that move nothing (later blocks are gathered through them, BlockedGather.swift, as on one
//   whole state), and a wire needed low that sits on a rank bit trades bits with a low wire by
//   one half-shard exchange with the partner rank. Controls and diagonal bits may stay on rank bits:
//   a block reads this rank's value of them from its global base index.
// - Without remapping (the reference of `bench sharded --no-remap`) every gate is its own pass:
//   a diagonal gate or a control on a global qubit needs no messages (every rank knows its own
//   global bits and scales, or applies the gate, or does nothing); a non-diagonal gate on a global
//   qubit pairs rank r with r ^ (1 << (bit - local)): the two swap whole shards and each keeps its
//   row of the 2x2 product (one exchange per gate).
// Every pass over the shard, every exchange and its bytes are counted so benchmarks and records
// can report them.

import Core
import Foundation

public final class ShardedStatevector {
    public let qubits: Int
    /// log2(ranks): the number of wires (0..<globalQubits) split across ranks.
    public let globalQubits: Int
    public var localQubits: Int { qubits - globalQubits }
    public let communicator: any Communicator
    /// Worker threads for this rank's kernels.
    public let threads: Threads
    /// Block size of the blocked schedule: 2^blockQubits amplitudes (at most the shard).
    public let blockQubits: Int
    /// This rank's amplitudes, split real/imaginary; global index = rank << localQubits + i.
    public internal(set) var re: [Double]
    public internal(set) var im: [Double]
    /// The partner's re and im of a whole-shard swap (a gate on a global bit without remapping;
    /// 2^local doubles each, allocated on first use).
    var peerRe: [Double] = []
    var peerIm: [Double] = []
    /// Amplitudes per message of a remap swap (exchangeBits). Messages of 2^12 to 2^20 amplitudes
    /// took the same time on 2 ranks here (benchmarks/README.md, "Exchanges in cache-sized
    /// messages"); 2^15 (512 KiB of re + im) keeps the buffers at 1 MiB per state and a message in
    /// L2/L3. ShardedMemory counts the default. Smaller values only add messages (tests use them
    /// to exercise the message loop at small qubit counts); a real network may want larger ones.
    public var exchangeChunk = ShardedStatevector.defaultExchangeChunk {
        didSet { precondition(exchangeChunk >= 1, "exchangeChunk must be at least 1") }
    }
    public static let defaultExchangeChunk = 1 << 15
    /// A remap swap's message buffers (2 x min(exchangeChunk, half a shard) doubles each,
    /// allocated on first use): the packed part sent and the partner's part received.
    var sendBuffer: [Double] = []
    var receiveBuffer: [Double] = []
    /// Messages exchanged with a partner rank so far: a whole-shard swap (gate on a global bit
    /// without remapping) or a half-shard remap swap.
    public internal(set) var exchanges = 0
    /// Bytes this rank sent in those exchanges.
    public internal(set) var bytesSent = 0
    /// Wall seconds this rank spent in remap swaps (packing, messages, unpacking), and the part
    /// of it inside the messages (waiting for the partner included): what sharding costs beyond
    /// the block passes, for `bench sharded`.
    public internal(set) var exchangeSeconds = 0.0
    public internal(set) var messageSeconds = 0.0
    /// Sweeps over this rank's shard that apply gates or move amplitudes: one per block pass,
    /// permutation pass and exchange on the blocked schedule (an adjoint pass sweeps phi and
    /// lambda together and counts once, on phi), one per gate without remapping. Preparing |0>
    /// and the <Z> readout are not counted (as in CircuitCounters.statePasses).
    public internal(set) var statePasses = 0
    /// Bit position of each wire, and the wire at each bit position (inverse permutations).
    public internal(set) var bitOfWire: [Int]
    public internal(set) var wireOfBit: [Int]

    /// - Throws: when the rank count is not a power of two or leaves fewer than 3 local qubits (the <Z> reduction reads bits 0-2 from the shard index).
    public init(qubits: Int, communicator: any Communicator, threads: Threads = .serial,
                blockQubits: Int = ExecutorSettings.defaultBlockQubits) throws {
        let size = communicator.size
        guard size >= 1, size & (size - 1) == 0 else {
            throw DeepfakeError("the sharded statevector needs a power-of-two number of ranks (1, 2, 4, ...), got \(size): change -np / --ntasks")
        }
        let g = size.trailingZeroBitCount
        guard qubits - g >= 3 else {
            throw DeepfakeError("\(qubits) qubits over \(size) ranks leaves \(qubits - g) local qubit(s) per rank; at least 3 are needed: use at most \(1 << Swift.max(0, qubits - 3)) ranks")
        }
        guard qubits - g <= 34 else {
            throw DeepfakeError("\(qubits) qubits over \(size) ranks is 2^\(qubits - g) amplitudes (\(16 << (qubits - g - 30)) GiB) per rank: use more ranks")
        }
        guard blockQubits >= 1 else { throw DeepfakeError("blockQubits must be at least 1, got \(blockQubits)") }
        self.qubits = qubits; self.globalQubits = g; self.communicator = communicator; self.threads = threads
        self.blockQubits = blockQubits
        // Uninitialised, then zeroed by reset() across the threads: the pages are first touched
        // there, in parallel, instead of once by Array(repeating:) and again by a serial reset.
        let d = 1 << (qubits - g)
        re = [Double](unsafeUninitializedCapacity: d) { _, n in n = d }
        im = [Double](unsafeUninitializedCapacity: d) { _, n in n = d }
        bitOfWire = (0..<qubits).map { qubits - 1 - $0 }
        wireOfBit = (0..<qubits).map { qubits - 1 - $0 }
        reset()
    }

    /// H psi for H = sum_w g_w Z_w (diagonal) and this rank's shard of `psi`, in psi's layout,
    /// written in one pass (the adjoint's lambda; the pass is counted on the adjoint's phi).
    public convenience init(observable g: [Double], times psi: ShardedStatevector) {
        try! self.init(qubits: psi.qubits, communicator: psi.communicator, threads: psi.threads, blockQubits: psi.blockQubits)
        exchangeChunk = psi.exchangeChunk
        setObservable(g, times: psi)
    }

    /// Overwrites this state with H psi (see init(observable:times:)), taking psi's layout: the
    /// adjoint's lambda written into a state kept from an earlier sample.
    public func setObservable(_ g: [Double], times psi: ShardedStatevector) {
        precondition(g.count == psi.qubits, "one observable weight per wire")
        precondition(psi.qubits == qubits && psi.globalQubits == globalQubits && psi !== self, "lambda needs a second state of psi's size")
        bitOfWire = psi.bitOfWire; wireOfBit = psi.wireOfBit
        let n = psi.qubits, d = psi.re.count, base = psi.communicator.rank << psi.localQubits
        // H's diagonal is a sum over wires of +-g_w: per-byte tables of the index (as the executor's adjoint).
        let tables = CircuitExecutor.diagonalTables(n: n, phys: psi.physicalLayout) { g[$0] }
        let bytes = (n + 7) / 8
        psi.re.withUnsafeBufferPointer { sr in psi.im.withUnsafeBufferPointer { si in
            withShard { lr, li in tables.withUnsafeBufferPointer { tp in
                let xr = sr.baseAddress!, xi = si.baseAddress!, t = tp.baseAddress!
                threads.forChunks(d, minPerChunk: 1 << 14) { lo, hi in
                    for k in lo..<hi {
                        let idx = base | k
                        var h = 0.0
                        for c in 0..<bytes { h += t[c << 8 | ((idx >> (8 * c)) & 255)] }
                        lr[k] = h * xr[k]; li[k] = h * xi[k]
                    }
                }
            } }
        } }
    }

    var dim: Int { re.count }

    /// |0...0>: amplitude 1 at global index 0, which rank 0 holds.
    /// Zeroes the shard through raw pointers across the threads (element-wise stores into the
    /// class's arrays paid an exclusivity and a uniqueness check each: a fifth of a 24-qubit
    /// sharded gradient's profile).
    public func reset() {
        let d = dim
        withShard { r, i in
            threads.forChunks(d, minPerChunk: 1 << 16) { lo, hi in
                (r + lo).update(repeating: 0, count: hi - lo); (i + lo).update(repeating: 0, count: hi - lo)
            }
            if communicator.rank == 0 { r[0] = 1 }
        }
    }

    /// Bit position of a wire in the current layout (canonically wire 0 is the most significant bit).
    @inline(__always) public func bit(ofWire w: Int) -> Int { bitOfWire[w] }
    /// Whether the layout is the canonical one (global index = PennyLane's basis index).
    public var isCanonical: Bool { (0..<qubits).allSatisfy { bitOfWire[$0] == qubits - 1 - $0 } }
    @inline(__always) public func isLocal(bit: Int) -> Bool { bit < localQubits }
    /// This rank's value of a global bit.
    @inline(__always) public func rankBit(_ bit: Int) -> Int { (communicator.rank >> (bit - localQubits)) & 1 }

    /// Applies every gate of `circuit` for one sample (after `reset()` for a fresh run), from the
    /// current layout. With `remap` (the default) on the blocked schedule, else gate by gate with
    /// whole-shard swaps for non-diagonal gates on global bits (see the header). fromZeroState:
    /// the caller guarantees the state is |0...0> (fresh or reset), which lets the blocked schedule
    /// skip what cannot change it (`run`).
    public func apply(_ circuit: Circuit, inputs: [Double] = [], weights: [Double] = [], remap: Bool = true,
                      fromZeroState: Bool = false) {
        precondition(circuit.nQubits == qubits, "circuit has \(circuit.nQubits) qubits, the state \(qubits)")
        precondition(inputs.count >= circuit.nInputs && weights.count >= circuit.nWeights, "too few inputs or weights")
        if remap {
            let program = Program(circuit)
            run(schedule(for: program), angles: Self.slotAngles(program, inputs: inputs, weights: weights), fromZeroState: fromZeroState)
            return
        }
        inputs.withUnsafeBufferPointer { ip in
            weights.withUnsafeBufferPointer { wp in
                for op in circuit.operations {
                    apply(op.kind, wires: op.wires, angles: op.params.map { $0.value(inputs: ip.baseAddress, weights: wp.baseAddress) })
                    statePasses += 1
                }
            }
        }
    }

    /// The program's slot angles (one per operation angle, in operation order) for one sample;
    /// at least one entry, so that a circuit without angles still has a buffer to point at.
    static func slotAngles(_ program: Program, inputs: [Double], weights: [Double]) -> [Double] {
        var a = [Double](repeating: 0, count: Swift.max(1, program.nSlots))
        inputs.withUnsafeBufferPointer { x in weights.withUnsafeBufferPointer { w in a.withUnsafeMutableBufferPointer { o in
            program.angles(inputs: x.baseAddress, weights: w.baseAddress, into: o.baseAddress!)
        } } }
        return a
    }

    /// Physical bit of each logical bit (n - 1 - wire) in the current layout, as BlockedPlan counts bits.
    var physicalLayout: [Int] { (0..<qubits).map { bitOfWire[qubits - 1 - $0] } }

    /// The blocked schedule of `program` on this state's shards, from the current layout, as
    /// the shards run it (gathered blocks, no permutation sweeps: BlockedGather.swift).
    func schedule(for program: Program) -> GatheredSchedule {
        GatheredSchedule(BlockedSchedule(program: program, blockQubits: blockQubits, localQubits: localQubits, initialPhys: physicalLayout))
    }

    /// Runs `gathered` forward (it must start from the current layout) with slot angles `angles`
    /// (`slotAngles`); the state ends in the schedule's final memory layout (`finalMemoryPhys`).
    /// A permutation pass moves nothing: later block passes gather through it. An exchange pass
    /// trades a rank bit with the memory bit its local partner sits at.
    ///
    /// fromZeroState: the caller guarantees the state is |0...0> (fresh or `reset()`). Until the
    /// first block pass it stays so: a bit exchange fixes amplitude 0, so those passes only
    /// update the layout (no messages, not counted); that block pass runs on block 0 of rank 0
    /// alone (every other block is zero and stays zero, BlockedPlan.firstBlockPass) and counts as
    /// a sweep only where block 0 is the whole state; the exchange right after it moves only that
    /// block's amplitudes (exchangeFirstBlock).
    func run(_ gathered: GatheredSchedule, angles: [Double], fromZeroState: Bool = false) {
        let plan = gathered.schedule.plan
        precondition(physicalLayout == plan.initialPhys, "the schedule was planned from another layout")
        precondition(!angles.isEmpty, "slot angles need at least one entry (see slotAngles)")
        let program = gathered.schedule.program
        let ms = angles.withUnsafeBufferPointer { a in (0..<program.steps.count).map { program.stepMatrix($0, a.baseAddress!) } }
        let base = communicator.rank << localQubits, blocks = dim >> plan.blockQubits
        let firstBlock = fromZeroState ? gathered.firstBlock : nil
        for (k, pass) in plan.passes.enumerated() {
            let beforeFirst = firstBlock.map { k < $0 } ?? false
            switch pass {
            case .permute: continue
            case .exchange where beforeFirst:
                swapLayout(gathered.exchangePairs[k])
                continue
            case .exchange:
                if !exchangePass(gathered, k, fromZeroState: fromZeroState) { continue }
            case .block where k == firstBlock:
                if communicator.rank == 0 { withShard { r, i in gathered.forwardBlock(k, ms, r, i, blocks: 1, base: base, threads: threads) } }
                if plan.blockQubits >= qubits { statePasses += 1 }
                continue
            case .block:
                withShard { r, i in gathered.forwardBlock(k, ms, r, i, blocks: blocks, base: base, threads: threads) }
            }
            statePasses += 1
        }
        precondition(physicalLayout == gathered.finalMemoryPhys, "the layout after the passes differs from the plan's")
    }

    /// This rank's amplitudes as raw pointers, for the blocked passes.
    func withShard(_ body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void) {
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in body(rp.baseAddress!, ip.baseAddress!) } }
    }

    /// Bookkeeping of a permutation pass: the wires on each pair of bit positions trade places.
    func swapLayout(_ pairs: [(Int, Int)]) {
        for (x, y) in pairs {
            let wx = wireOfBit[x], wy = wireOfBit[y]
            wireOfBit[x] = wy; wireOfBit[y] = wx
            bitOfWire[wx] = y; bitOfWire[wy] = x
        }
    }

    private static let pauliX = Mat2(0, 0, 1, 0, 1, 0, 0, 0)
    private static let pauliZ = Mat2(1, 0, 0, 0, 0, 0, -1, 0)

    /// One gate by kind (control first for CNOT, CZ, CRX).
    public func apply(_ kind: GateKind, wires: [Int], angles: [Double]) {
        switch kind {
        case .cnot: controlled(bit(ofWire: wires[0]), bit(ofWire: wires[1]), Self.pauliX)
        case .crx: controlled(bit(ofWire: wires[0]), bit(ofWire: wires[1]), kind.matrix(angles))
        case .cz: controlled(bit(ofWire: wires[0]), bit(ofWire: wires[1]), Self.pauliZ)
        default: single(bit(ofWire: wires[0]), kind.matrix(angles), where: nil)
        }
    }

    /// Any 2x2 `m` on one wire (a non-diagonal one on a global bit swaps whole shards).
    public func apply(matrix m: Mat2, wire: Int) { single(bitOfWire[wire], m, where: nil) }

    /// A 2x2 `m` on `bit`, restricted to local amplitudes whose `controlBit` (local) is set when given.
    private func single(_ bit: Int, _ m: Mat2, where controlBit: Int?) {
        let d = dim
        if isLocal(bit: bit) {
            re.withUnsafeMutableBufferPointer { rp in
                im.withUnsafeMutableBufferPointer { ip in
                    let r = rp.baseAddress!, i = ip.baseAddress!
                    if let c = controlBit {
                        threads.forChunks(d >> 2, minPerChunk: 1 << 12) { lo, hi in
                            Kernels.applyControlled2x2(r, i, control: c, target: bit, m, lo, hi)
                        }
                    } else if m.isDiagonal {
                        threads.forChunks(d, minPerChunk: 1 << 14) { lo, hi in Kernels.applyDiagonal(r, i, bit: bit, m, lo, hi) }
                    } else {
                        threads.forChunks(d >> 1, minPerChunk: 1 << 13) { lo, hi in Kernels.apply2x2(r, i, bit: bit, m, lo, hi) }
                    }
                }
            }
            return
        }
        // Global target: this rank holds only the half with bit = mine.
        let mine = rankBit(bit)
        if m.isDiagonal {
            let (sr, si) = mine == 0 ? (m.ar, m.ai) : (m.dr, m.di)
            scale(sr, si, where: controlBit)
            return
        }
        let partner = communicator.rank ^ (1 << (bit - localQubits))
        if peerRe.count != d { peerRe = [Double](repeating: 0, count: d); peerIm = peerRe }
        re.withUnsafeBufferPointer { s in peerRe.withUnsafeMutableBufferPointer { communicator.exchange(s, $0, partner: partner) } }
        im.withUnsafeBufferPointer { s in peerIm.withUnsafeMutableBufferPointer { communicator.exchange(s, $0, partner: partner) } }
        exchanges += 1; bytesSent += 16 * d
        // Row `mine` of m: new = m[mine][mine] * own + m[mine][other] * partner's.
        let (ownR, ownI, otherR, otherI) = mine == 0 ? (m.ar, m.ai, m.br, m.bi) : (m.dr, m.di, m.cr, m.ci)
        let cmask = controlBit.map { 1 << $0 } ?? 0
        re.withUnsafeMutableBufferPointer { rp in
            im.withUnsafeMutableBufferPointer { ip in
                peerRe.withUnsafeBufferPointer { qr in
                    peerIm.withUnsafeBufferPointer { qi in
                        let r = rp.baseAddress!, i = ip.baseAddress!, pr = qr.baseAddress!, pi = qi.baseAddress!
                        threads.forChunks(d, minPerChunk: 1 << 14) { lo, hi in
                            for k in lo..<hi where k & cmask == cmask {
                                let ar = r[k], ai = i[k], br = pr[k], bi = pi[k]
                                r[k] = ownR * ar - ownI * ai + otherR * br - otherI * bi
                                i[k] = ownR * ai + ownI * ar + otherR * bi + otherI * br
                            }
                        }
                    }
                }
            }
        }
    }

    /// Multiplies this rank's amplitudes (those with `controlBit` set, when given) by sr + i si.
    private func scale(_ sr: Double, _ si: Double, where controlBit: Int?) {
        if sr == 1 && si == 0 { return }
        let d = dim, cmask = controlBit.map { 1 << $0 } ?? 0
        re.withUnsafeMutableBufferPointer { rp in
            im.withUnsafeMutableBufferPointer { ip in
                let r = rp.baseAddress!, i = ip.baseAddress!
                threads.forChunks(d, minPerChunk: 1 << 14) { lo, hi in
                    for k in lo..<hi where k & cmask == cmask {
                        let a = r[k], b = i[k]
                        r[k] = sr * a - si * b
                        i[k] = sr * b + si * a
                    }
                }
            }
        }
    }

    /// Controlled 2x2 `m` (X for CNOT, Z for CZ, RX for CRX) with control and target bits.
    private func controlled(_ control: Int, _ target: Int, _ m: Mat2) {
        if isLocal(bit: control) {
            single(target, m, where: control)
        } else if rankBit(control) == 1 {
            // Every amplitude here has the control set: an uncontrolled gate on this rank's shard
            // (the partner of a global target differs only in the target bit, so it takes part too).
            single(target, m, where: nil)
        }
    }

    /// <Z_w> for every wire w (in wire order), summed over all ranks.
    public func expectationZ() -> [Double] {
        var perBit = [Double](repeating: 0, count: qubits)
        re.withUnsafeBufferPointer { rp in
            im.withUnsafeBufferPointer { ip in
                perBit.withUnsafeMutableBufferPointer { out in
                    Kernels.accumulateZ(rp.baseAddress!, ip.baseAddress!, local: localQubits,
                                        base: communicator.rank << localQubits, 0, dim, into: out.baseAddress!, bits: qubits)
                }
            }
        }
        communicator.allreduceSum(&perBit)
        return (0..<qubits).map { perBit[bitOfWire[$0]] }
    }

    /// Sum of |amplitude|^2 over all ranks (1 for a valid state).
    public func norm() -> Double {
        var s = 0.0
        for k in 0..<dim { s += re[k] * re[k] + im[k] * im[k] }
        return communicator.allreduceSum(s)
    }
}

/// The sharded run of `bench sharded` (mpirun -np 2^k): a seeded random circuit over every gate
/// kind, timed, and optionally checked amplitude by amplitude against the unsharded simulation.
public enum ShardedRun {
    /// `gates` gates drawn from every kind on random wires, constant angles, reproducible by seed.
    public static func randomCircuit(qubits: Int, gates: Int, seed: UInt64) -> Circuit {
        var rng = SeededRNG(seed: seed)
        var c = Circuit(nQubits: qubits)
        let kinds = GateKind.allCases.filter { qubits > 1 || $0.wireCount == 1 }
        func below(_ n: Int) -> Int { Swift.min(n - 1, Int(rng.uniform() * Double(n))) }
        for _ in 0..<gates {
            let k = kinds[below(kinds.count)]
            var wires = [below(qubits)]
            if k.wireCount == 2 { var b = below(qubits - 1); if b >= wires[0] { b += 1 }; wires.append(b) }
            c.append(k, wires: wires, params: (0..<k.parameterCount).map { _ in .constant(2 * Double.pi * rng.uniform() - Double.pi) })
        }
        return c
    }

    /// Figures as `<key> <value>` pairs (identical on every rank): ranks, qubits, local qubits,
    /// gates, seconds, exchanges, passes over the shard, the norm, <Z_w> and, with `check`, the
    /// largest amplitude difference over all ranks to a full unsharded state simulated on every
    /// rank gate by gate.
    public static func figures(qubits: Int, gates: Int, seed: UInt64, communicator: any Communicator,
                               threads: Threads = .serial, remap: Bool = true, check: Bool,
                               exchangeChunk: Int = ShardedStatevector.defaultExchangeChunk) throws -> [(String, String)] {
        let circuit = randomCircuit(qubits: qubits, gates: gates, seed: seed)
        let state = try ShardedStatevector(qubits: qubits, communicator: communicator, threads: threads)
        state.exchangeChunk = exchangeChunk
        communicator.barrier()
        let t0 = WallClock.now()
        state.apply(circuit, remap: remap)
        communicator.barrier()
        let seconds = communicator.allreduceMax(WallClock.now() - t0)
        let z = state.expectationZ()
        let exchanges = state.exchanges, bytes = state.bytesSent, passes = state.statePasses
        var out: [(String, String)] = [
            ("sharded_ranks", "\(communicator.size)"), ("sharded_qubits", "\(qubits)"),
            ("sharded_local_qubits", "\(state.localQubits)"), ("sharded_gates", "\(gates)"),
            ("sharded_remap", "\(remap)"), ("sharded_seconds", "\(seconds)"), ("sharded_exchanges", "\(exchanges)"),
            ("sharded_passes", "\(passes)"),
            ("sharded_bytes_sent_per_rank", "\(bytes)"),
            ("sharded_norm", "\(state.norm())"),
            ("sharded_expval_z", z.map { String(format: "%.15f", $0) }.joined(separator: ",")),
        ]
        if check {
            state.restoreLayout()
            // The reference: one process, gate by gate (the shard kernels without the blocked schedule).
            let full = try ShardedStatevector(qubits: qubits, communicator: SingleProcessCommunicator(), threads: threads)
            full.apply(circuit, remap: false)
            let base = communicator.rank << state.localQubits
            var diff = 0.0
            for k in 0..<state.re.count {
                diff = Swift.max(diff, abs(state.re[k] - full.re[base + k]), abs(state.im[k] - full.im[base + k]))
            }
            out.append(("sharded_max_amplitude_diff", "\(communicator.allreduceMax(diff))"))
        }
        return out
    }
}
