// Statevector kernels over ONE contiguous shard of 2^local amplitudes, split real/imaginary.
//
// Layout choice: split re/im arrays (not interleaved) so the 2x2 update is plain real FMAs on
// unit-stride streams that the compiler vectorises without shuffles. Every kernel takes bit
// positions (< local) and a half-open range of pair (or quad) indices, so callers can split the
// work across threads, and a distributed caller can run the same kernel on its own shard when
// the gate's qubits are local (global qubits, the high bits, are handled outside the kernel by
// exchanging or selecting whole shards).

import Core

@inline(__always)
func insertZeroBit(_ p: Int, _ bit: Int) -> Int {
    let low = p & ((1 << bit) &- 1)
    return ((p ^ low) << 1) | low
}

/// Inserts zero bits at positions lo < hi.
@inline(__always)
func insertTwoZeroBits(_ q: Int, _ lo: Int, _ hi: Int) -> Int {
    insertZeroBit(insertZeroBit(q, lo), hi)
}

enum Kernels {
    /// (a, b) <- m (a, b) for every amplitude pair differing in `bit`; pairs lo..<hi of 2^(local-1).
    static func apply2x2(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                         bit: Int, _ m: Mat2, _ lo: Int, _ hi: Int) {
        let stride = 1 << bit
        if bit == 0 {
            // Adjacent pairs: one flat loop (the compiler vectorises the stride-2 accesses)
            // instead of runs of length 1.
            for p in lo..<hi {
                let i = 2 * p
                (re[i], im[i], re[i + 1], im[i + 1]) = m.apply(re[i], im[i], re[i + 1], im[i + 1])
            }
            return
        }
        var p = lo
        while p < hi {
            let low = p & (stride - 1)
            let i0 = ((p ^ low) << 1) | low
            let len = Swift.min(hi - p, stride - low)
            let xr = re + i0, xi = im + i0, yr = re + i0 + stride, yi = im + i0 + stride
            for j in 0..<len {
                (xr[j], xi[j], yr[j], yi[j]) = m.apply(xr[j], xi[j], yr[j], yi[j])
            }
            p += len
        }
    }

    /// Diagonal fast path: amplitudes with `bit` clear times (ar, ai), set times (dr, di);
    /// amplitude indices lo..<hi of 2^local.
    static func applyDiagonal(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                              bit: Int, _ m: Mat2, _ lo: Int, _ hi: Int) {
        let stride = 1 << bit
        var i = lo
        while i < hi {
            let set = (i & stride) != 0
            let len = Swift.min(hi - i, stride - (i & (stride - 1)))
            let cr = set ? m.dr : m.ar, ci = set ? m.di : m.ai
            let xr = re + i, xi = im + i
            for j in 0..<len {
                let r = xr[j], q = xi[j]
                xr[j] = cr * r - ci * q
                xi[j] = cr * q + ci * r
            }
            i += len
        }
    }

    /// CNOT as a permutation: swaps (control=1, target=0) with (control=1, target=1); quads
    /// lo..<hi of 2^(local-2).
    static func applyCNOT(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                          control: Int, target: Int, _ lo: Int, _ hi: Int) {
        let c = 1 << control, t = 1 << target
        let bl = Swift.min(control, target), bh = Swift.max(control, target)
        let run = 1 << bl
        var q = lo
        while q < hi {
            let i = insertTwoZeroBits(q, bl, bh) | c
            let len = Swift.min(hi - q, run - (q & (run - 1)))
            let xr = re + i, xi = im + i, yr = re + (i | t), yi = im + (i | t)
            for j in 0..<len {
                let ar = xr[j], ai = xi[j]
                xr[j] = yr[j]; xi[j] = yi[j]
                yr[j] = ar; yi[j] = ai
            }
            q += len
        }
    }

    /// CNOT over a whole shard of 2^local amplitudes (dim), split over `threads` (inline when serial).
    static func applyCNOTAll(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                             control: Int, target: Int, dim: Int, threads: Threads) {
        threads.forChunks(dim >> 2, minPerChunk: 1 << 12) { lo, hi in applyCNOT(re, im, control: control, target: target, lo, hi) }
    }

    /// A 2x2 on `target` followed by CNOT(control, target) in one pass: where the control bit is
    /// set the two results are stored swapped. Quads lo..<hi of 2^(local-2).
    static func apply2x2ThenCNOT(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                                 control: Int, target: Int, _ m: Mat2, _ lo: Int, _ hi: Int) {
        let c = 1 << control, t = 1 << target
        let bl = Swift.min(control, target), bh = Swift.max(control, target)
        let run = 1 << bl
        var q = lo
        while q < hi {
            let i = insertTwoZeroBits(q, bl, bh)
            let len = Swift.min(hi - q, run - (q & (run - 1)))
            // control = 0: plain 2x2 on (i, i|t)
            var xr = re + i, xi = im + i, yr = re + (i | t), yi = im + (i | t)
            for j in 0..<len {
                (xr[j], xi[j], yr[j], yi[j]) = m.apply(xr[j], xi[j], yr[j], yi[j])
            }
            // control = 1: 2x2 on (k, k|t), results swapped (the CNOT)
            xr = re + (i | c); xi = im + (i | c); yr = re + (i | c | t); yi = im + (i | c | t)
            for j in 0..<len {
                (yr[j], yi[j], xr[j], xi[j]) = m.apply(xr[j], xi[j], yr[j], yi[j])
            }
            q += len
        }
    }

    /// CZ: negates amplitudes with both bits set; quads lo..<hi of 2^(local-2).
    static func applyCZ(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                        _ b1: Int, _ b2: Int, _ lo: Int, _ hi: Int) {
        let bl = Swift.min(b1, b2), bh = Swift.max(b1, b2)
        let both = (1 << b1) | (1 << b2)
        let run = 1 << bl
        var q = lo
        while q < hi {
            let i = insertTwoZeroBits(q, bl, bh) | both
            let len = Swift.min(hi - q, run - (q & (run - 1)))
            let xr = re + i, xi = im + i
            for j in 0..<len { xr[j] = -xr[j]; xi[j] = -xi[j] }
            q += len
        }
    }

    /// Controlled 2x2 on `target` where `control` is set; quads lo..<hi of 2^(local-2).
    static func applyControlled2x2(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                                   control: Int, target: Int, _ m: Mat2, _ lo: Int, _ hi: Int) {
        let c = 1 << control, t = 1 << target
        let bl = Swift.min(control, target), bh = Swift.max(control, target)
        let run = 1 << bl
        var q = lo
        while q < hi {
            let i = insertTwoZeroBits(q, bl, bh) | c
            let len = Swift.min(hi - q, run - (q & (run - 1)))
            let xr = re + i, xi = im + i, yr = re + (i | t), yi = im + (i | t)
            for j in 0..<len {
                (xr[j], xi[j], yr[j], yi[j]) = m.apply(xr[j], xi[j], yr[j], yi[j])
            }
            q += len
        }
    }

    /// One adjoint step for a (possibly controlled) 2x2 gate in a single pass: phi <- u phi,
    /// then accumulates M_ab = sum_k conj(lambda_{k,a}) phi_{k,b} with the OLD lambda and the NEW
    /// phi, then lambda <- u lambda (u is the inverse gate). Pair indices lo..<hi; `control` < 0
    /// for an uncontrolled gate (then indices range over 2^(local-1) pairs, else 2^(local-2) quads).
    static func adjointStep(_ pr: UnsafeMutablePointer<Double>, _ pi: UnsafeMutablePointer<Double>,
                            _ lr: UnsafeMutablePointer<Double>, _ li: UnsafeMutablePointer<Double>,
                            control: Int, target: Int, _ u: Mat2, _ lo: Int, _ hi: Int) -> Mat2 {
        let t = 1 << target
        let bl = control < 0 ? target : Swift.min(control, target)
        let run = 1 << bl
        let cmask = control < 0 ? 0 : 1 << control
        var m00r = 0.0, m00i = 0.0, m01r = 0.0, m01i = 0.0, m10r = 0.0, m10i = 0.0, m11r = 0.0, m11i = 0.0
        var q = lo
        while q < hi {
            let i = control < 0 ? insertZeroBit(q, target)
                                : insertTwoZeroBits(q, bl, Swift.max(control, target)) | cmask
            let len = Swift.min(hi - q, run - (q & (run - 1)))
            let xr = pr + i, xi = pi + i, yr = pr + (i | t), yi = pi + (i | t)
            let ur = lr + i, ui = li + i, vr = lr + (i | t), vi = li + (i | t)
            for j in 0..<len {
                let (nar, nai, nbr, nbi) = u.apply(xr[j], xi[j], yr[j], yi[j])
                xr[j] = nar; xi[j] = nai; yr[j] = nbr; yi[j] = nbi
                let lar = ur[j], lai = ui[j], lbr = vr[j], lbi = vi[j]
                // conj(l) * p = (lr p_r + li p_i) + i (lr p_i - li p_r)
                m00r += lar * nar + lai * nai; m00i += lar * nai - lai * nar
                m01r += lar * nbr + lai * nbi; m01i += lar * nbi - lai * nbr
                m10r += lbr * nar + lbi * nai; m10i += lbr * nai - lbi * nar
                m11r += lbr * nbr + lbi * nbi; m11i += lbr * nbi - lbi * nbr
                (ur[j], ui[j], vr[j], vi[j]) = u.apply(lar, lai, lbr, lbi)
            }
            q += len
        }
        return Mat2(m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i)
    }

    /// Accumulates probabilities into per-bit sums: out[bit] += sum_k |psi_k|^2 (1 - 2 bit_k),
    /// for amplitudes lo..<hi of a shard with `local` qubits whose first amplitude has global
    /// index `base` (so bits above `local` are read from `base`).
    ///
    /// Why it folds: summing per amplitude and per bit costs n operations an amplitude (a 24-qubit
    /// readout cost a third of a blocked layer forward). Instead, each aligned run of 2^R
    /// probabilities gives bit b < R its signed sum as total - 2 x (upper half of the run folded
    /// down to 2^(b+1) values), folding by halves (about two additions an amplitude, in loops the
    /// compiler vectorises), and every bit >= R its sign once per run from the run's index.
    static func accumulateZ(_ re: UnsafePointer<Double>, _ im: UnsafePointer<Double>, local: Int,
                            base: Int, _ lo: Int, _ hi: Int, into out: UnsafeMutablePointer<Double>, bits: Int) {
        let runBits = Swift.min(local, foldRunQubits), len = 1 << runBits
        let firstRun = (lo + len - 1) & ~(len - 1), lastRun = hi & ~(len - 1)
        guard firstRun < lastRun else {
            accumulateZPerRun(re, im, base: base, lo, hi, into: out, bits: bits); return
        }
        accumulateZPerRun(re, im, base: base, lo, firstRun, into: out, bits: bits)
        let p = UnsafeMutablePointer<Double>.allocate(capacity: len)
        defer { p.deallocate() }
        var run = firstRun
        while run < lastRun {
            var total = 0.0
            for k in 0..<len {
                let x = re[run + k], y = im[run + k]
                p[k] = x * x + y * y
            }
            for k in 0..<len { total += p[k] }
            var half = len >> 1, b = runBits - 1
            while half > 0 {
                var upper = 0.0
                for k in 0..<half { upper += p[half + k] }
                out[b] += total - 2 * upper
                for k in 0..<half { p[k] += p[half + k] }
                half >>= 1; b -= 1
            }
            let g = base + run
            for b in runBits..<bits { out[b] += (g >> b) & 1 == 0 ? total : -total }
            run += len
        }
        accumulateZPerRun(re, im, base: base, lastRun, hi, into: out, bits: bits)
    }

    /// Run size (log2 amplitudes) of accumulateZ's folding: 2^10 probabilities, 8 KiB, stay in L1.
    static let foldRunQubits = 10

    /// accumulateZ amplitude by amplitude in runs of 8 (the unaligned ends of a range, and the
    /// reference its folding is tested against).
    static func accumulateZPerRun(_ re: UnsafePointer<Double>, _ im: UnsafePointer<Double>,
                                  base: Int, _ lo: Int, _ hi: Int, into out: UnsafeMutablePointer<Double>, bits: Int) {
        var i = lo
        // Sum probabilities in runs that share all bits >= 3, then attribute signs per bit.
        while i < hi {
            let len = Swift.min(hi - i, 8 - (i & 7))
            var pSum = 0.0
            var lowSigned = (0.0, 0.0, 0.0)
            for j in 0..<len {
                let k = i + j
                let p = re[k] * re[k] + im[k] * im[k]
                pSum += p
                lowSigned.0 += (k & 1) == 0 ? p : -p
                lowSigned.1 += (k & 2) == 0 ? p : -p
                lowSigned.2 += (k & 4) == 0 ? p : -p
            }
            let g = base + i
            for b in 0..<bits {
                switch b {
                case 0: out[0] += lowSigned.0
                case 1: out[1] += lowSigned.1
                case 2: out[2] += lowSigned.2
                default: out[b] += (g >> b) & 1 == 0 ? pSum : -pSum
                }
            }
            i += len
        }
    }
}
