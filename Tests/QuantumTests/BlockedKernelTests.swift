// The fused in-block kernels (BlockedFusion.swift) against the per-step kernels they replace:
// a step pair against two `step` calls, the vectorised adjoint step against Kernels.adjointStep,
// on random blocks, for every target/control placement (low, in-block, above the block).

import Core
@testable import Quantum
import XCTest

final class BlockedKernelTests: XCTestCase {
    func randomMat(_ rng: inout TestRNG) -> Mat2 {
        Mat2(rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5,
             rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5)
    }

    /// (kind, a, b) for every pairable kind on target t: dense on t, and controlled /
    /// dense-then-CNOT with each control in the block or above it (bq, bq + 1).
    func pairableSteps(target t: Int, bq: Int) -> [(StepKind, Int, Int)] {
        var out: [(StepKind, Int, Int)] = [(.dense, t, -1)]
        for c in Array(0..<bq) + [bq, bq + 1] where c != t {
            out.append((.controlled, c, t)); out.append((.denseThenCNOT, c, t))
        }
        return out
    }

    func testStepPairEqualsTwoSteps() {
        var rng = TestRNG(s: 11)
        var checked = 0, changed = 0
        for bq in [4, 6] {
            let size = 1 << bq
            for base in [0, 1 << bq, 3 << bq] {   // controls above the block: clear, set, both set
                for t1 in 0..<bq { for t2 in 0..<bq where t2 != t1 {
                    let first = pairableSteps(target: t1, bq: bq), second = pairableSteps(target: t2, bq: bq)
                    for _ in 0..<4 {
                        let s = first[rng.below(first.count)], u = second[rng.below(second.count)]
                        let ms = randomMat(&rng), mu = randomMat(&rng)
                        let r0 = (0..<size).map { _ in rng.next() - 0.5 }, i0 = (0..<size).map { _ in rng.next() - 0.5 }
                        var rr = r0, ri = i0, pr = r0, pi = i0
                        rr.withUnsafeMutableBufferPointer { r in ri.withUnsafeMutableBufferPointer { i in
                            BlockedKernels.step(s.0, s.1, s.2, ms, r.baseAddress!, i.baseAddress!, base: base, bq: bq)
                            BlockedKernels.step(u.0, u.1, u.2, mu, r.baseAddress!, i.baseAddress!, base: base, bq: bq)
                        } }
                        pr.withUnsafeMutableBufferPointer { r in pi.withUnsafeMutableBufferPointer { i in
                            BlockedKernels.applyPair(BlockedKernels.targetForm(s.0, s.1, s.2, ms)!, BlockedKernels.targetForm(u.0, u.1, u.2, mu)!,
                                                     r.baseAddress!, i.baseAddress!, base: base, bq: bq)
                        } }
                        var diff = 0.0
                        for k in 0..<size { diff = max(diff, abs(rr[k] - pr[k]), abs(ri[k] - pi[k])) }
                        XCTAssertLessThan(diff, 1e-12, "bq \(bq) base \(base) \(s) then \(u)")
                        // (Controlled steps whose control is clear above the block leave it alone.)
                        if zip(rr, r0).map({ abs($0 - $1) }).max()! > 1e-3 { changed += 1 }
                        checked += 1
                    }
                } }
            }
        }
        XCTAssertEqual(checked, 3 * 4 * (12 + 30))
        XCTAssertGreaterThan(changed, checked * 3 / 4, "most cases must change the block")
    }

    /// Every pairable step on every target of blocks of 2^4 and 2^6 amplitudes whose controls
    /// above the block are clear, set, both set: body(bq, base, (kind, a, b)).
    func forEachPlacement(_ body: (Int, Int, (StepKind, Int, Int)) -> Void) {
        for bq in [4, 6] {
            for base in [0, 1 << bq, 3 << bq] {
                for t in 0..<bq { for step in pairableSteps(target: t, bq: bq) { body(bq, base, step) } }
            }
        }
    }

    func testLowStepEqualsStep() {
        var rng = TestRNG(s: 13)
        var checked = 0
        forEachPlacement { bq, base, step in
            let (kind, a, b) = step, size = 1 << bq
            let m = randomMat(&rng)
            let form = BlockedKernels.targetForm(kind, a, b, m)!
            guard BlockedKernels.isLow(form) else { return }
            let r0 = (0..<size).map { _ in rng.next() - 0.5 }, i0 = (0..<size).map { _ in rng.next() - 0.5 }
            var rr = r0, ri = i0, lr = r0, li = i0
            rr.withUnsafeMutableBufferPointer { r in ri.withUnsafeMutableBufferPointer { i in
                BlockedKernels.step(kind, a, b, m, r.baseAddress!, i.baseAddress!, base: base, bq: bq)
            } }
            lr.withUnsafeMutableBufferPointer { r in li.withUnsafeMutableBufferPointer { i in
                BlockedKernels.applyLow(form, r.baseAddress!, i.baseAddress!, base: base, bq: bq)
            } }
            var diff = 0.0
            for k in 0..<size { diff = max(diff, abs(rr[k] - lr[k]), abs(ri[k] - li[k])) }
            XCTAssertLessThan(diff, 1e-12, "bq \(bq) base \(base) \(kind) on \(a), \(b)")
            checked += 1
        }
        // Per bq and base: dense on 0, 1; controlled and dense-then-CNOT with target 0 or 1
        // (each other control) or control 0 or 1 (each other target).
        XCTAssertEqual(checked, 3 * (2 + 2 * (2 * 5 + 2 * 2)) + 3 * (2 + 2 * (2 * 7 + 2 * 4)))
        XCTAssertFalse(BlockedKernels.isLow(BlockedKernels.targetForm(.controlled, 2, 3, .identity)!))
        XCTAssertTrue(BlockedKernels.isLow(BlockedKernels.targetForm(.controlled, 1, 3, .identity)!))
    }

    /// applyOne (a lone step in vectors) and the vector CNOT against `step`, on every placement
    /// they take: target and in-block control from bit 2 up (applyOne); CNOT target from bit 2
    /// up with the control anywhere, below, in or above the block (applyCNOT, exact).
    func testLoneStepAndVectorCNOTEqualStep() {
        var rng = TestRNG(s: 17)
        var lone = 0, cnots = 0
        forEachPlacement { bq, base, step in
            let (kind, a, b) = step, size = 1 << bq
            let m = randomMat(&rng)
            let form = BlockedKernels.targetForm(kind, a, b, m)!
            let r0 = (0..<size).map { _ in rng.next() - 0.5 }, i0 = (0..<size).map { _ in rng.next() - 0.5 }
            func diff(_ kernel: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
                      reference: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void) -> Double {
                var rr = r0, ri = i0, kr = r0, ki = i0
                rr.withUnsafeMutableBufferPointer { r in ri.withUnsafeMutableBufferPointer { i in reference(r.baseAddress!, i.baseAddress!) } }
                kr.withUnsafeMutableBufferPointer { r in ki.withUnsafeMutableBufferPointer { i in kernel(r.baseAddress!, i.baseAddress!) } }
                return (0..<size).map { max(abs(rr[$0] - kr[$0]), abs(ri[$0] - ki[$0])) }.max()!
            }
            if !BlockedKernels.isLow(form) {
                let d = diff({ BlockedKernels.applyOne(form, $0, $1, base: base, bq: bq) },
                             reference: { BlockedKernels.step(kind, a, b, m, $0, $1, base: base, bq: bq) })
                XCTAssertLessThan(d, 1e-12, "applyOne bq \(bq) base \(base) \(kind) on \(a), \(b)")
                lone += 1
            }
            // The CNOT on the same bits (controlled and dense-then-CNOT placements give every
            // control/target pair), target from bit 2 up.
            if kind == .controlled && b >= 2 {
                let d = diff({ BlockedKernels.applyCNOT(control: a, target: b, $0, $1, base: base, bq: bq) },
                             reference: { BlockedKernels.step(.cnot, a, b, .identity, $0, $1, base: base, bq: bq) })
                XCTAssertEqual(d, 0, "applyCNOT bq \(bq) base \(base) control \(a) target \(b)")
                cnots += 1
            }
        }
        // Per base (3 of them): lone steps on targets from bit 2 up, each dense plus two kinds x
        // (in-block controls from bit 2 up + the 2 above): bq 4 2 x (1 + 2 x 3), bq 6 4 x (1 + 2 x 5);
        // CNOTs: per target from bit 2 up, every other control (bq - 1 in the block + 2 above).
        XCTAssertEqual(lone, 3 * ((2 + 2 * 2 * 3) + (4 + 4 * 2 * 5)))
        XCTAssertEqual(cnots, 3 * (2 * 5 + 4 * 7))
    }

    /// Blocks visited in memory order cover every block once, each at the memory base its plan
    /// index has (BlockGather.visit against memoryBase).
    func testVisitOrderIsAPermutationOfTheBlocks() {
        // Plan bits 0..<4 in place; the block's bits 4, 5 and the high bits at scattered memory bits.
        let memoryBit = [0, 1, 2, 3, 9, 4, 7, 5, 8, 6]
        let g = BlockGather(memoryBit: memoryBit, blockQubits: 6)
        var seen = Set<Int>()
        for n in 0..<(1 << 4) {
            let (blk, at) = g.visit(n)
            XCTAssertEqual(at, g.memoryBase(blk))
            seen.insert(blk)
        }
        XCTAssertEqual(seen, Set(0..<16))
        // Consecutive visits step the lowest memory bit among the high bits (5, at plan bit 7).
        XCTAssertEqual(g.visit(1).memory, 1 << 5)
        XCTAssertEqual(g.visit(1).block, 1 << 1)
    }

    func testPairScheduleFusesOnlyPairableNeighboursOnDistinctTargets() {
        let m = Mat2.identity
        let forms = [BlockedKernels.targetForm(.dense, 3, -1, m), BlockedKernels.targetForm(.denseThenCNOT, 3, 4, m),
                     BlockedKernels.targetForm(.cnot, 4, 5, m), BlockedKernels.targetForm(.dense, 5, -1, m),
                     BlockedKernels.targetForm(.controlled, 2, 5, m), BlockedKernels.targetForm(.dense, 6, -1, m)]
        XCTAssertNil(forms[2])
        let groups = BlockedKernels.pairSchedule(forms)
        XCTAssertEqual(groups.map(\.first), [0, 2, 3, 4])   // 3 and 4 share target 5
        XCTAssertEqual(groups.map(\.paired), [true, false, false, true])
    }

    func testVectorisedAdjointStepEqualsReference() {
        var rng = TestRNG(s: 12)
        let n = 7, dim = 1 << n
        for target in 0..<n {
            for control in [-1] + Array(0..<n) where control != target {
                let u = randomMat(&rng)
                let count = control < 0 ? dim >> 1 : dim >> 2
                var ref = (0..<(4 * dim)).map { _ in rng.next() - 0.5 }
                var vec = ref
                let m0 = ref.withUnsafeMutableBufferPointer { p -> Mat2 in
                    let b = p.baseAddress!
                    return Kernels.adjointStep(b, b + dim, b + 2 * dim, b + 3 * dim, control: control, target: target, u, 0, count)
                }
                // Two halves, as threads split the range.
                let m1 = vec.withUnsafeMutableBufferPointer { p -> Mat2 in
                    let b = p.baseAddress!
                    return BlockedKernels.adjointStep(b, b + dim, b + 2 * dim, b + 3 * dim, control: control, target: target, u, 0, count / 2)
                         + BlockedKernels.adjointStep(b, b + dim, b + 2 * dim, b + 3 * dim, control: control, target: target, u, count / 2, count)
                }
                var diff = 0.0
                for k in ref.indices { diff = max(diff, abs(ref[k] - vec[k])) }
                XCTAssertLessThan(diff, 1e-12, "target \(target) control \(control) states")
                for (x, y) in [(m0.ar, m1.ar), (m0.ai, m1.ai), (m0.br, m1.br), (m0.bi, m1.bi),
                               (m0.cr, m1.cr), (m0.ci, m1.ci), (m0.dr, m1.dr), (m0.di, m1.di)] {
                    XCTAssertEqual(x, y, accuracy: 1e-12, "target \(target) control \(control) contraction")
                }
                XCTAssertGreaterThan(abs(m0.ar) + abs(m0.dr), 1e-3)
            }
        }
    }
}

extension BlockedKernelTests {
    /// The reference adjoint of a step with angles on a block, built from the per-step kernels
    /// as adjointBlockStep did before: undo a fused CNOT on phi and lambda, then Kernels.adjointStep.
    func referenceAdjoint(_ kind: StepKind, _ a: Int, _ b: Int, _ u: Mat2, _ p: UnsafeMutablePointer<Double>, size: Int, base: Int, bq: Int) -> Mat2 {
        let pr = p, pi = p + size, lr = p + 2 * size, li = p + 3 * size
        switch kind {
        case .dense: return Kernels.adjointStep(pr, pi, lr, li, control: -1, target: a, u, 0, size >> 1)
        case .controlled:
            if a < bq { return Kernels.adjointStep(pr, pi, lr, li, control: a, target: b, u, 0, size >> 2) }
            return (base >> a) & 1 == 1 ? Kernels.adjointStep(pr, pi, lr, li, control: -1, target: b, u, 0, size >> 1) : .zero
        default:
            BlockedKernels.step(.cnot, a, b, .identity, pr, pi, base: base, bq: bq)
            BlockedKernels.step(.cnot, a, b, .identity, lr, li, base: base, bq: bq)
            return Kernels.adjointStep(pr, pi, lr, li, control: -1, target: b, u, 0, size >> 1)
        }
    }

    func testOneSweepAdjointEqualsReference() {
        var rng = TestRNG(s: 13)
        var checked = 0
        // Low placements (target or control on bit 0 or 1) run BlockedFusion's adjointLow.
        forEachPlacement { bq, base, step in
            let (kind, a, b) = step, size = 1 << bq
            let u = randomMat(&rng)
            var ref = (0..<(4 * size)).map { _ in rng.next() - 0.5 }
            var one = ref
            let m0 = ref.withUnsafeMutableBufferPointer { referenceAdjoint(kind, a, b, u, $0.baseAddress!, size: size, base: base, bq: bq) }
            let m1 = one.withUnsafeMutableBufferPointer { p -> Mat2 in
                let q = p.baseAddress!
                return BlockedKernels.adjointTargetStep(kind, a, b, u, q, q + size, q + 2 * size, q + 3 * size, base: base, bq: bq)
            }
            var diff = 0.0
            for k in ref.indices { diff = max(diff, abs(ref[k] - one[k])) }
            XCTAssertLessThan(diff, 1e-12, "bq \(bq) base \(base) \(kind) \(a) \(b) states")
            for (x, y) in [(m0.ar, m1.ar), (m0.ai, m1.ai), (m0.br, m1.br), (m0.bi, m1.bi),
                           (m0.cr, m1.cr), (m0.ci, m1.ci), (m0.dr, m1.dr), (m0.di, m1.di)] {
                XCTAssertEqual(x, y, accuracy: 1e-12, "bq \(bq) base \(base) \(kind) \(a) \(b) contraction")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 3 * (4 * (1 + 2 * 5) + 6 * (1 + 2 * 7)))
    }

    /// The folding readout (Kernels.accumulateZ) against a direct per-amplitude sum of
    /// |psi_k|^2 (1 - 2 bit_k): whole states smaller and larger than its 2^10 runs, ranges whose
    /// ends are not run-aligned (how threads split a state), and shards whose high bits come from
    /// `base`; and against the per-run path it keeps for unaligned ends.
    func testFoldingReadoutEqualsTheDirectSum() {
        var rng = TestRNG(s: 23)
        var checked = 0
        for (local, bits) in [(2, 2), (5, 5), (10, 10), (13, 13), (12, 14), (11, 13)] {
            let dim = 1 << local
            let r0 = (0..<dim).map { _ in rng.next() - 0.5 }, i0 = (0..<dim).map { _ in rng.next() - 0.5 }
            let norm = (zip(r0, i0).map { $0 * $0 + $1 * $1 }.reduce(0, +)).squareRoot()   // a state: probabilities sum to 1
            let re = r0.map { $0 / norm }, im = i0.map { $0 / norm }
            let bases = bits > local ? [0, 1 << local, 3 << local] : [0]
            let cuts = [(0, dim), (0, dim / 3), (dim / 3, dim), (7, dim - 5), (dim / 2, dim / 2 + 1)]
            for base in bases { for (lo, hi) in cuts where hi >= lo {
                var direct = [Double](repeating: 0, count: bits)
                for k in lo..<hi {
                    let p = re[k] * re[k] + im[k] * im[k], g = base + k
                    for b in 0..<bits { direct[b] += (g >> b) & 1 == 0 ? p : -p }
                }
                var folded = [Double](repeating: 0, count: bits), perRun = [Double](repeating: 0, count: bits)
                re.withUnsafeBufferPointer { r in im.withUnsafeBufferPointer { i in
                    Kernels.accumulateZ(r.baseAddress!, i.baseAddress!, local: local, base: base, lo, hi, into: &folded, bits: bits)
                    Kernels.accumulateZPerRun(r.baseAddress!, i.baseAddress!, base: base, lo, hi, into: &perRun, bits: bits)
                } }
                for b in 0..<bits {
                    XCTAssertEqual(folded[b], direct[b], accuracy: 1e-12, "local \(local) bits \(bits) base \(base) [\(lo), \(hi)) bit \(b)")
                    XCTAssertEqual(perRun[b], direct[b], accuracy: 1e-12)
                }
                checked += 1
            } }
        }
        XCTAssertEqual(checked, 49)
    }
}
