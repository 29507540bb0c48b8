// Qubit remapping for the sharded statevector: instead of one shard exchange per gate on a wire
// that is split across ranks (a "global" bit), swap that wire's bit with a local bit ONCE (half
// a shard each way) and run every later gate on the wire locally, until the wire is pushed out
// again. Which wires move, and when, is the blocked schedule's choice (BlockedPlan.swift: its
// exchange passes, Belady's choice of the low bit needed furthest ahead); this file holds the
// moves: the global<->local swap (the half that moves, in cache-sized messages: pack, exchange, unpack in place) and a
// local<->local swap (no messages), used to restore the canonical layout.

import Core

enum RemapKernels {
    /// Local half of a global<->local swap, one message's worth: copies moving amplitudes
    /// first..<first + count (the amplitudes whose bit `bit` equals `moving`, counted in index
    /// order) into `buf`, re at buf[0..<count], im at buf[count..<2 count]; p in lo..<hi (of
    /// 0..<count) picks the part this thread copies. They lie in runs of 2^bit consecutive
    /// amplitudes, copied run by run.
    static func pack(_ re: UnsafePointer<Double>, _ im: UnsafePointer<Double>, bit: Int, moving: Int,
                     first: Int, count: Int, into buf: UnsafeMutablePointer<Double>, _ lo: Int, _ hi: Int) {
        let set = moving << bit, run = 1 << bit
        var p = first + lo
        while p < first + hi {
            let len = Swift.min(first + hi - p, run - (p & (run - 1))), k = insertZeroBit(p, bit) | set
            (buf + p - first).update(from: re + k, count: len); (buf + count + p - first).update(from: im + k, count: len)
            p += len
        }
    }

    /// The inverse of `pack`: the partner's message in `buf` into moving amplitudes first..<first + count.
    static func unpack(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, bit: Int, moving: Int,
                       first: Int, count: Int, from buf: UnsafePointer<Double>, _ lo: Int, _ hi: Int) {
        let set = moving << bit, run = 1 << bit
        var p = first + lo
        while p < first + hi {
            let len = Swift.min(first + hi - p, run - (p & (run - 1))), k = insertZeroBit(p, bit) | set
            (re + k).update(from: buf + p - first, count: len); (im + k).update(from: buf + count + p - first, count: len)
            p += len
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
    /// Remap swap: `wire` (on a global bit) and `victim` (on a local bit) trade bit positions.
    public func swapGlobal(wire: Int, withLocal victim: Int) {
        exchangeBits(global: bitOfWire[wire], local: bitOfWire[victim])
    }

    /// Global bit position G and local bit position L trade places (the wires on them with it).
    /// An amplitude with (G, L) = (rank's bit, x) moves to (x, rank's bit): the half with
    /// L != rank's bit goes to the partner rank, whose matching half comes back into the same
    /// local positions. 2^(local-1) complex amplitudes each way, in messages of `exchangeChunk`
    /// amplitudes: each packed into a small send buffer, traded, and unpacked from a small
    /// receive buffer while both are still in cache. Packing the whole half into shard-sized
    /// buffers first swept memory three times per exchange (pack, message, unpack) and held two
    /// more shards per state; per message the half is read and written once.
    func exchangeBits(global g: Int, local l: Int) {
        precondition(!isLocal(bit: g) && isLocal(bit: l), "exchangeBits needs a global bit and a local one")
        let mine = rankBit(g), moving = 1 - mine, half = re.count >> 1
        let partner = communicator.rank ^ (1 << (g - localQubits))
        let chunk = Swift.min(exchangeChunk, half), started = WallClock.now()
        var inMessages = 0.0
        if sendBuffer.count != 2 * chunk {
            sendBuffer = [Double](repeating: 0, count: 2 * chunk); receiveBuffer = sendBuffer
        }
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in
            sendBuffer.withUnsafeMutableBufferPointer { sp in receiveBuffer.withUnsafeMutableBufferPointer { qp in
                let r = rp.baseAddress!, i = ip.baseAddress!, send = sp.baseAddress!, got = qp.baseAddress!
                var first = 0
                while first < half {
                    // Both ranks walk the same sequence of messages (their halves are the same size).
                    let n = Swift.min(chunk, half - first)
                    threads.forChunks(n, minPerChunk: 1 << 13) { lo, hi in
                        RemapKernels.pack(r, i, bit: l, moving: moving, first: first, count: n, into: send, lo, hi)
                    }
                    let sent = WallClock.now()
                    communicator.exchange(UnsafeBufferPointer(start: send, count: 2 * n), UnsafeMutableBufferPointer(start: got, count: 2 * n), partner: partner)
                    inMessages += WallClock.now() - sent
                    threads.forChunks(n, minPerChunk: 1 << 13) { lo, hi in
                        RemapKernels.unpack(r, i, bit: l, moving: moving, first: first, count: n, from: got, lo, hi)
                    }
                    first += n
                }
            } }
        } }
        exchanges += 1; bytesSent += 16 * half
        exchangeSeconds += WallClock.now() - started; messageSeconds += inMessages
        swapWires(global: g, local: l)
    }

    /// Bookkeeping of a remap swap: the wires on global bit g and local bit l trade places.
    func swapWires(global g: Int, local l: Int) {
        let wg = wireOfBit[g], wl = wireOfBit[l]
        bitOfWire[wg] = l; bitOfWire[wl] = g
        wireOfBit[l] = wg; wireOfBit[g] = wl
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
