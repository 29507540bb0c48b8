// threadedSgemm (the output split over threads, each block a single-threaded OpenBLAS call)
// against one unsplit call, for every transpose combination, wide and tall outputs, ragged
// blocks, and beta = 1 accumulation; and the shared gradient tensors' hand-out rule.

import XCTest
import Core
@testable import NN

final class ThreadedGEMMTests: XCTestCase {
    private func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in Float(rng.normal()) }
    }

    func testSplitGEMMEqualsOneCall() {
        // (m, n, k): wide (split by columns, 16-column blocks, ragged last), tall (split by rows).
        for (m, n, k) in [(24, 1037, 40), (517, 72, 33), (64, 64, 70)] {
            XCTAssertGreaterThanOrEqual(m * n * k, 1 << 18, "must be large enough to be split")
            for transA in [false, true] {
                for transB in [false, true] {
                    for beta: Float in [0, 1] {
                        let a = values(m * k, seed: 1), b = values(k * n, seed: 2), c0 = values(m * n, seed: 3)
                        let lda = transA ? m : k, ldb = transB ? k : n
                        var one = c0, split = c0
                        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda,
                                  b: bp.baseAddress!, ldb: ldb, beta: beta, c: &one, ldc: n)
                            split.withUnsafeMutableBufferPointer { cp in
                                threadedSgemm(Threads(3), transA: transA, transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: lda,
                                              b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: n)
                            }
                        } }
                        var worst: Float = 0
                        for i in 0..<(m * n) { worst = max(worst, abs(one[i] - split[i])) }
                        XCTAssertLessThanOrEqual(worst, 1e-4, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB) beta \(beta)")
                        XCTAssertNotEqual(split, c0)
                    }
                }
            }
        }
    }

    func testSharedGradientTensorsAvoidTheOneReadAndThePinnedOne() {
        let ws = Workspace()
        let dy = Tensor(zeros: [2, 3])
        let a = ws.inputGradient([4], reading: dy)
        let b = ws.inputGradient([5], reading: a)
        XCTAssertFalse(a === b)
        XCTAssertEqual(b.shape, [5])
        ws.pin(b)
        let c = ws.inputGradient([6], reading: a)
        XCTAssertFalse(c === a || c === b, "neither the tensor read nor the pinned one")
        let d = ws.inputGradient([6], reading: c)
        XCTAssertTrue(d === a, "with b pinned and c read, the first free one is a")
        ws.unpin(b)
        XCTAssertTrue(ws.inputGradient([1], reading: a) === b, "b is free again after unpin")
    }
}
