// 8-lane SIMD loads and stores for hot loops the compiler will not vectorise on its own
// (Float reductions, whose order Swift keeps, and loops over several possibly aliasing buffers).

typealias V8 = SIMD8<Float>

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> V8 { UnsafeRawPointer(p + i).loadUnaligned(as: V8.self) }

@inline(__always)
func store8(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ v: V8) { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V8.self) }
