// Qubit remapping for the sharded statevector: instead of one shard exchange per gate on a wire
// that is split across ranks (a "global" bit), swap that wire's bit with a local bit ONCE (half
// a shard each way) and run every later gate on the wire locally, until the wire is pushed out
// again. Which local wire to push out is Belady's choice: the one whose next use that needs
// locality lies furthest ahead (controls and diagonal gates need no locality: a rank knows its
// own global bits).
//
// This file holds the planner (pure bookkeeping over wire sequences) and the two permutation
// kernels: the global<->local swap (pack the half that moves, one exchange, unpack in place) and
// a local<->local swap (no messages), used to restore the canonical layout.

import Core

/// Per-position wire needs of a gate sequence: which wire must be local at each step.
struct RemapPlanner {
    /// needs[p]: the wire gate p needs local (-1: none); `other[p]`: a wire of gate p that must
    /// not be pushed out to make room (its control), -1 if none.
    let needs: [Int]
    let other: [Int]

    /// Next position >= p where `wire` must be local (Int.max: never).
    func nextNeed(_ wire: Int, from p: Int) -> Int {
        var q = p
        while q < needs.count { if needs[q] == wire { return q }; q += 1 }
        return Int.max
    }

    /// The local wire to push out so that `needs[p]` can come in: the one needed furthest ahead,
    /// never the gate's own wires. Ties go to the lowest bit position (deterministic on every rank).
    func victim(at p: Int, state: ShardedStatevector) -> Int {
        var best = -1, bestNext = -1
        for b in 0..<state.localQubits {
            let w = state.wireOfBit[b]
            if w == needs[p] || w == other[p] { continue }
            let nx = nextNeed(w, from: p + 1)
            if nx > bestNext { best = w; bestNext = nx }
            if nx == Int.max { break }
        }
        return best
    }
}

extension GateKind {
    /// Whether the gate's target amplitude pairs mix (a non-diagonal 2x2): such a target must be
    /// a local bit. Diagonal gates (RZ, PhaseShift, Z, CZ) run on global bits by selecting scales.
    var mixesTarget: Bool {
        switch self {
        case .rz, .phaseShift, .z, .cz: return false
        default: return true
        }
    }
}

enum RemapKernels {
    /// Local half of a global<->local swap: copies the amplitudes whose bit `local` equals
    /// `moving` into `buf` (re then im, 2^(l-1) each), in index order.
    static func pack(_ re: UnsafePointer<Double>, _ im: UnsafePointer<Double>, bit: Int, moving: Int,
                     half: Int, into buf: UnsafeMutablePointer<Double>, _ lo: Int, _ hi: Int) {
        let set = moving << bit
        for p in lo..<hi {
            let k = insertZeroBit(p, bit) | set
            buf[p] = re[k]; buf[half + p] = im[k]
        }
    }

    static func unpack(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, bit: Int, moving: Int,
                       half: Int, from buf: UnsafePointer<Double>, _ lo: Int, _ hi: Int) {
        let set = moving << bit
        for p in lo..<hi {
            let k = insertZeroBit(p, bit) | set
            re[k] = buf[p]; im[k] = buf[half + p]
        }
    }

    /// Swaps bit positions b1 != b2 of the amplitude index within one shard (a permutation:
    /// amplitudes with b1 = 1, b2 = 0 trade places with b1 = 0, b2 = 1); quads lo..<hi of 2^(l-2).
    static func swapLocalBits(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                              _ b1: Int, _ b2: Int, _ lo: Int, _ hi: Int) {
        let bl = Swift.min(b1, b2), bh = Swift.max(b1, b2)
        for q in lo..<hi {
            let i = insertTwoZeroBits(q, bl, bh)
            let x = i | (1 << b1), y = i | (1 << b2)
            (re[x], re[y]) = (re[y], re[x])
            (im[x], im[y]) = (im[y], im[x])
        }
    }
}

extension ShardedStatevector {
    /// Remap swap: `wire` (on a global bit G) and `victim` (on a local bit L) trade bit positions.
    /// An amplitude with (G, L) = (rank's bit, x) moves to (x, rank's bit): the half with
    /// L != rank's bit goes to the partner rank, whose matching half comes back into the same
    /// local positions. One exchange of 2^(local-1) complex amplitudes each way.
    public func swapGlobal(wire: Int, withLocal victim: Int) {
        let g = bitOfWire[wire], l = bitOfWire[victim]
        precondition(!isLocal(bit: g) && isLocal(bit: l), "swapGlobal needs a global wire and a local one")
        let mine = rankBit(g), moving = 1 - mine, half = re.count >> 1
        let partner = communicator.rank ^ (1 << (g - localQubits))
        if peerRe.count != re.count { peerRe = [Double](repeating: 0, count: re.count) }
        var received = [Double](repeating: 0, count: re.count)
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in
            peerRe.withUnsafeMutableBufferPointer { bp in received.withUnsafeMutableBufferPointer { qp in
                let r = rp.baseAddress!, i = ip.baseAddress!, buf = bp.baseAddress!, got = qp.baseAddress!
                threads.forChunks(half, minPerChunk: 1 << 14) { lo, hi in
                    RemapKernels.pack(r, i, bit: l, moving: moving, half: half, into: buf, lo, hi)
                }
                communicator.exchange(UnsafeBufferPointer(bp), qp, partner: partner)
                threads.forChunks(half, minPerChunk: 1 << 14) { lo, hi in
                    RemapKernels.unpack(r, i, bit: l, moving: moving, half: half, from: got, lo, hi)
                }
            } }
        } }
        exchanges += 1; bytesSent += 8 * re.count
        bitOfWire[wire] = l; bitOfWire[victim] = g
        wireOfBit[l] = wire; wireOfBit[g] = victim
    }

    /// Two local bits trade places (no messages).
    func swapLocalBits(_ b1: Int, _ b2: Int) {
        precondition(isLocal(bit: b1) && isLocal(bit: b2) && b1 != b2)
        let d = re.count
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in
            let r = rp.baseAddress!, i = ip.baseAddress!
            threads.forChunks(d >> 2, minPerChunk: 1 << 12) { lo, hi in RemapKernels.swapLocalBits(r, i, b1, b2, lo, hi) }
        } }
        let w1 = wireOfBit[b1], w2 = wireOfBit[b2]
        wireOfBit[b1] = w2; wireOfBit[b2] = w1
        bitOfWire[w1] = b2; bitOfWire[w2] = b1
    }

    /// Brings every wire back to its canonical bit (wire w at bit qubits - 1 - w), so that this
    /// rank's shard is again the slice rank << local ..< (rank + 1) << local of the full state.
    public func restoreLayout() {
        for gbit in localQubits..<qubits {
            let want = qubits - 1 - gbit
            if wireOfBit[gbit] == want { continue }
            if !isLocal(bit: bitOfWire[want]) {
                // The wire sits on another global bit: bring it down to a local bit first.
                swapGlobal(wire: want, withLocal: wireOfBit[0])
            }
            swapGlobal(wire: wireOfBit[gbit], withLocal: want)
        }
        for b in 0..<localQubits {
            let want = qubits - 1 - b
            if wireOfBit[b] != want { swapLocalBits(b, bitOfWire[want]) }
        }
    }
}
