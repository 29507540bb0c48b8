import XCTest
import TestSupport
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

    func testThreadsCoverEveryIndexOnce() {
        var hits = [Int](repeating: 0, count: 1000)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            Threads(2).forEach(1000) { p[$0] += 1 }
        }
        XCTAssertEqual(hits, [Int](repeating: 1, count: 1000))
    }
}

final class KaggleTests: XCTestCase {
    func testParsesHandles() throws {
        let h = try KaggleHandle(parsing: "hamzaboulahia/hardfakevsrealfaces/versions/1")
        XCTAssertEqual(h, KaggleHandle(owner: "hamzaboulahia", name: "hardfakevsrealfaces", version: 1))
        XCTAssertEqual(try KaggleHandle(parsing: "xhlulu/140k-real-and-fake-faces").version, nil)
        for bad in ["nohandle", "a/b/c", "a/b/versions/x", "a/b/versions/0", "/abs/path", "a//b"] {
            XCTAssertThrowsError(try KaggleHandle(parsing: bad), bad)
        }
    }

    func testCacheLayoutAndNewestVersion() throws {
        let tmp = try TemporaryFolder.make(for: self) + "/kc"  // KaggleCache creates its root
        let cache = KaggleCache(kagglePath: tmp, environment: [:])
        let h = KaggleHandle(owner: "o", name: "d")
        XCTAssertNil(cache.cachedFolder(h))
        for v in [1, 3, 2] {
            try FileManager.default.createDirectory(atPath: cache.versionFolder(h, version: v), withIntermediateDirectories: true)
        }
        XCTAssertEqual(cache.cachedFolder(h), tmp + "/datasets/o/d/versions/3")
        XCTAssertEqual(cache.cachedFolder(KaggleHandle(owner: "o", name: "d", version: 2)), tmp + "/datasets/o/d/versions/2")
        XCTAssertEqual(KaggleCache(kagglePath: "/x", environment: ["KAGGLEHUB_CACHE": "/y"]).root, "/y")
    }
}
