// 8-lane SIMD loads and stores for hot loops the compiler will not vectorise on its own
// (Float reductions, whose order Swift keeps, and loops over several possibly aliasing buffers).

typealias V8 = SIMD8<Float>

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> V8 { UnsafeRawPointer(p + i).loadUnaligned(as: V8.self) }

@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ v: V8) { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V8.self) }

/// dst[i] += src[i] for i in 0..<n.
@inline(__always)
func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(dst, i, load8(dst, i) + load8(src, i)); i += 8 }
    while i < n { dst[i] += src[i]; i += 1 }
}

/// dst[i] = src[i] for i in 0..<n (for short runs, where a memcpy call costs more than the copy).
@inline(__always)
func copyFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(dst, i, load8(src + i)); i += 8 }
    while i < n { dst[i] = src[i]; i += 1 }
}

/// p[i] = 0 for i in 0..<n (for short runs, where a memset call costs more than the writes).
@inline(__always)
func zeroFloats(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(p, i, V8()); i += 8 }
    while i < n { p[i] = 0; i += 1 }
}

/// dst[i] = max(dst[i], src[i]) for i in 0..<n (NaN handling: Swift.max's).
@inline(__always)
func maxInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        let a = load8(dst, i), b = load8(src, i)
        store8(dst, i, a.replacing(with: b, where: b .> a))
        i += 8
    }
    while i < n { dst[i] = Swift.max(dst[i], src[i]); i += 1 }
}
