// RankOrderSum: the elementwise sum of the ranks' contributions to one part of a buffer, added in
// rank order ((c0 + c1) + c2) + ..., so a reduce-scatter built from point-to-point messages
// (MPICommunicator) gives the same floats whatever order the messages arrive in, and the same as
// the loopback group's rank-order sums.

/// out[i] = ((sources[0][i] + sources[1][i]) + sources[2][i]) + ... for i in 0..<count, in one
/// pass: each run of 16 floats is read from every source before it is written, so `out` may be
/// any one of the sources (a reduce-scatter in place sums into this rank's own contribution).
public func rankOrderSum(_ sources: [UnsafePointer<Float>], count: Int, into out: UnsafeMutablePointer<Float>) {
    precondition(!sources.isEmpty, "a rank-order sum of no contributions")
    guard sources.count > 1 else {
        if sources[0] != UnsafePointer(out) { out.update(from: sources[0], count: count) }
        return
    }
    sources.withUnsafeBufferPointer { src in
        let first = src[0], second = src[1], rest = src.dropFirst(2)
        var i = 0
        while i + 16 <= count {
            @inline(__always) func at(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self) }
            var sum = at(first) + at(second)
            for p in rest { sum += at(p) }
            UnsafeMutableRawPointer(out + i).storeBytes(of: sum, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            var sum = first[i] + second[i]
            for p in rest { sum += p[i] }
            out[i] = sum
            i += 1
        }
    }
}
