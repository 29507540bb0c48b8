// One statevector split across the ranks of a Communicator, for qubit counts whose state does not
// fit (or runs too slowly) in one process.
//
// Layout: with 2^g ranks, rank r holds the 2^local amplitudes (local = n - g) whose top g bits
// equal r. Each wire sits at a bit position (`bitOfWire`); it starts canonical (wire 0 the most
// significant bit, PennyLane's order), so wires 0..<g start "global" and the rest "local", and
// remapping (QubitRemap.swift) moves wires between global and local bits. Which bit is which is
// explicit in `isLocal(bit:)`.
// - A gate whose qubits are all local runs the same shard kernels as the single-process engine.
// - A diagonal gate on a global qubit, and any control on a global qubit, needs no messages:
//   every rank knows its own global bits and scales, or applies the gate, or does nothing.
// - A non-diagonal gate on a global qubit: with remapping (the default of `apply(_:)`), the wire
//   first trades bits with a local wire (half a shard each way, once), then this gate and every
//   later one on it run locally. Without remapping, rank r pairs with r ^ (1 << (bit - local)):
//   the two swap whole shards and each keeps its row of the 2x2 product (one exchange per gate).
// Every exchange and its bytes are counted so benchmarks and records can report them.

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
    /// This rank's amplitudes, split real/imaginary; global index = rank << localQubits + i.
    public internal(set) var re: [Double]
    public internal(set) var im: [Double]
    var peerRe: [Double] = []
    private var peerIm: [Double] = []
    /// Messages exchanged with a partner rank so far: a whole-shard swap (gate on a global bit
    /// without remapping) or a half-shard remap swap.
    public internal(set) var exchanges = 0
    /// Bytes this rank sent in those exchanges.
    public internal(set) var bytesSent = 0
    /// Bit position of each wire, and the wire at each bit position (inverse permutations).
    public internal(set) var bitOfWire: [Int]
    public internal(set) var wireOfBit: [Int]

    /// - Throws: when the rank count is not a power of two or leaves fewer than 3 local qubits (the <Z> reduction reads bits 0-2 from the shard index).
    public init(qubits: Int, communicator: any Communicator, threads: Threads = .serial) throws {
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
        self.qubits = qubits; self.globalQubits = g; self.communicator = communicator; self.threads = threads
        re = [Double](repeating: 0, count: 1 << (qubits - g))
        im = re
        bitOfWire = (0..<qubits).map { qubits - 1 - $0 }
        wireOfBit = (0..<qubits).map { qubits - 1 - $0 }
        reset()
    }

    /// A copy of another rank-local state (amplitudes and layout), on the same communicator.
    public init(copying o: ShardedStatevector) {
        qubits = o.qubits; globalQubits = o.globalQubits; communicator = o.communicator; threads = o.threads
        re = o.re; im = o.im; bitOfWire = o.bitOfWire; wireOfBit = o.wireOfBit
    }

    private var dim: Int { re.count }

    /// |0...0>: amplitude 1 at global index 0, which rank 0 holds.
    public func reset() {
        for i in 0..<dim { re[i] = 0; im[i] = 0 }
        if communicator.rank == 0 { re[0] = 1 }
    }

    /// Bit position of a wire in the current layout (canonically wire 0 is the most significant bit).
    @inline(__always) public func bit(ofWire w: Int) -> Int { bitOfWire[w] }
    /// Whether the layout is the canonical one (global index = PennyLane's basis index).
    public var isCanonical: Bool { (0..<qubits).allSatisfy { bitOfWire[$0] == qubits - 1 - $0 } }
    @inline(__always) public func isLocal(bit: Int) -> Bool { bit < localQubits }
    /// This rank's value of a global bit.
    @inline(__always) public func rankBit(_ bit: Int) -> Int { (communicator.rank >> (bit - localQubits)) & 1 }

    /// Applies every gate of `circuit` for one sample (after `reset()` for a fresh run). With
    /// `remap` a wire that a non-diagonal gate needs on a global bit first trades places with the
    /// local wire needed furthest ahead (one half-shard exchange), else every such gate swaps
    /// whole shards. `shift` adds `delta` to angle `param` of operation `op` (parameter shift).
    public func apply(_ circuit: Circuit, inputs: [Double] = [], weights: [Double] = [], remap: Bool = true,
                      shift: (op: Int, param: Int, delta: Double)? = nil) {
        precondition(circuit.nQubits == qubits, "circuit has \(circuit.nQubits) qubits, the state \(qubits)")
        precondition(inputs.count >= circuit.nInputs && weights.count >= circuit.nWeights, "too few inputs or weights")
        let ops = circuit.operations
        let planner = RemapPlanner(needs: ops.map { $0.kind.mixesTarget ? $0.wires[$0.wires.count - 1] : -1 },
                                   other: ops.map { $0.wires.count == 2 ? $0.wires[0] : -1 })
        inputs.withUnsafeBufferPointer { ip in
            weights.withUnsafeBufferPointer { wp in
                for (p, op) in ops.enumerated() {
                    var angles = op.params.map { $0.value(inputs: ip.baseAddress, weights: wp.baseAddress) }
                    if let s = shift, s.op == p { angles[s.param] += s.delta }
                    if remap { localise(at: p, planner) }
                    apply(op.kind, wires: op.wires, angles: angles)
                }
            }
        }
    }

    /// Makes the wire that gate p of `planner` needs local, if it is not.
    func localise(at p: Int, _ planner: RemapPlanner) {
        let w = planner.needs[p]
        guard w >= 0, !isLocal(bit: bitOfWire[w]) else { return }
        swapGlobal(wire: w, withLocal: planner.victim(at: p, state: self))
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
    /// gates, seconds, exchanges, the norm, <Z_w> and, with `check`, the largest amplitude
    /// difference over all ranks to a full unsharded state simulated on every rank.
    public static func figures(qubits: Int, gates: Int, seed: UInt64, communicator: any Communicator,
                               threads: Threads = .serial, remap: Bool = true, check: Bool) throws -> [(String, String)] {
        let circuit = randomCircuit(qubits: qubits, gates: gates, seed: seed)
        let state = try ShardedStatevector(qubits: qubits, communicator: communicator, threads: threads)
        communicator.barrier()
        let t0 = WallClock.now()
        state.apply(circuit, remap: remap)
        communicator.barrier()
        let seconds = communicator.allreduceMax(WallClock.now() - t0)
        let z = state.expectationZ()
        let exchanges = state.exchanges, bytes = state.bytesSent
        var out: [(String, String)] = [
            ("sharded_ranks", "\(communicator.size)"), ("sharded_qubits", "\(qubits)"),
            ("sharded_local_qubits", "\(state.localQubits)"), ("sharded_gates", "\(gates)"),
            ("sharded_remap", "\(remap)"), ("sharded_seconds", "\(seconds)"), ("sharded_exchanges", "\(exchanges)"),
            ("sharded_bytes_sent_per_rank", "\(bytes)"),
            ("sharded_norm", "\(state.norm())"),
            ("sharded_expval_z", z.map { String(format: "%.15f", $0) }.joined(separator: ",")),
        ]
        if check {
            state.restoreLayout()
            let full = try ShardedStatevector(qubits: qubits, communicator: SingleProcessCommunicator(), threads: threads)
            full.apply(circuit)
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
