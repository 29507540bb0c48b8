// Lane kernels: 4 independent small states interleaved amplitude-by-amplitude (one SIMD4<Double>
// per amplitude holds that amplitude of 4 samples). Every gate is then 4-wide vector arithmetic
// whatever its qubit, with no short inner runs for low qubits; the batched engine uses these for
// small circuits, the shard kernels (Kernels.swift) for large states.

typealias Lane = SIMD4<Double>
let laneWidth = 4

/// A 2x2 matrix per lane.
struct LaneMat {
    var ar, ai, br, bi, cr, ci, dr, di: Lane

    init(_ m: Mat2) {
        ar = Lane(repeating: m.ar); ai = Lane(repeating: m.ai); br = Lane(repeating: m.br); bi = Lane(repeating: m.bi)
        cr = Lane(repeating: m.cr); ci = Lane(repeating: m.ci); dr = Lane(repeating: m.dr); di = Lane(repeating: m.di)
    }

    init(ar: Lane, ai: Lane, br: Lane, bi: Lane, cr: Lane, ci: Lane, dr: Lane, di: Lane) {
        self.ar = ar; self.ai = ai; self.br = br; self.bi = bi; self.cr = cr; self.ci = ci; self.dr = dr; self.di = di
    }

    mutating func set(_ l: Int, _ m: Mat2) {
        ar[l] = m.ar; ai[l] = m.ai; br[l] = m.br; bi[l] = m.bi
        cr[l] = m.cr; ci[l] = m.ci; dr[l] = m.dr; di[l] = m.di
    }

    func lane(_ l: Int) -> Mat2 { Mat2(ar[l], ai[l], br[l], bi[l], cr[l], ci[l], dr[l], di[l]) }

    /// Re(sum_ab d_ab m_ab) per lane, for a matrix d shared by all lanes.
    func realContraction(with d: Mat2) -> Lane {
        var s = d.ar * ar
        s -= d.ai * ai; s += d.br * br; s -= d.bi * bi
        s += d.cr * cr; s -= d.ci * ci; s += d.dr * dr; s -= d.di * di
        return s
    }
}

enum LaneKernels {
    /// m times the pair (a, b), per lane, in fused multiply-adds (`addingProduct`, one vfmadd
    /// each; Swift does not contract `x += y * z` itself): 4 multiplies and 12 FMAs instead of
    /// 16 multiplies and 12 adds. Measured: no change in the blocked pair kernel's time (its loop
    /// is bound by register spills), kept since it costs nothing and rounds once per product.
    @inline(__always)
    static func mix(_ m: LaneMat, _ ar: Lane, _ ai: Lane, _ br: Lane, _ bi: Lane) -> (Lane, Lane, Lane, Lane) {
        let nai_ = -ai, nbi_ = -bi
        let nar = (m.ar * ar).addingProduct(m.ai, nai_).addingProduct(m.br, br).addingProduct(m.bi, nbi_)
        let nai = (m.ar * ai).addingProduct(m.ai, ar).addingProduct(m.br, bi).addingProduct(m.bi, br)
        let nbr = (m.cr * ar).addingProduct(m.ci, nai_).addingProduct(m.dr, br).addingProduct(m.di, nbi_)
        let nbi = (m.cr * ai).addingProduct(m.ci, ar).addingProduct(m.dr, bi).addingProduct(m.di, br)
        return (nar, nai, nbr, nbi)
    }

    /// Dense 2x2 on `bit` (dim = 2^n amplitudes, each a lane vector). Pairs whose index has a
    /// bit of `swapMask` set store their result swapped: that is the 2x2 followed by CNOT
    /// (control = the swapMask bit, target = `bit`) in the same pass.
    static func apply2x2(_ re: UnsafeMutablePointer<Lane>, _ im: UnsafeMutablePointer<Lane>, dim: Int, bit: Int,
                         _ m: LaneMat, swapMask: Int = 0) {
        let s = 1 << bit
        for p in 0..<(dim >> 1) {
            let i0 = insertZeroBit(p, bit), j0 = i0 | s
            let r = mix(m, re[i0], im[i0], re[j0], im[j0])
            let sw = (i0 & swapMask) != 0
            let i = sw ? j0 : i0, j = sw ? i0 : j0
            re[i] = r.0; im[i] = r.1; re[j] = r.2; im[j] = r.3
        }
    }

    /// The inverse of a (possibly CNOT-fused) step without gradient bookkeeping: loads swapped
    /// where a swapMask bit is set, then applies u (control >= 0: only where control is set).
    static func adjointApply(_ re: UnsafeMutablePointer<Lane>, _ im: UnsafeMutablePointer<Lane>, dim: Int,
                             control: Int, target: Int, _ u: LaneMat, swapMask: Int) {
        let t = 1 << target
        let count = control < 0 ? dim >> 1 : dim >> 2
        let lo = control < 0 ? target : Swift.min(control, target), hi = Swift.max(control, target)
        let cmask = control < 0 ? 0 : 1 << control
        for q in 0..<count {
            let i = control < 0 ? insertZeroBit(q, target) : insertTwoZeroBits(q, lo, hi) | cmask
            let j = i | t
            let sw = (i & swapMask) != 0
            let x = sw ? j : i, y = sw ? i : j
            let n = mix(u, re[x], im[x], re[y], im[y])
            re[i] = n.0; im[i] = n.1; re[j] = n.2; im[j] = n.3
        }
    }

    /// Diagonal 2x2 on `bit`.
    static func applyDiagonal(_ re: UnsafeMutablePointer<Lane>, _ im: UnsafeMutablePointer<Lane>, dim: Int, bit: Int, _ m: LaneMat) {
        let s = 1 << bit
        for p in 0..<(dim >> 1) {
            let i = insertZeroBit(p, bit), j = i | s
            let xr = re[i], xi = im[i], yr = re[j], yi = im[j]
            re[i] = m.ar * xr - m.ai * xi; im[i] = m.ar * xi + m.ai * xr
            re[j] = m.dr * yr - m.di * yi; im[j] = m.dr * yi + m.di * yr
        }
    }

    static func applyCNOT(_ re: UnsafeMutablePointer<Lane>, _ im: UnsafeMutablePointer<Lane>, dim: Int, control: Int, target: Int) {
        let c = 1 << control, t = 1 << target
        let lo = Swift.min(control, target), hi = Swift.max(control, target)
        for q in 0..<(dim >> 2) {
            let i = insertTwoZeroBits(q, lo, hi) | c, j = i | t
            let xr = re[i], xi = im[i]
            re[i] = re[j]; im[i] = im[j]; re[j] = xr; im[j] = xi
        }
    }

    static func applyCZ(_ re: UnsafeMutablePointer<Lane>, _ im: UnsafeMutablePointer<Lane>, dim: Int, _ a: Int, _ b: Int) {
        let both = (1 << a) | (1 << b)
        for q in 0..<(dim >> 2) {
            let i = insertTwoZeroBits(q, Swift.min(a, b), Swift.max(a, b)) | both
            re[i] = -re[i]; im[i] = -im[i]
        }
    }

    static func applyControlled(_ re: UnsafeMutablePointer<Lane>, _ im: UnsafeMutablePointer<Lane>, dim: Int,
                                control: Int, target: Int, _ m: LaneMat) {
        let c = 1 << control, t = 1 << target
        let lo = Swift.min(control, target), hi = Swift.max(control, target)
        for q in 0..<(dim >> 2) {
            let i = insertTwoZeroBits(q, lo, hi) | c, j = i | t
            let r = mix(m, re[i], im[i], re[j], im[j])
            re[i] = r.0; im[i] = r.1; re[j] = r.2; im[j] = r.3
        }
    }

    /// Adjoint step (see Kernels.adjointStep) for laneWidth lanes at once; control < 0: uncontrolled.
    /// Returns M_ab per lane.
    static func adjointStep(_ pr: UnsafeMutablePointer<Lane>, _ pi: UnsafeMutablePointer<Lane>,
                            _ lr: UnsafeMutablePointer<Lane>, _ li: UnsafeMutablePointer<Lane>, dim: Int,
                            control: Int, target: Int, _ u: LaneMat, swapMask: Int = 0) -> LaneMat {
        let t = 1 << target
        var m00r = Lane(), m00i = Lane(), m01r = Lane(), m01i = Lane()
        var m10r = Lane(), m10i = Lane(), m11r = Lane(), m11i = Lane()
        let count = control < 0 ? dim >> 1 : dim >> 2
        let lo = control < 0 ? target : Swift.min(control, target), hi = Swift.max(control, target)
        let cmask = control < 0 ? 0 : 1 << control
        for q in 0..<count {
            let i = control < 0 ? insertZeroBit(q, target) : insertTwoZeroBits(q, lo, hi) | cmask
            let j = i | t
            // Fused CNOT: read (j, i) where the control bit is set (CNOT applied first).
            let sw = (i & swapMask) != 0
            let x = sw ? j : i, y = sw ? i : j
            let n = mix(u, pr[x], pi[x], pr[y], pi[y])
            let lar = lr[x], lai = li[x], lbr = lr[y], lbi = li[y]
            pr[i] = n.0; pi[i] = n.1; pr[j] = n.2; pi[j] = n.3
            m00r += lar * n.0 + lai * n.1; m00i += lar * n.1 - lai * n.0
            m01r += lar * n.2 + lai * n.3; m01i += lar * n.3 - lai * n.2
            m10r += lbr * n.0 + lbi * n.1; m10i += lbr * n.1 - lbi * n.0
            m11r += lbr * n.2 + lbi * n.3; m11i += lbr * n.3 - lbi * n.2
            let l = mix(u, lar, lai, lbr, lbi)
            lr[i] = l.0; li[i] = l.1; lr[j] = l.2; li[j] = l.3
        }
        return LaneMat(ar: m00r, ai: m00i, br: m01r, bi: m01i, cr: m10r, ci: m10i, dr: m11r, di: m11i)
    }

    /// <Z_w> per lane for every wire w (wire 0 = most significant bit): out[w].
    static func expvals(_ re: UnsafePointer<Lane>, _ im: UnsafePointer<Lane>, n: Int, into out: UnsafeMutablePointer<Lane>) {
        for w in 0..<n { out[w] = Lane() }
        let dim = 1 << n
        for k in 0..<dim {
            let p = re[k] * re[k] + im[k] * im[k]
            for w in 0..<n {
                if (k >> (n - 1 - w)) & 1 == 0 { out[w] += p } else { out[w] -= p }
            }
        }
    }
}
