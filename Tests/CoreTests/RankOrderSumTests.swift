import XCTest
@testable import Core

final class RankOrderSumTests: XCTestCase {
    /// Contributions whose sum depends on the order of the additions: (1e8 + -1e8) + 1 = 1, while
    /// 1e8 + (-1e8 + 1) = 0 in Float (-1e8 + 1 rounds back to -1e8).
    private let a: Float = 1e8, b: Float = -1e8, c: Float = 1

    func testAddsInRankOrderOverVectorRunsAndTheTail() {
        XCTAssertEqual(a + (b + c), 0, "the test values must be order-sensitive")
        for count in [1, 15, 16, 17, 40] {
            let x = [Float](repeating: a, count: count), y = [Float](repeating: b, count: count), z = [Float](repeating: c, count: count)
            var out = [Float](repeating: .nan, count: count)
            x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in z.withUnsafeBufferPointer { pz in
                rankOrderSum([px.baseAddress!, py.baseAddress!, pz.baseAddress!], count: count, into: &out)
            } } }
            XCTAssertEqual(out, [Float](repeating: 1, count: count), "count \(count)")
        }
    }

    func testTwoAndFourRanksOnHandValues() {
        let x: [Float] = [1, 2, 3], y: [Float] = [10, 20, 30], w: [Float] = [0.5, 0.25, 0.125], v: [Float] = [-1, -2, -3]
        var two = [Float](repeating: 0, count: 3), four = [Float](repeating: 0, count: 3)
        x.withUnsafeBufferPointer { px in y.withUnsafeBufferPointer { py in w.withUnsafeBufferPointer { pw in v.withUnsafeBufferPointer { pv in
            rankOrderSum([px.baseAddress!, py.baseAddress!], count: 3, into: &two)
            rankOrderSum([px.baseAddress!, py.baseAddress!, pw.baseAddress!, pv.baseAddress!], count: 3, into: &four)
        } } } }
        XCTAssertEqual(two, [11, 22, 33])
        XCTAssertEqual(four, [10.5, 20.25, 30.125])
    }

    /// A reduce-scatter in place sums into this rank's own contribution, which may be any source.
    func testOutMayBeAnySource() {
        for ownAt in 0..<3 {
            var sources: [[Float]] = [[Float](repeating: a, count: 33), [Float](repeating: b, count: 33), [Float](repeating: c, count: 33)]
            var own = sources[ownAt]
            let others = sources
            own.withUnsafeMutableBufferPointer { po in
                others[0].withUnsafeBufferPointer { p0 in others[1].withUnsafeBufferPointer { p1 in others[2].withUnsafeBufferPointer { p2 in
                    var pointers = [p0.baseAddress!, p1.baseAddress!, p2.baseAddress!]
                    pointers[ownAt] = UnsafePointer(po.baseAddress!)
                    rankOrderSum(pointers, count: 33, into: po.baseAddress!)
                } } }
            }
            sources[ownAt] = own
            XCTAssertEqual(own, [Float](repeating: 1, count: 33), "own contribution at position \(ownAt)")
        }
    }

    func testOneSourceIsACopy() {
        let x: [Float] = [4, 5]
        var out: [Float] = [0, 0]
        x.withUnsafeBufferPointer { rankOrderSum([$0.baseAddress!], count: 2, into: &out) }
        XCTAssertEqual(out, x)
    }
}

final class PartSharesTests: XCTestCase {
    /// Parts [3, 0, 4, 2] cover 0..<3, (empty), 3..<7, 7..<9.
    func testSharesOfARangeOverConsecutiveParts() {
        let parts = [3, 0, 4, 2]
        XCTAssertEqual(partShares(of: 0..<9, parts: parts), parts)
        XCTAssertEqual(partShares(of: 2..<5, parts: parts), [1, 0, 2, 0])
        XCTAssertEqual(partShares(of: 7..<9, parts: parts), [0, 0, 0, 2])
        XCTAssertEqual(partShares(of: 4..<4, parts: parts), [0, 0, 0, 0])
    }
}
