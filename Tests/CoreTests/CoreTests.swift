import XCTest
@testable import Core

final class RNGTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = SeededRNG(seed: 999), b = SeededRNG(seed: 999)
        for _ in 0..<100 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testStreamsDiffer() {
        var a = SeededRNG(seed: 999, stream: "split"), b = SeededRNG(seed: 999, stream: "shuffle")
        XCTAssertNotEqual((0..<4).map { _ in a.next() }, (0..<4).map { _ in b.next() })
    }

    func testUniformAndNormalMoments() {
        var r = SeededRNG(seed: 1)
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = r.uniform(); XCTAssert(u >= 0 && u < 1); su += u
            let z = r.normal(); sn += z; sn2 += z * z
        }
        XCTAssertEqual(su / Double(n), 0.5, accuracy: 0.01)
        XCTAssertEqual(sn / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(sn2 / Double(n), 1, accuracy: 0.02)
    }

    func testPermutationIsAPermutation() {
        var r = SeededRNG(seed: 3)
        let p = r.permutation(1000)
        XCTAssertEqual(Set(p).count, 1000)
        XCTAssertNotEqual(p, Array(0..<1000))
    }
}

final class TensorTests: XCTestCase {
    func testShapeCopyAndResize() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.count, 6)
        let c = t.copy()
        c[0] = 9
        XCTAssertEqual(t[0], 1, "copy must be deep")
        t.reshape([3, 2])
        XCTAssertEqual(t.dim(-1), 2)
        t.resize([4, 4])
        XCTAssertEqual(t.count, 16)
    }

    func testParallelCoversEveryIndexOnce() {
        Parallel.threads = 2
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            Parallel.forEach(1000) { p[$0] += 1 }
        }
        XCTAssertEqual(hits, [Int](repeating: 1, count: 1000))
    }
}
