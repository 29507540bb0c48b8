// The literal-only deflate encoder (CHuffmanDeflate) against zlib itself: every stream it makes
// inflates with zlib's `uncompress` to exactly its input (across block boundaries, one-symbol and
// incompressible data, and frequencies skewed enough to need the 15-bit length limit), its
// trailer is zlib's Adler-32 of the input, it refuses a capacity too small, and on image-like bytes it stores
// within 1% of zlib's own Huffman-only strategy.

import CHDF5
import CHuffmanDeflate
import Core
import XCTest

final class HuffmanDeflateTests: XCTestCase {
    /// hd_compress into a buffer with room to spare; nil when it returned 0.
    func compress(_ src: [UInt8], capacity: Int? = nil) -> [UInt8]? {
        let cap = capacity ?? (src.count + src.count / 4 + 1024)
        var out = [UInt8](repeating: 0, count: cap)
        let n = src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { hd_compress(s.baseAddress, src.count, $0.baseAddress, cap) } }
        return n == 0 ? nil : Array(out[0..<n])
    }

    /// zlib's inflate of a whole stream that must hold exactly `count` bytes.
    func inflate(_ stream: [UInt8], count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count + 1)
        var outLen = uLongf(out.count)
        let rc = stream.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { uncompress($0.baseAddress, &outLen, s.baseAddress, uLong(stream.count)) } }
        guard rc == Z_OK, Int(outLen) == count else { return nil }
        return Array(out[0..<count])
    }

    /// Smooth ramps with noise, like rows of a small photo.
    func imageLike(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { i in UInt8(truncatingIfNeeded: (i % 192) / 2 + Int(rng.uniform() * 24) + (i / 4096) % 64) }
    }

    func testStreamsInflateWithZlibToTheirInput() {
        var rng = SeededRNG(seed: 9)
        var cases: [(String, [UInt8])] = [
            ("empty", []), ("one byte", [7]), ("zeros", [UInt8](repeating: 0, count: 100_000)),
            ("two values", (0..<70_000).map { UInt8($0 % 2 * 200) }),
            ("random", (0..<200_000).map { _ in UInt8(truncatingIfNeeded: Int(rng.uniform() * 256)) }),
        ]
        for n in [65_535, 65_536, 65_537, 3 * 65_536 + 5, 786_432] { cases.append(("image-like \(n)", imageLike(n, seed: UInt64(n)))) }
        // Frequencies 1, 1, 2, 3, 5, 8, ...: a Huffman tree as deep as there are symbols, over the
        // 15 bits deflate allows, so the length limit has to act.
        var fib = [1, 1]
        while fib.count < 24 { fib.append(fib[fib.count - 1] + fib[fib.count - 2]) }
        var skewed: [UInt8] = []
        for (s, f) in fib.enumerated() { skewed += [UInt8](repeating: UInt8(s * 10), count: f) }
        var order = SeededRNG(seed: 3)
        skewed.sort { _, _ in order.uniform() < 0.5 }
        cases.append(("skewed \(skewed.count)", skewed))
        for (name, src) in cases {
            guard let stream = compress(src) else { XCTFail("\(name): no stream"); continue }
            XCTAssertEqual(inflate(stream, count: src.count), src, "\(name): zlib inflates something else")
        }
    }

    /// The trailer is the input's Adler-32, big-endian, at lengths around zlib's 5552-byte
    /// reduction interval.
    func testTrailerIsTheInputsAdler32() {
        var rng = SeededRNG(seed: 4)
        let bytes = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: Int(rng.uniform() * 256)) }
        for n in [0, 1, 5_551, 5_552, 5_553, 100_000] {
            let src = Array(bytes[0..<n])
            guard let stream = compress(src) else { XCTFail("\(n) bytes: no stream"); continue }
            let trailer = stream.suffix(4).reduce(UInt(0)) { $0 << 8 | UInt($1) }
            let zlib = src.withUnsafeBufferPointer { adler32(1, $0.baseAddress, uInt(n)) }
            XCTAssertEqual(trailer, UInt(zlib), "\(n) bytes")
        }
    }

    func testTooSmallACapacityIsRefusedNotOverrun() {
        let src = imageLike(100_000, seed: 2)
        let full = compress(src)!
        XCTAssertNil(compress(src, capacity: full.count - 1), "a stream longer than the capacity must not be made")
        XCTAssertNotNil(compress(src, capacity: full.count + 8))
        var rng = SeededRNG(seed: 5)
        let noise = (0..<50_000).map { _ in UInt8(truncatingIfNeeded: Int(rng.uniform() * 256)) }
        XCTAssertNil(compress(noise, capacity: noise.count), "random bytes do not shrink: the caller stores them raw")
    }

    func testSizeIsWithinOnePercentOfZlibsHuffmanOnly() {
        let src = imageLike(786_432, seed: 11)
        let ours = compress(src)!.count
        var out = [UInt8](repeating: 0, count: src.count + 1024)
        let zlib = src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer {
            df_deflate_chunk(s.baseAddress, src.count, $0.baseAddress, src.count + 1024, 1, Z_HUFFMAN_ONLY)
        } }
        XCTAssertGreaterThan(zlib, 0)
        XCTAssertLessThan(ours, src.count, "image-like bytes should shrink")
        XCTAssertLessThan(abs(Double(ours) / Double(zlib) - 1), 0.01, "ours \(ours) B vs zlib Huffman-only \(zlib) B")
    }
}
