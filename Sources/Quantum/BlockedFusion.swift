// In-block kernels of the blocked schedule that beat the per-step kernels where a block sits in
// L2 (BlockedPlan.swift): once the passes over the whole state are few, each block pass is bound
// by its sweeps of the 2^blockQubits amplitudes in L2 and by arithmetic, not by memory.
//
// - Step pairs: two consecutive steps that are each "a 2x2 on a target bit, chosen by a control
//   bit" (dense, controlled, dense-then-CNOT) run in ONE sweep: the four amplitudes spanned by
//   the two targets are loaded once, both 2x2s applied in registers, stored once. Half the L2
//   traffic of two sweeps, the same arithmetic in the same order as two calls of `step`.
// - The adjoint's contraction with explicit 4-wide accumulators: the compiler does not
//   vectorise a floating-point sum (reassociation), so Kernels.adjointStep runs scalar (it was
//   half the time of a 24-qubit gradient); here each lane keeps its own partial sums.
//
// - Lone steps and plain CNOTs (applyOne, applyCNOT) in 4-wide vectors: through `step` they ran
//   scalar, 15% of a deep 24-qubit forward.
//
// The per-step kernels (Kernels.swift) stay the reference these are tested against.

import Core

/// A step as "a 2x2 on `target`, `clear` where the control bit is 0, `set` where it is 1"
/// (control -1: none, `clear` everywhere). A control may lie above the block: then its value is
/// read from the block's base index, as in BlockedKernels.step.
struct TargetStep {
    let target: Int
    let control: Int
    let clear: Mat2
    let set: Mat2
}

@inline(__always) private func load(_ p: UnsafeMutablePointer<Double>) -> Lane { UnsafeRawPointer(p).loadUnaligned(as: Lane.self) }
@inline(__always) private func store(_ p: UnsafeMutablePointer<Double>, _ v: Lane) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lane.self) }

extension BlockedKernels {
    /// The TargetStep form of a step in physical bits (a: only bit / control, b: target), or nil
    /// for the kinds that stay on their own kernel (diagonal, CNOT, CZ: cheaper than a 2x2).
    static func targetForm(_ kind: StepKind, _ a: Int, _ b: Int, _ m: Mat2) -> TargetStep? {
        switch kind {
        case .dense: return TargetStep(target: a, control: -1, clear: m, set: m)
        case .controlled: return TargetStep(target: b, control: a, clear: .identity, set: m)
        // The CNOT after the 2x2 swaps the pair's results where the control is set: the 2x2
        // with its rows swapped (X m, exact).
        case .denseThenCNOT: return TargetStep(target: b, control: a, clear: m, set: Mat2(m.cr, m.ci, m.dr, m.di, m.ar, m.ai, m.br, m.bi))
        case .diagonal, .cnot, .cz: return nil
        }
    }

    /// Whether a step's target or control is bit 0 or 1: along those the runs of equal matrix
    /// choice are shorter than a vector, so `step` and `applyPair` would run scalar; `applyLow`
    /// runs it alone in vectors instead.
    static func isLow(_ f: TargetStep) -> Bool { f.target < 2 || (f.control >= 0 && f.control < 2) }

    /// How the steps of a block pass run: per group, its first step and whether it is a pair
    /// (steps j and j+1 through `applyPair`) or a single step (through `applyLow` where `isLow`,
    /// else `step`).
    static func pairSchedule(_ forms: [TargetStep?]) -> [(first: Int, paired: Bool)] {
        var out: [(first: Int, paired: Bool)] = []
        var j = 0
        while j < forms.count {
            if j + 1 < forms.count, let f = forms[j], let g = forms[j + 1], f.target != g.target, !isLow(f), !isLow(g) {
                out.append((j, true)); j += 2
            } else {
                out.append((j, false)); j += 1
            }
        }
        return out
    }

    /// Step s then step u on one block of 2^bq amplitudes (global index of the first: `base`),
    /// in one sweep. Both targets are < bq and differ. Equal to `step` for s then for u up to
    /// rounding (fused multiply-adds).
    static func applyPair(_ s: TargetStep, _ u: TargetStep, _ re: UnsafeMutablePointer<Double>,
                          _ im: UnsafeMutablePointer<Double>, base: Int, bq: Int) {
        let s1 = 1 << s.target, s2 = 1 << u.target
        let lo = Swift.min(s.target, u.target), hi = Swift.max(s.target, u.target)
        // Runs of consecutive amplitudes along which every matrix choice is constant: below
        // both targets and every in-block control.
        var low = lo
        for c in [s.control, u.control] where c >= 0 && c < bq { low = Swift.min(low, c) }
        let run = 1 << low, quads = 1 << (bq - 2)
        // The four lane matrices, built once per block and picked per run by pointer instead of
        // built per run (32 broadcasts and stores each time); measured: no change in time.
        var lanes = (LaneMat(s.clear), LaneMat(s.set), LaneMat(u.clear), LaneMat(u.set))
        let cs = s.control, cu = u.control
        withUnsafeMutableBytes(of: &lanes) { raw in
            let mats = raw.baseAddress!.assumingMemoryBound(to: LaneMat.self)
            @inline(__always) func bit(_ c: Int, _ k: Int) -> Int { c >= 0 ? ((base | k) >> c) & 1 : 0 }
            var q = 0
            while q < quads {
                let i = insertTwoZeroBits(q, lo, hi)
                // s on the pairs along s's target, u on those along u's, each pair's matrix chosen
                // by its control bit at the pair's first index.
                let ma = mats + bit(cs, i), mb = mats + bit(cs, i | s2), mc = mats + 2 + bit(cu, i), md = mats + 2 + bit(cu, i | s1)
                let r0 = re + i, i0 = im + i, r1 = re + (i | s1), i1 = im + (i | s1)
                let r2 = re + (i | s2), i2 = im + (i | s2), r3 = re + (i | s1 | s2), i3 = im + (i | s1 | s2)
                if run >= 4 {
                    var j = 0
                    while j < run {
                        let a = LaneKernels.mix(ma.pointee, load(r0 + j), load(i0 + j), load(r1 + j), load(i1 + j))
                        let b = LaneKernels.mix(mb.pointee, load(r2 + j), load(i2 + j), load(r3 + j), load(i3 + j))
                        let c = LaneKernels.mix(mc.pointee, a.0, a.1, b.0, b.1)
                        let d = LaneKernels.mix(md.pointee, a.2, a.3, b.2, b.3)
                        store(r0 + j, c.0); store(i0 + j, c.1); store(r2 + j, c.2); store(i2 + j, c.3)
                        store(r1 + j, d.0); store(i1 + j, d.1); store(r3 + j, d.2); store(i3 + j, d.3)
                        j += 4
                    }
                } else {
                    let xa = bit(cs, i) == 1 ? s.set : s.clear, xb = bit(cs, i | s2) == 1 ? s.set : s.clear
                    let xc = bit(cu, i) == 1 ? u.set : u.clear, xd = bit(cu, i | s1) == 1 ? u.set : u.clear
                    for j in 0..<run {
                        let a = xa.apply(r0[j], i0[j], r1[j], i1[j]), b = xb.apply(r2[j], i2[j], r3[j], i3[j])
                        (r0[j], i0[j], r2[j], i2[j]) = xc.apply(a.0, a.1, b.0, b.1)
                        (r1[j], i1[j], r3[j], i3[j]) = xd.apply(a.2, a.3, b.2, b.3)
                    }
                }
                q += run
            }
        }
    }

    /// One step in TargetStep form on a block, alone (no partner for `applyPair`), with target
    /// and every in-block control from bit 2 up: the pair kernel's sweep with one 2x2, in 4-wide
    /// vectors (the per-step `step` kernels run these scalar). Equal to `step` up to rounding.
    static func applyOne(_ t: TargetStep, _ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, base: Int, bq: Int) {
        let s1 = 1 << t.target, c = t.control
        var low = t.target
        if c >= 0 && c < bq { low = Swift.min(low, c) }
        let run = 1 << low, pairs = 1 << (bq - 1)
        var lanes = (LaneMat(t.clear), LaneMat(t.set))
        withUnsafeMutableBytes(of: &lanes) { raw in
            let mats = raw.baseAddress!.assumingMemoryBound(to: LaneMat.self)
            var q = 0
            while q < pairs {
                let i = insertZeroBit(q, t.target)
                let m = mats + (c >= 0 ? ((base | i) >> c) & 1 : 0)
                let r0 = re + i, i0 = im + i, r1 = re + (i | s1), i1 = im + (i | s1)
                var j = 0
                while j < run {
                    let a = LaneKernels.mix(m.pointee, load(r0 + j), load(i0 + j), load(r1 + j), load(i1 + j))
                    store(r0 + j, a.0); store(i0 + j, a.1); store(r1 + j, a.2); store(i1 + j, a.3)
                    j += 4
                }
                q += run
            }
        }
    }

    /// CNOT(control, target) on a block, target from bit 2 up (any control: in the block, above
    /// it, or on bit 0 or 1): a swap of 4-wide vectors, blended per element where the control is
    /// bit 0 or 1. Exact (it only moves amplitudes), as `step`'s scalar swap.
    static func applyCNOT(control c: Int, target: Int, _ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>,
                          base: Int, bq: Int) {
        let t = 1 << target, size = 1 << bq
        if c >= bq && (base >> c) & 1 == 0 { return }
        // Elements whose control bit is set, within a vector of 4 consecutive amplitudes.
        var mask = SIMDMask<SIMD4<Int64>>(repeating: c >= 2)
        if c < 2 { for e in 0..<4 { mask[e] = (e >> c) & 1 == 1 } }
        let cmask = c >= 2 && c < bq ? 1 << c : 0
        var k = 0
        while k < size {
            if k & t != 0 { k += t; continue }
            if k & cmask == 0 && cmask != 0 { k += 4; continue }
            let xr = load(re + k), xi = load(im + k), yr = load(re + k + t), yi = load(im + k + t)
            store(re + k, xr.replacing(with: yr, where: mask)); store(im + k, xi.replacing(with: yi, where: mask))
            store(re + k + t, yr.replacing(with: xr, where: mask)); store(im + k + t, yi.replacing(with: xi, where: mask))
            k += 4
        }
    }

    /// One step whose target or control is bit 0 or 1 (`isLow`) on a block of 2^bq amplitudes
    /// (bq >= 2), in 4-wide vectors of consecutive amplitudes with a matrix per element: equal to
    /// `step` up to rounding (the same products, summed in another order). Target on bit 0 or 1:
    /// each element's pair partner is in the same vector (LowRows); target higher (so the control
    /// is low): pairs of vectors, each element with its own control's matrix.
    static func applyLow(_ t: TargetStep, _ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, base: Int, bq: Int) {
        let c = t.control, size = 1 << bq
        @inline(__always) func mat(_ k: Int) -> Mat2 { c >= 0 && ((base | k) >> c) & 1 == 1 ? t.set : t.clear }
        if t.target < 2 {
            let highControl = c >= 2 && c < bq
            let clear = LowRows(target: t.target, at: 0, mat), set = highControl ? LowRows(target: t.target, at: 1 << c, mat) : clear
            var k = 0
            while k < size {
                let (nr, ni) = (highControl && (k >> c) & 1 == 1 ? set : clear).apply(load(re + k), load(im + k))
                store(re + k, nr); store(im + k, ni)
                k += 4
            }
        } else {
            var lm = LaneMat(t.clear)
            for e in 0..<4 { lm.set(e, mat(e)) }   // the control is bit 0 or 1 of the element
            let s = 1 << t.target
            var k = 0
            while k < size {
                if k & s != 0 { k += s; continue }
                let n = LaneKernels.mix(lm, load(re + k), load(im + k), load(re + k + s), load(im + k + s))
                store(re + k, n.0); store(im + k, n.1); store(re + k + s, n.2); store(im + k + s, n.3)
                k += 4
            }
        }
    }

    /// Kernels.adjointStep (same arguments, same result up to the order of the sums) with the
    /// contraction in 4-wide partial sums. Falls back to it where runs are shorter than 4
    /// (target or control on bit 0 or 1) or the range is not in whole vectors.
    static func adjointStep(_ pr: UnsafeMutablePointer<Double>, _ pi: UnsafeMutablePointer<Double>,
                            _ lr: UnsafeMutablePointer<Double>, _ li: UnsafeMutablePointer<Double>,
                            control: Int, target: Int, _ u: Mat2, _ lo: Int, _ hi: Int) -> Mat2 {
        let bl = control < 0 ? target : Swift.min(control, target)
        guard bl >= 2, (lo | hi) & 3 == 0 else {
            return Kernels.adjointStep(pr, pi, lr, li, control: control, target: target, u, lo, hi)
        }
        let t = 1 << target, run = 1 << bl
        let cmask = control < 0 ? 0 : 1 << control
        let v = LaneMat(u)
        var m00r = Lane(), m00i = Lane(), m01r = Lane(), m01i = Lane(), m10r = Lane(), m10i = Lane(), m11r = Lane(), m11i = Lane()
        var q = lo
        while q < hi {
            let i = control < 0 ? insertZeroBit(q, target) : insertTwoZeroBits(q, bl, Swift.max(control, target)) | cmask
            let len = Swift.min(hi - q, run - (q & (run - 1)))
            let xr = pr + i, xi = pi + i, yr = pr + (i | t), yi = pi + (i | t)
            let ur = lr + i, ui = li + i, vr = lr + (i | t), vi = li + (i | t)
            var j = 0
            while j < len {
                let n = LaneKernels.mix(v, load(xr + j), load(xi + j), load(yr + j), load(yi + j))
                store(xr + j, n.0); store(xi + j, n.1); store(yr + j, n.2); store(yi + j, n.3)
                let lar = load(ur + j), lai = load(ui + j), lbr = load(vr + j), lbi = load(vi + j)
                // conj(l) * p = (lr p_r + li p_i) + i (lr p_i - li p_r)
                m00r += lar * n.0 + lai * n.1; m00i += lar * n.1 - lai * n.0
                m01r += lar * n.2 + lai * n.3; m01i += lar * n.3 - lai * n.2
                m10r += lbr * n.0 + lbi * n.1; m10i += lbr * n.1 - lbi * n.0
                m11r += lbr * n.2 + lbi * n.3; m11i += lbr * n.3 - lbi * n.2
                let l = LaneKernels.mix(v, lar, lai, lbr, lbi)
                store(ur + j, l.0); store(ui + j, l.1); store(vr + j, l.2); store(vi + j, l.3)
                j += 4
            }
            q += len
        }
        return Mat2(m00r.sum(), m00i.sum(), m01r.sum(), m01i.sum(), m10r.sum(), m10i.sum(), m11r.sum(), m11i.sum())
    }
}

/// A step on bit 0 or 1 as rows per element of a vector of 4 consecutive amplitudes:
/// out_e = A_e x_e + B_e x_partner(e), partner(e) = e ^ (1 << target), (A_e, B_e) the row of
/// element e's matrix (`mat(k | e)`: its control's value, for the vector at k).
private struct LowRows {
    let target: Int
    let ar, ai, br, bi: Lane

    init(target tb: Int, at k: Int, _ mat: (Int) -> Mat2) {
        var ar = Lane(), ai = Lane(), br = Lane(), bi = Lane()
        for e in 0..<4 {
            let m = mat(k | e), upper = (e >> tb) & 1 == 1
            ar[e] = upper ? m.dr : m.ar; ai[e] = upper ? m.di : m.ai
            br[e] = upper ? m.cr : m.br; bi[e] = upper ? m.ci : m.bi
        }
        target = tb; self.ar = ar; self.ai = ai; self.br = br; self.bi = bi
    }

    /// The vector with each element's pair partner in its place (a lane shuffle).
    @inline(__always) func partner(_ x: Lane) -> Lane { target == 0 ? Lane(x[1], x[0], x[3], x[2]) : Lane(x[2], x[3], x[0], x[1]) }

    @inline(__always) func apply(_ xr: Lane, _ xi: Lane) -> (Lane, Lane) {
        let pr = partner(xr), pi = partner(xi)
        var nr = ar * xr; nr -= ai * xi; nr += br * pr; nr -= bi * pi
        var ni = ar * xi; ni += ai * xr; ni += br * pi; ni += bi * pr
        return (nr, ni)
    }
}

/// Eight 4-wide partial sums of a 2x2 contraction M_ab = sum conj(lambda_a) phi_b.
private struct LaneContraction {
    var m00r = Lane(), m00i = Lane(), m01r = Lane(), m01i = Lane(), m10r = Lane(), m10i = Lane(), m11r = Lane(), m11i = Lane()
    var total: Mat2 { Mat2(m00r.sum(), m00i.sum(), m01r.sum(), m01i.sum(), m10r.sum(), m10i.sum(), m11r.sum(), m11i.sum()) }
}

extension BlockedKernels {
    /// The adjoint of one dense / controlled / dense-then-CNOT step with angles on a block, in ONE
    /// sweep of phi and lambda (the reference undoes a fused CNOT in two sweeps of its own first).
    /// `u` is the inverse of the step's 2x2 (m^dagger). Per pair, by the control bit: the inverse
    /// of the whole step, m^dagger where clear and m^dagger X where the CNOT swapped (identity
    /// where a controlled step's control is clear); phi <- that phi, the contraction with the
    /// untouched lambda, lambda <- that lambda. Returns the step's contraction as
    /// adjointBlockStep defines it (with the CNOT-undone lambda, so the swapped class's rows are
    /// exchanged; a controlled step counts only where its control is set).
    static func adjointTargetStep(_ kind: StepKind, _ a: Int, _ b: Int, _ u: Mat2, _ pr: UnsafeMutablePointer<Double>,
                                  _ pi: UnsafeMutablePointer<Double>, _ lr: UnsafeMutablePointer<Double>,
                                  _ li: UnsafeMutablePointer<Double>, base: Int, bq: Int) -> Mat2 {
        let target = kind == .dense ? a : b, control = kind == .dense ? -1 : a
        if kind == .controlled && control >= bq && (base >> control) & 1 == 0 { return .zero }   // identity here
        let uX = Mat2(u.br, u.bi, u.ar, u.ai, u.dr, u.di, u.cr, u.ci)   // u X: columns swapped
        let clear = kind == .controlled ? Mat2.identity : u, set = kind == .denseThenCNOT ? uX : u
        let t = 1 << target
        var low = target
        if control >= 0 && control < bq { low = Swift.min(low, control) }
        if low < 2 && bq >= 2 {   // (a block of fewer than 4 amplitudes stays scalar)
            let (m0, m1) = adjointLow(target: target, control: control, clear: clear, set: set, pr, pi, lr, li, base: base, bq: bq)
            return combine(kind, m0, m1)
        }
        let run = 1 << low, pairs = 1 << (bq - 1)
        var acc = (LaneContraction(), LaneContraction())   // control clear, control set
        var scalar = (Mat2.zero, Mat2.zero)
        let lanes = (clear: LaneMat(clear), set: LaneMat(set))
        var q = 0
        while q < pairs {
            let i = insertZeroBit(q, target)
            let isSet = control >= 0 && ((base | i) >> control) & 1 == 1
            let xr = pr + i, xi = pi + i, yr = pr + (i | t), yi = pi + (i | t)
            let ur = lr + i, ui = li + i, vr = lr + (i | t), vi = li + (i | t)
            if run >= 4 {
                let v = isSet ? lanes.set : lanes.clear
                var c = isSet ? acc.1 : acc.0
                var j = 0
                while j < run {
                    let n = LaneKernels.mix(v, load(xr + j), load(xi + j), load(yr + j), load(yi + j))
                    store(xr + j, n.0); store(xi + j, n.1); store(yr + j, n.2); store(yi + j, n.3)
                    let lar = load(ur + j), lai = load(ui + j), lbr = load(vr + j), lbi = load(vi + j)
                    c.m00r += lar * n.0 + lai * n.1; c.m00i += lar * n.1 - lai * n.0
                    c.m01r += lar * n.2 + lai * n.3; c.m01i += lar * n.3 - lai * n.2
                    c.m10r += lbr * n.0 + lbi * n.1; c.m10i += lbr * n.1 - lbi * n.0
                    c.m11r += lbr * n.2 + lbi * n.3; c.m11i += lbr * n.3 - lbi * n.2
                    let l = LaneKernels.mix(v, lar, lai, lbr, lbi)
                    store(ur + j, l.0); store(ui + j, l.1); store(vr + j, l.2); store(vi + j, l.3)
                    j += 4
                }
                if isSet { acc.1 = c } else { acc.0 = c }
            } else {
                let m = isSet ? set : clear
                var s = isSet ? scalar.1 : scalar.0
                for j in 0..<run {
                    let (nar, nai, nbr, nbi) = m.apply(xr[j], xi[j], yr[j], yi[j])
                    xr[j] = nar; xi[j] = nai; yr[j] = nbr; yi[j] = nbi
                    let lar = ur[j], lai = ui[j], lbr = vr[j], lbi = vi[j]
                    s.ar += lar * nar + lai * nai; s.ai += lar * nai - lai * nar
                    s.br += lar * nbr + lai * nbi; s.bi += lar * nbi - lai * nbr
                    s.cr += lbr * nar + lbi * nai; s.ci += lbr * nai - lbi * nar
                    s.dr += lbr * nbr + lbi * nbi; s.di += lbr * nbi - lbi * nbr
                    (ur[j], ui[j], vr[j], vi[j]) = m.apply(lar, lai, lbr, lbi)
                }
                if isSet { scalar.1 = s } else { scalar.0 = s }
            }
            q += run
        }
        return combine(kind, acc.0.total + scalar.0, acc.1.total + scalar.1)
    }

    /// A step's contraction from those of its control-clear (m0) and control-set (m1) pairs.
    private static func combine(_ kind: StepKind, _ m0: Mat2, _ m1: Mat2) -> Mat2 {
        switch kind {
        case .controlled: return m1
        case .denseThenCNOT: return m0 + Mat2(m1.cr, m1.ci, m1.dr, m1.di, m1.ar, m1.ai, m1.br, m1.bi)   // rows of the swapped class exchanged
        default: return m0 + m1
        }
    }

    /// adjointTargetStep's sweep where the target or an in-block control is bit 0 or 1, in 4-wide
    /// vectors with a matrix per element (as applyLow): phi <- m phi, the contraction of the old
    /// lambda with the new phi, lambda <- m lambda, with m `set` where the control bit is 1 and
    /// `clear` elsewhere. Returns the contractions of the control-clear and control-set pairs.
    private static func adjointLow(target: Int, control c: Int, clear: Mat2, set: Mat2,
                                   _ pr: UnsafeMutablePointer<Double>, _ pi: UnsafeMutablePointer<Double>,
                                   _ lr: UnsafeMutablePointer<Double>, _ li: UnsafeMutablePointer<Double>,
                                   base: Int, bq: Int) -> (Mat2, Mat2) {
        let size = 1 << bq
        @inline(__always) func mat(_ k: Int) -> Mat2 { c >= 0 && ((base | k) >> c) & 1 == 1 ? set : clear }
        // The control class of element e of the vector at k.
        @inline(__always) func isSet(_ k: Int, _ e: Int) -> Bool { c >= 0 && ((base | k | e) >> c) & 1 == 1 }
        var out = (Mat2.zero, Mat2.zero)
        @inline(__always) func add(_ set: Bool, _ m: Mat2) { if set { out.1 = out.1 + m } else { out.0 = out.0 + m } }
        if target < 2 {
            let tb = target, highControl = c >= 2 && c < bq
            let rowsClear = LowRows(target: tb, at: 0, mat), rowsSet = highControl ? LowRows(target: tb, at: 1 << c, mat) : rowsClear
            // Per vector class (the high control's value): sums of conj(l_e) n_e (s) and conj(l_e) n_partner (q).
            var sr = (Lane(), Lane()), si = (Lane(), Lane()), qr = (Lane(), Lane()), qi = (Lane(), Lane())
            var k = 0
            while k < size {
                let hi = highControl && (k >> c) & 1 == 1
                let m = hi ? rowsSet : rowsClear
                let (nr, ni) = m.apply(load(pr + k), load(pi + k))
                store(pr + k, nr); store(pi + k, ni)
                let npr = m.partner(nr), npi = m.partner(ni)
                let ar = load(lr + k), ai = load(li + k)
                let dsr = ar * nr + ai * ni, dsi = ar * ni - ai * nr, dqr = ar * npr + ai * npi, dqi = ar * npi - ai * npr
                if hi { sr.1 += dsr; si.1 += dsi; qr.1 += dqr; qi.1 += dqi } else { sr.0 += dsr; si.0 += dsi; qr.0 += dqr; qi.0 += dqi }
                let (mr, mi) = m.apply(ar, ai)
                store(lr + k, mr); store(li + k, mi)
                k += 4
            }
            for v in 0..<2 {
                let (s_r, s_i, q_r, q_i) = v == 0 ? (sr.0, si.0, qr.0, qi.0) : (sr.1, si.1, qr.1, qi.1)
                for e in 0..<4 {
                    // Element e is the pair's lower (a) or upper (b) amplitude: conj(l_a) n_a -> M00,
                    // conj(l_a) n_b -> M01, conj(l_b) n_a -> M10, conj(l_b) n_b -> M11.
                    let upper = (e >> tb) & 1 == 1
                    let m = upper ? Mat2(0, 0, 0, 0, q_r[e], q_i[e], s_r[e], s_i[e]) : Mat2(s_r[e], s_i[e], q_r[e], q_i[e], 0, 0, 0, 0)
                    add(isSet(v == 1 ? 1 << c : 0, e), m)
                }
            }
        } else {
            var lm = LaneMat(clear)
            for e in 0..<4 { lm.set(e, mat(e)) }   // the control is bit 0 or 1 of the element
            let t = 1 << target
            var acc = LaneContraction()
            var k = 0
            while k < size {
                if k & t != 0 { k += t; continue }
                let n = LaneKernels.mix(lm, load(pr + k), load(pi + k), load(pr + k + t), load(pi + k + t))
                store(pr + k, n.0); store(pi + k, n.1); store(pr + k + t, n.2); store(pi + k + t, n.3)
                let lar = load(lr + k), lai = load(li + k), lbr = load(lr + k + t), lbi = load(li + k + t)
                acc.m00r += lar * n.0 + lai * n.1; acc.m00i += lar * n.1 - lai * n.0
                acc.m01r += lar * n.2 + lai * n.3; acc.m01i += lar * n.3 - lai * n.2
                acc.m10r += lbr * n.0 + lbi * n.1; acc.m10i += lbr * n.1 - lbi * n.0
                acc.m11r += lbr * n.2 + lbi * n.3; acc.m11i += lbr * n.3 - lbi * n.2
                let l = LaneKernels.mix(lm, lar, lai, lbr, lbi)
                store(lr + k, l.0); store(li + k, l.1); store(lr + k + t, l.2); store(li + k + t, l.3)
                k += 4
            }
            for e in 0..<4 {
                add(isSet(0, e), Mat2(acc.m00r[e], acc.m00i[e], acc.m01r[e], acc.m01i[e], acc.m10r[e], acc.m10i[e], acc.m11r[e], acc.m11i[e]))
            }
        }
        return out
    }
}
