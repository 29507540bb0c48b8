// Winograd F(2x2, 3x3) for 3x3 stride-1 pad-1 convolutions: Conv2d's training forward and
// backward, and the eval-mode FoldedInference (with its fused bias, residual and ReLU).
//
// Why: these convolutions carry most of ResNet-18's multiply-adds (83% at 64 px), and a training
// step runs three GEMMs over each of them (forward, weight gradient, input gradient). Winograd's
// minimal filtering computes a 2x2 output tile from a 4x4 input tile with 16 products per channel
// pair instead of 36, as 16 independent GEMMs (one per point ξ of the transformed tile). The
// transforms (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks"):
//   weights U = G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   input   V = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   output  Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1]
// and in training, each line the adjoint of the forward map it differentiates:
//   forward          V = B^T d B,  M[ξ] = U[ξ] V[ξ],  y = A^T M A + bias
//   weight gradient  dM = A dY A^T,  dU[ξ] = Σ_tiles dM[ξ] V[ξ]^T,  dW += G^T dU G
//   input gradient   dV[ξ] = U[ξ]^T dM[ξ],  dx = Σ_tiles B dV B^T (windows overlap: scatter-add)
// The transforms only add, subtract and halve, so float rounding stays close to the direct
// convolution's (the tests compare with the naive reference and the im2col path). Every transform
// runs over whole planes, eight tiles of a tile row at a time in 8-lane vectors, reading from and
// accumulating into a zero-padded copy of the plane, so border tiles need no special case (an
// earlier eval-only version with scalar per-tile transforms and boundary branches cost as much as
// it saved at 64 channels). The 16 GEMMs of a pass are shared out over the threads whole (no
// GEMM is split, so no packing is repeated). Buffers are [16, channels, tiles] per chunk of
// samples, 16/36 of the im2col matrices' size per output pixel, bounded by
// `ConvSettings.maxColumnElements` like them.
//
// Eval mode may also use F(4x4, 3x3): a 4x4 output tile from a 6x6 window, 36 products per
// channel pair for 16 outputs (2.25 per output against F(2x2)'s 4, and 9 for the direct
// convolution), with
//   weights U = G g G^T, G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   input   V = B^T d B, B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   output  Y = A^T M A, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// Its transforms multiply by 2, 4, 5 and 8 and its weights have sixths, so it rounds worse than
// F(2x2) (the tests hold the two within 1e-5 of the output scale at 64 channels); training keeps
// F(2x2), whose gradients the finite-difference tests pin, and eval takes F(4x4) per layer where
// its padded tiles need fewer products (`WinogradTile.forInference`). Its transforms run over
// eight consecutive tiles of the whole chunk at a time, across tile rows and samples, each lane
// with its own window, so that the small planes of layer2-4 (16x16 down to 4x4, 4 to 1 tiles a row) keep every lane busy; that
// took a 64 px eval forward from 1.05x to 1.3x the F(2x2) one (two threads, batch 32). The same
// runs for F(2x2) in training (tried in c8106ae) kept the transforms' share of a step at 12.6-13%
// and moved the 1-vs-2-rank check's second-epoch loss difference from 6.4e-5 to 1.75e-4, so
// training keeps its runs along a tile row.

import Core

/// The tile a Winograd pass computes: F(2x2, 3x3) (training and eval) or F(4x4, 3x3) (eval).
enum WinogradTile: Sendable, Hashable {
    case f2, f4
    /// Output pixels along each side of a tile.
    var output: Int { self == .f2 ? 2 : 4 }
    /// Points of the transformed tile (its (output + 2)^2 window): the GEMMs of one pass.
    var points: Int { self == .f2 ? 16 : 36 }
    /// Products per channel pair of one h x w plane, tiles at the edges counted whole.
    func products(h: Int, w: Int) -> Int { points * ((h + output - 1) / output) * ((w + output - 1) / output) }

    /// The eval tile for an h x w plane: F(4x4) where `largeTiles` allows it and its padded tiles
    /// take fewer products than F(2x2)'s (8x8: 144 against 256; 2x2: 36 against 16).
    static func forInference(h: Int, w: Int, largeTiles: Bool) -> WinogradTile {
        largeTiles && WinogradTile.f4.products(h: h, w: w) < WinogradTile.f2.products(h: h, w: w) ? .f4 : .f2
    }
}

/// The tiles of one h x w plane, and the zero-padded plane copy the transforms use.
struct WinogradGrid {
    let h: Int, w: Int
    var tile: WinogradTile = .f2
    /// Whether Winograd pays on an h x w image: a 1-pixel-wide one would spend 16 products on one
    /// output where the im2col GEMM spends 9.
    static func pays(h: Int, w: Int) -> Bool { h >= 2 && w >= 2 }
    var tileRows: Int { (h + tile.output - 1) / tile.output }
    var tileCols: Int { (w + tile.output - 1) / tile.output }
    var tilesPerPlane: Int { tileRows * tileCols }
    /// Tile columns rounded up to whole 8-tile runs.
    private var runCols: Int { (tileCols + 7) / 8 * 8 }
    /// Padded row length: tile (r, q)'s window starts at padded (m r, m q) (m = tile.output). F(2x2)
    /// loads 16 floats at 2q0 and 2q0 + 2 for a run of 8 tiles from column q0: its last (partial)
    /// run reaches column 2 * runCols + 1; F(4x4) loads 4 floats at 4q and 4q + 4 per tile: 4 * tileCols + 3.
    var paddedWidth: Int { tile == .f2 ? 2 * runCols + 4 : 4 * tileCols + 4 }
    var paddedCount: Int { (tile.output * tileRows + 2) * paddedWidth }

    /// pad[(y + 1) * paddedWidth + x + 1] = plane[y * w + x]; the border (everything else) is left
    /// as it is, so a scratch plane zeroed once serves every plane copied into it. Rows are copied
    /// inline: a memmove call per 2- to 16-float row was most of a copy on layer2-4's planes.
    func copyPadded(_ plane: UnsafePointer<Float>, into pad: UnsafeMutablePointer<Float>) {
        let pw = paddedWidth
        for y in 0..<h { copyFloats(pad + (y + 1) * pw + 1, plane + y * w, w) }
    }

    /// plane[y * w + x] = pad[(y + 1) * paddedWidth + x + 1].
    func copyInterior(_ pad: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>) {
        let pw = paddedWidth
        for y in 0..<h { copyFloats(plane + y * w, pad + (y + 1) * pw + 1, w) }
    }

    /// Runs `body(r, q0, lanes)` over every tile row r and 8-tile run starting at column q0.
    @inline(__always)
    func forEachRun(_ body: (Int, Int, Int) -> Void) {
        let tw = tileCols
        for r in 0..<tileRows {
            var q0 = 0
            while q0 < tw { body(r, q0, Swift.min(8, tw - q0)); q0 += 8 }
        }
    }

    /// V[ξ][t] (ξ-plane stride `step`, t = r * tileCols + q) = (B^T d B)[ξ] of every tile's window
    /// d in the padded plane.
    func inputTransform(_ pad: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>, step: Int) {
        precondition(tile == .f2, "F(4x4) transforms run over whole chunks (inputTransform4)")
        let pw = paddedWidth, tw = tileCols
        forEachRun { r, q0, lanes in
            let p = pad + 2 * r * pw + 2 * q0
            // One window row across 8 tiles: its columns 0..3 are padded columns 2q..2q+3, then B^T along the row.
            @inline(__always) func row(_ i: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let a = load16(p + i * pw), b = load16(p + i * pw + 2)
                let d0 = a.evenHalf, d1 = a.oddHalf, d2 = b.evenHalf, d3 = b.oddHalf
                return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
            }
            let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
            let out = v + r * tw + q0
            // ξ = 4i + k: B^T down the rows (i), the row transform above along the columns (k).
            store8(r0.0 - r2.0, out, lanes); store8(r0.1 - r2.1, out + step, lanes)
            store8(r0.2 - r2.2, out + 2 * step, lanes); store8(r0.3 - r2.3, out + 3 * step, lanes)
            store8(r1.0 + r2.0, out + 4 * step, lanes); store8(r1.1 + r2.1, out + 5 * step, lanes)
            store8(r1.2 + r2.2, out + 6 * step, lanes); store8(r1.3 + r2.3, out + 7 * step, lanes)
            store8(r2.0 - r1.0, out + 8 * step, lanes); store8(r2.1 - r1.1, out + 9 * step, lanes)
            store8(r2.2 - r1.2, out + 10 * step, lanes); store8(r2.3 - r1.3, out + 11 * step, lanes)
            store8(r1.0 - r3.0, out + 12 * step, lanes); store8(r1.1 - r3.1, out + 13 * step, lanes)
            store8(r1.2 - r3.2, out + 14 * step, lanes); store8(r1.3 - r3.3, out + 15 * step, lanes)
        }
    }

    /// plane = act(A^T M A + bias (+ residual)) per tile, from M[ξ][t] (ξ-plane stride `step`;
    /// reads up to 7 floats past the plane's last tile, which the caller's buffer must hold); act
    /// is a ReLU when `relu` (the eval path's fused epilogue), else the identity.
    func outputTransform(_ m: UnsafePointer<Float>, step: Int, bias: Float, residual: UnsafePointer<Float>? = nil,
                         relu: Bool = false, into plane: UnsafeMutablePointer<Float>) {
        precondition(tile == .f2, "F(4x4) transforms run over whole chunks (outputTransform4)")
        let tw = tileCols, h = h, w = w
        forEachRun { r, q0, lanes in
            let src = m + r * tw + q0
            @inline(__always) func at(_ xi: Int) -> SIMD8<Float> { load8(src + xi * step) }
            // A^T down the rows: a0 = m0 + m1 + m2, a1 = m1 - m2 - m3 (per column k).
            let m1 = (at(4), at(5), at(6), at(7)), m2 = (at(8), at(9), at(10), at(11))
            let s0 = (at(0) + m1.0 + m2.0, at(1) + m1.1 + m2.1, at(2) + m1.2 + m2.2, at(3) + m1.3 + m2.3)
            let s1 = (m1.0 - m2.0 - at(12), m1.1 - m2.1 - at(13), m1.2 - m2.2 - at(14), m1.3 - m2.3 - at(15))
            // ... and along the columns.
            let y00 = s0.0 + s0.1 + s0.2 + bias, y01 = s0.1 - s0.2 - s0.3 + bias
            let y10 = s1.0 + s1.1 + s1.2 + bias, y11 = s1.1 - s1.2 - s1.3 + bias
            let x0 = 2 * q0, count = Swift.min(2 * lanes, w - x0), y = 2 * r
            @inline(__always) func write(_ v: SIMD16<Float>, _ offset: Int) {
                var v = v
                if let residual { v += count == 16 ? load16(residual + offset) : loadRow(residual + offset, count) }
                if relu { v = v.replacing(with: 0, where: v .< 0) }
                storeRow(v, plane + offset, count)
            }
            write(interleave(y00, y01), y * w + x0)
            if y + 1 < h { write(interleave(y10, y11), (y + 1) * w + x0) }
        }
    }

    /// dM[ξ][t] (ξ-plane stride `step`) = (A dY A^T)[ξ] of every tile's 2x2 output gradient, read
    /// from the padded copy of dY (zero outside the plane).
    func adjointOutputTransform(_ pad: UnsafePointer<Float>, into dm: UnsafeMutablePointer<Float>, step: Int) {
        precondition(tile == .f2, "the Winograd gradients are F(2x2, 3x3) only")
        let pw = paddedWidth, tw = tileCols
        forEachRun { r, q0, lanes in
            let p = pad + (2 * r + 1) * pw + 2 * q0 + 1
            let top = load16(p), bottom = load16(p + pw)
            let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
            let out = dm + r * tw + q0
            // A down the rows: (a, b), (a + c, b + d), (a - c, b - d), (-c, -d); then A along each
            // row (u, v) -> (u, u + v, u - v, -v).
            @inline(__always) func put(_ i: Int, _ u: SIMD8<Float>, _ v: SIMD8<Float>) {
                let o = out + 4 * i * step
                store8(u, o, lanes); store8(u + v, o + step, lanes); store8(u - v, o + 2 * step, lanes); store8(-v, o + 3 * step, lanes)
            }
            put(0, a, b); put(1, a + c, b + d); put(2, a - c, b - d); put(3, -c, -d)
        }
    }

    /// pad += B dV B^T of every tile, at its window (the padded plane must start zeroed; windows
    /// overlap by two pixels, so the runs are accumulated one after the other). Reads up to 7
    /// floats past the plane's last tile of dV (the caller's buffer must hold them).
    func adjointInputTransform(_ dv: UnsafePointer<Float>, step: Int, into pad: UnsafeMutablePointer<Float>) {
        precondition(tile == .f2, "the Winograd gradients are F(2x2, 3x3) only")
        let pw = paddedWidth, tw = tileCols
        let lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        forEachRun { r, q0, lanes in
            let src = dv + r * tw + q0
            // Lanes past the row's last tile would add into the window of the last real tile: zero them.
            let dead = lane .>= SIMD8<Int32>(repeating: Int32(lanes))
            @inline(__always) func at(_ xi: Int) -> SIMD8<Float> { load8(src + xi * step).replacing(with: 0, where: dead) }
            // B^T's adjoint per column k down the rows: (v0, v1 - v2 + v3, -v0 + v1 + v2, -v3).
            @inline(__always) func down(_ k: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                let v0 = at(k), v1 = at(4 + k), v2 = at(8 + k), v3 = at(12 + k)
                return (v0, v1 - v2 + v3, v1 + v2 - v0, -v3)
            }
            let c0 = down(0), c1 = down(1), c2 = down(2), c3 = down(3)
            // ... and along each window row i, added at padded row 2r + i, columns 2q .. 2q + 3.
            @inline(__always) func add(_ i: Int, _ k0: SIMD8<Float>, _ k1: SIMD8<Float>, _ k2: SIMD8<Float>, _ k3: SIMD8<Float>) {
                let p = pad + (2 * r + i) * pw + 2 * q0
                let e0 = k0, e1 = k1 - k2 + k3, e2 = k1 + k2 - k0, e3 = -k3
                store16(load16(p) + interleave(e0, e1), p)
                store16(load16(p + 2) + interleave(e2, e3), p + 2)
            }
            add(0, c0.0, c1.0, c2.0, c3.0); add(1, c0.1, c1.1, c2.1, c3.1)
            add(2, c0.2, c1.2, c2.2, c3.2); add(3, c0.3, c1.3, c2.3, c3.3)
        }
    }
    /// V[ξ][t] of F(4x4) for the `tiles` tiles of `samples` padded planes (plane s at pads + s *
    /// planeStride), eight consecutive tiles t at a time whatever plane and tile row each is in:
    /// a run along one tile row would leave lanes idle on the planes narrower than 32 pixels
    /// (7 of 8 on layer4's 4x4). B^T along each of the 6 window rows, then down them.
    func inputTransform4(_ pads: UnsafePointer<Float>, planeStride: Int, tiles: Int, into v: UnsafeMutablePointer<Float>, step: Int) {
        precondition(tile == .f4)
        let pw = paddedWidth
        var cursor = TileCursor(tileCols: tileCols, tileRows: tileRows), t0 = 0
        while t0 < tiles {
            let lanes = Swift.min(8, tiles - t0)
            // Idle lanes (the last run only) repeat the last tile; store8 drops them.
            var last = pads
            @inline(__always) func origin(_ j: Int) -> UnsafePointer<Float> {
                guard j < lanes else { return last }
                last = pads + cursor.s * planeStride + 4 * (cursor.r * pw + cursor.q)
                cursor.advance()
                return last
            }
            let o = (origin(0), origin(1), origin(2), origin(3), origin(4), origin(5), origin(6), origin(7))
            @inline(__always) func row(_ i: Int) -> Six {
                let d = i * pw
                return Six(windowRow: o.0 + d, o.1 + d, o.2 + d, o.3 + d, o.4 + d, o.5 + d, o.6 + d, o.7 + d).inputTransformed
            }
            let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
            let out = v + t0
            // ξ = 6i + k: B^T down column k of the row transforms gives rows i = 0..5.
            for k in 0..<6 {
                let c = Six(r0[k], r1[k], r2[k], r3[k], r4[k], r5[k]).inputTransformed
                for i in 0..<6 { store8(c[i], out + (6 * i + k) * step, lanes) }
            }
            t0 += 8
        }
    }

    /// The F(4x4) output pass of one output channel over `tiles` tiles (M[ξ][t] at m + ξ * step;
    /// plane s of y and of the residual at s * outputStride): A^T down the 6 columns of M, then
    /// along each of the 4 output rows, written tile by tile up to the plane's edges. Reads up to
    /// 7 floats past the last tile of M (the caller's buffer must hold them).
    func outputTransform4(_ m: UnsafePointer<Float>, step: Int, tiles: Int, outputStride: Int, bias: Float,
                          residual: UnsafePointer<Float>?, relu: Bool, into y: UnsafeMutablePointer<Float>) {
        precondition(tile == .f4)
        let h = h, w = w
        var cursor = TileCursor(tileCols: tileCols, tileRows: tileRows), t0 = 0
        while t0 < tiles {
            let lanes = Swift.min(8, tiles - t0)
            let src = m + t0
            @inline(__always) func column(_ k: Int) -> Four {
                Six(load8(src + k * step), load8(src + (6 + k) * step), load8(src + (12 + k) * step),
                    load8(src + (18 + k) * step), load8(src + (24 + k) * step), load8(src + (30 + k) * step)).outputTransformed
            }
            let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
            @inline(__always) func next() -> OutputTile {
                let c = cursor
                cursor.advance()
                return OutputTile(offset: c.s * outputStride + 4 * (c.r * w + c.q), rows: Swift.min(4, h - 4 * c.r), columns: Swift.min(4, w - 4 * c.q))
            }
            let first = next()
            @inline(__always) func following(_ j: Int) -> OutputTile { j < lanes ? next() : OutputTile(offset: 0, rows: 0, columns: 0) }
            let destinations = OutputTiles(first, following(1), following(2), following(3), following(4), following(5), following(6), following(7))
            for i in 0..<4 {
                let yi = Six(c0[i], c1[i], c2[i], c3[i], c4[i], c5[i]).outputTransformed
                writeTileRows(yi, row: i, width: w, tiles: destinations, bias: bias, residual: residual, relu: relu, into: y)
            }
            t0 += 8
        }
    }
}

/// Sample s, tile row r and tile column q of a chunk's tiles t = 0, 1, ... in turn: the F(4x4)
/// runs step it tile by tile instead of dividing t for every lane.
struct TileCursor {
    let tileCols: Int, tileRows: Int
    var s = 0, r = 0, q = 0
    init(tileCols: Int, tileRows: Int) { self.tileCols = tileCols; self.tileRows = tileRows }
    @inline(__always) mutating func advance() {
        q += 1
        if q == tileCols { q = 0; r += 1; if r == tileRows { r = 0; s += 1 } }
    }
}

/// Six 8-lane vectors: one window row or column of F(4x4)'s 6x6 tile, for eight tiles.
struct Six {
    var v0, v1, v2, v3, v4, v5: SIMD8<Float>
    @inline(__always) init(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>, _ v4: SIMD8<Float>, _ v5: SIMD8<Float>) {
        self.v0 = v0; self.v1 = v1; self.v2 = v2; self.v3 = v3; self.v4 = v4; self.v5 = v5
    }
    @inline(__always) subscript(_ i: Int) -> SIMD8<Float> {
        switch i { case 0: v0; case 1: v1; case 2: v2; case 3: v3; case 4: v4; default: v5 }
    }
    /// Window columns 0..5 of 8 tiles' rows (tile j's row at p_j), one lane per tile: 4 floats
    /// at p_j and p_j + 4 each, then every other one of their even and odd floats. Not inlined on
    /// purpose: inlined, LLVM turned part of these shuffles and the arithmetic after them into
    /// scalar code (F(4x4)'s transforms took a quarter of an eval forward).
    @inline(never) init(windowRow p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>, _ p3: UnsafePointer<Float>,
                        _ p4: UnsafePointer<Float>, _ p5: UnsafePointer<Float>, _ p6: UnsafePointer<Float>, _ p7: UnsafePointer<Float>) {
        @inline(__always) func four(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ d: UnsafePointer<Float>,
                                    _ at: Int) -> SIMD16<Float> {
            SIMD16(lowHalf: SIMD8(lowHalf: load4(a + at), highHalf: load4(b + at)), highHalf: SIMD8(lowHalf: load4(c + at), highHalf: load4(d + at)))
        }
        @inline(__always) func split(_ at: Int) -> (even: SIMD16<Float>, odd: SIMD16<Float>) {
            let a = four(p0, p1, p2, p3, at), b = four(p4, p5, p6, p7, at)
            return (SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf), SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf))
        }
        let (e, o) = split(0), (e4, o4) = split(4)
        self.init(e.evenHalf, o.evenHalf, e.oddHalf, o.oddHalf, e4.evenHalf, o4.evenHalf)
    }

    /// B^T d of d = (v0 .. v5).
    @inline(__always) var inputTransformed: Six {
        let four: Float = 4, five: Float = 5, two: Float = 2
        return Six(four * v0 - five * v2 + v4,
                   v3 + v4 - four * (v1 + v2),
                   v4 - v3 + four * (v1 - v2),
                   v4 - v2 + two * (v3 - v1),
                   v4 - v2 - two * (v3 - v1),
                   four * v1 - five * v3 + v5)
    }
    /// A^T m of m = (v0 .. v5).
    @inline(__always) var outputTransformed: Four {
        let s12 = v1 + v2, d12 = v1 - v2, s34 = v3 + v4, d34 = v3 - v4
        return Four(v0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + v5)
    }
}

/// Four 8-lane vectors: one column of F(4x4)'s output tile after A^T, for eight tiles.
struct Four {
    var v0, v1, v2, v3: SIMD8<Float>
    @inline(__always) init(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>) {
        self.v0 = v0; self.v1 = v1; self.v2 = v2; self.v3 = v3
    }
    @inline(__always) subscript(_ i: Int) -> SIMD8<Float> {
        switch i { case 0: v0; case 1: v1; case 2: v2; default: v3 }
    }
}

/// Where one tile of an F(4x4) output run goes: its first output pixel, and how many of its 4
/// rows and 4 columns lie inside the plane (no rows: an idle lane).
struct OutputTile {
    let offset: Int, rows: Int, columns: Int
}

/// The 8 tiles of a run (a tuple, not SIMD8 lanes: setting lanes one by one went through memory
/// and stalled on store forwarding).
struct OutputTiles {
    let t0, t1, t2, t3, t4, t5, t6, t7: OutputTile
    @inline(__always) init(_ t0: OutputTile, _ t1: OutputTile, _ t2: OutputTile, _ t3: OutputTile,
                           _ t4: OutputTile, _ t5: OutputTile, _ t6: OutputTile, _ t7: OutputTile) {
        self.t0 = t0; self.t1 = t1; self.t2 = t2; self.t3 = t3; self.t4 = t4; self.t5 = t5; self.t6 = t6; self.t7 = t7
    }
    @inline(__always) subscript(_ j: Int) -> OutputTile {
        switch j { case 0: t0; case 1: t1; case 2: t2; case 3: t3; case 4: t4; case 5: t5; case 6: t6; default: t7 }
    }
}

/// Output row i of 8 tiles: act(pixels + bias (+ residual)) with tile j's pixels y.v0[j] ..
/// y.v3[j] at y + tiles[j].offset + i * width. Not inlined, for the reason `Six(windowRow:)` gives.
@inline(never)
func writeTileRows(_ y: Four, row i: Int, width: Int, tiles: OutputTiles, bias: Float, residual: UnsafePointer<Float>?, relu: Bool,
                   into out: UnsafeMutablePointer<Float>) {
    // Tiles 0-3's four pixels each, then tiles 4-7's.
    let even = interleave(y.v0 + bias, y.v2 + bias), odd = interleave(y.v1 + bias, y.v3 + bias)
    let low = interleave(even.lowHalf, odd.lowHalf), high = interleave(even.highHalf, odd.highHalf)
    @inline(__always) func put(_ j: Int, _ v: SIMD4<Float>) {
        let tile = tiles[j]
        guard i < tile.rows else { return }
        let at = tile.offset + i * width, count = tile.columns
        var v = v
        if count == 4 {
            if let residual { v += load4(residual + at) }
            if relu { v = v.replacing(with: 0, where: v .< 0) }
            UnsafeMutableRawPointer(out + at).storeBytes(of: v, as: SIMD4<Float>.self)
        } else {
            for l in 0..<count {
                var x = v[l] + (residual?[at + l] ?? 0)
                if relu { x = Swift.max(x, 0) }
                out[at + l] = x
            }
        }
    }
    put(0, low.lowHalf.lowHalf); put(1, low.lowHalf.highHalf); put(2, low.highHalf.lowHalf); put(3, low.highHalf.highHalf)
    put(4, high.lowHalf.lowHalf); put(5, high.lowHalf.highHalf); put(6, high.highHalf.lowHalf); put(7, high.highHalf.highHalf)
}

/// U[ξ][o][c] = (G g G^T)[ξ] ([outC, C, 3, 3] in, [tile.points, outC, C] out): F(2x2) by
/// `winogradWeights` (training runs it every step), F(4x4) in Double (eval folds it once; its
/// G has thirds and sixths, which Float would round before the products).
func winogradWeights(_ w: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int, tile: WinogradTile,
                     into u: UnsafeMutablePointer<Float>, threads: Threads = .serial) {
    guard tile == .f4 else { return winogradWeights(w, outChannels: oc, inChannels: c, into: u, threads: threads) }
    let g: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                         [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
    let plane = winogradWeightStride(outChannels: oc, inChannels: c)
    threads.forChunks(oc) { lo, hi in
        var t = [Double](repeating: 0, count: 18)
        for o in lo..<hi {
            for ch in 0..<c {
                let k = w + (o * c + ch) * 9
                // t = G k (6 x 3), then U = t G^T (6 x 6).
                for i in 0..<6 { for j in 0..<3 { t[3 * i + j] = g[i][0] * Double(k[j]) + g[i][1] * Double(k[3 + j]) + g[i][2] * Double(k[6 + j]) } }
                for i in 0..<6 {
                    for l in 0..<6 {
                        let value = t[3 * i] * g[l][0] + t[3 * i + 1] * g[l][1] + t[3 * i + 2] * g[l][2]
                        u[(6 * i + l) * plane + o * c + ch] = Float(value)
                    }
                }
            }
        }
    }
}

/// Floats between the point planes of U and dU ([points, outC, C]): outC x C plus 16. The
/// unpadded stride is a large power of two on ResNet's shapes (1 MiB at 512 channels), which put
/// the 16 planes a weight transform writes (or its adjoint reads) at once in the same cache sets:
/// padded, the 512-channel transforms ran 20-25% faster (benchmarks/README, issue 14).
func winogradWeightStride(outChannels oc: Int, inChannels c: Int) -> Int { oc * c + 16 }

/// U[ξ][o][c] = (G g G^T)[ξ] for every 3x3 kernel g = w[o, c] ([outC, C, 3, 3] in, [16, outC, C]
/// out), split over `threads` by output channel. Eight kernels of one output channel at a time, one
/// per vector lane, so each of the 16 planes gets whole 8-float stores (a scalar version writing
/// 16 scattered floats per kernel took 11% of a 32 px training step).
func winogradWeights(_ w: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int, into u: UnsafeMutablePointer<Float>,
                     threads: Threads = .serial) {
    let plane = winogradWeightStride(outChannels: oc, inChannels: c)
    threads.forChunks(oc, minPerChunk: 8) { lo, hi in
        for o in lo..<hi {
            var ch = 0
            while ch < c {
                let lanes = Swift.min(8, c - ch), g = w + (o * c + ch) * 9
                // Kernel element j of the lanes' kernels (zero in unused lanes).
                @inline(__always) func e(_ j: Int) -> SIMD8<Float> {
                    var v = SIMD8<Float>()
                    for l in 0..<lanes { v[l] = g[l * 9 + j] }
                    return v
                }
                let k = (e(0), e(1), e(2), e(3), e(4), e(5), e(6), e(7), e(8))
                // G g (4 x 3): kernel rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2, column by column ...
                @inline(__always) func column(_ j: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                    let g0 = j == 0 ? k.0 : j == 1 ? k.1 : k.2
                    let g1 = j == 0 ? k.3 : j == 1 ? k.4 : k.5
                    let g2 = j == 0 ? k.6 : j == 1 ? k.7 : k.8
                    return (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                }
                let c0 = column(0), c1 = column(1), c2 = column(2)
                // ... then G^T along each row (a, b, d) -> (a, (a + b + d) / 2, (a - b + d) / 2, d).
                @inline(__always) func put(_ i: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ d: SIMD8<Float>) {
                    let dst = u + 4 * i * plane + o * c + ch
                    store8(a, dst, lanes); store8(0.5 * (a + b + d), dst + plane, lanes)
                    store8(0.5 * (a - b + d), dst + 2 * plane, lanes); store8(d, dst + 3 * plane, lanes)
                }
                put(0, c0.0, c1.0, c2.0); put(1, c0.1, c1.1, c2.1); put(2, c0.2, c1.2, c2.2); put(3, c0.3, c1.3, c2.3)
                ch += 8
            }
        }
    }
}

/// dw[o, c] += G^T dU[o][c] G for every kernel (dU [16, outC, C], dw [outC, C, 3, 3]): the adjoint
/// of `winogradWeights`, eight kernels of one output channel at a time as there.
func winogradWeightGradient(_ du: UnsafePointer<Float>, outChannels oc: Int, inChannels c: Int,
                            into dw: UnsafeMutablePointer<Float>, threads: Threads) {
    let plane = winogradWeightStride(outChannels: oc, inChannels: c)
    threads.forChunks(oc, minPerChunk: 8) { lo, hi in
        for o in lo..<hi {
            var ch = 0
            while ch < c {
                let lanes = Swift.min(8, c - ch), src = du + o * c + ch
                @inline(__always) func at(_ xi: Int) -> SIMD8<Float> {
                    if lanes == 8 { return load8(src + xi * plane) }
                    var v = SIMD8<Float>()
                    for l in 0..<lanes { v[l] = src[xi * plane + l] }
                    return v
                }
                // G^T down the rows (r0 + (r1 + r2) / 2, (r1 - r2) / 2, (r1 + r2) / 2 + r3), per column k ...
                @inline(__always) func down(_ k: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                    let r0 = at(k), r1 = at(4 + k), r2 = at(8 + k), r3 = at(12 + k)
                    return (r0 + 0.5 * (r1 + r2), 0.5 * (r1 - r2), 0.5 * (r1 + r2) + r3)
                }
                let k0 = down(0), k1 = down(1), k2 = down(2), k3 = down(3)
                // ... and G along each row: element (j, 0..2) of the lanes' 3x3 gradients.
                let g = dw + (o * c + ch) * 9
                @inline(__always) func add(_ j: Int, _ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>) {
                    let a = v0 + 0.5 * (v1 + v2), b = 0.5 * (v1 - v2), d = 0.5 * (v1 + v2) + v3
                    for l in 0..<lanes { g[l * 9 + 3 * j] += a[l]; g[l * 9 + 3 * j + 1] += b[l]; g[l * 9 + 3 * j + 2] += d[l] }
                }
                add(0, k0.0, k1.0, k2.0, k3.0); add(1, k0.1, k1.1, k2.1, k3.1); add(2, k0.2, k1.2, k2.2, k3.2)
                ch += 8
            }
        }
    }
}

/// One 3x3 stride-1 pad-1 convolution's Winograd passes over a chunk of samples: the forward
/// (`convolve`, training and eval) and the two gradients (training).
struct WinogradPass {
    let grid: WinogradGrid
    let inChannels: Int, outChannels: Int
    /// Samples of the chunk and the chunk's tiles (samples x tiles per plane).
    let samples: Int
    var tiles: Int { samples * grid.tilesPerPlane }
    let threads: Threads

    /// Floats between the point planes of a [points, channels, tiles] buffer (V, M, dM, dV):
    /// channels x tiles plus 16, so that the 16 (or 36) planes a transform writes or reads at once
    /// do not share cache sets, as the unpadded power-of-two strides of ResNet's shapes made them.
    func pointStride(channels: Int) -> Int { channels * tiles + 16 }
    /// Floats of the [points, channels, tiles] values themselves (what a kept V holds).
    func transformCount(channels: Int) -> Int { grid.tile.points * pointStride(channels: channels) }
    /// Floats of a [points, channels, tiles] buffer, with the slack the 8-lane reads past the last tile need.
    func bufferCount(channels: Int) -> Int { transformCount(channels: channels) + 8 }
    /// Floats between the point planes of U and dU.
    var weightStride: Int { winogradWeightStride(outChannels: outChannels, inChannels: inChannels) }

    /// The passes over a batch of `n` h x w samples, in chunks whose largest [points, channels,
    /// tiles] buffer stays within `maxElements`: `body(pass, first sample of the chunk)`.
    static func forEachChunk(n: Int, h: Int, w: Int, tile: WinogradTile = .f2, inChannels: Int, outChannels: Int, maxElements: Int,
                             threads: Threads, _ body: (WinogradPass, Int) -> Void) {
        let grid = WinogradGrid(h: h, w: w, tile: tile)
        let perSample = tile.points * Swift.max(inChannels, outChannels) * grid.tilesPerPlane
        let chunk = Swift.max(1, Swift.min(n, maxElements / Swift.max(1, perSample)))
        var n0 = 0
        while n0 < n {
            let pass = WinogradPass(grid: grid, inChannels: inChannels, outChannels: outChannels, samples: Swift.min(chunk, n - n0), threads: threads)
            body(pass, n0)
            n0 += pass.samples
        }
    }

    /// `body(channel, scratch)` for each of `channels` channels, split over the threads by
    /// channel; each worker has its own scratch of `count` floats, zeroed once (`copyPadded` keeps
    /// the padded planes' borders zero).
    private func forEachChannel(_ channels: Int, scratch count: Int, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        threads.forChunks(channels) { lo, hi in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
            scratch.initialize(repeating: 0, count: count)
            defer { scratch.deallocate() }
            for ch in lo..<hi { body(ch, scratch) }
        }
    }

    /// Every (channel, sample) plane of `channels` channels of the chunk through
    /// `body(channel, sample, padded scratch of grid.paddedCount floats)`.
    private func forEachPlane(channels: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        forEachChannel(channels, scratch: grid.paddedCount) { ch, pad in
            for s in 0..<samples { body(ch, s, pad) }
        }
    }

    /// V [points, C, tiles] of the chunk's input x (the chunk's first sample at `x`).
    func transformInput(_ x: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
        let c = inChannels, hw = grid.h * grid.w, tps = grid.tilesPerPlane, step = pointStride(channels: c), t = tiles
        if grid.tile == .f4 {
            // Every sample's padded plane of a channel side by side, for runs that cross planes.
            let count = grid.paddedCount
            forEachChannel(c, scratch: samples * count) { ch, pads in
                for s in 0..<samples { grid.copyPadded(x + (s * c + ch) * hw, into: pads + s * count) }
                grid.inputTransform4(pads, planeStride: count, tiles: t, into: v + ch * t, step: step)
            }
            return
        }
        forEachPlane(channels: c) { ch, s, pad in
            grid.copyPadded(x + (s * c + ch) * hw, into: pad)
            grid.inputTransform(pad, into: v + ch * t + s * tps, step: step)
        }
    }

    /// The products of the transformed domain (one GEMM per point), shared out over the threads whole.
    private func forEachPoint(_ body: (Int) -> Void) {
        threads.forChunks(grid.tile.points) { lo, hi in for xi in lo..<hi { body(xi) } }
    }

    /// y = act(conv(x) + bias (+ residual)) for the chunk (first sample at `x`, `y`, `residual`),
    /// U [points, outC, C] from `winogradWeights` for the pass's tile; act a ReLU when `relu`. V and M live in `workspace`
    /// slots 0 and 1 (as the im2col path's columns and GEMM output do); V goes to `keptInput`
    /// instead when given (`bufferCount(channels: inChannels)` floats, kept by the caller for backward).
    func convolve(_ x: UnsafePointer<Float>, u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                  residual: UnsafePointer<Float>? = nil, relu: Bool = false, output y: UnsafeMutablePointer<Float>,
                  workspace: Workspace, keptInput: UnsafeMutablePointer<Float>? = nil) {
        let v = keptInput ?? workspace.buffer(0, count: bufferCount(channels: inChannels))
        let m = workspace.buffer(1, count: bufferCount(channels: outChannels))
        transformInput(x, into: v)
        forward(u: u, v: v, m: m, bias: bias, residual: residual, relu: relu, output: y)
    }

    /// `convolve` after the input transform: M[ξ] = U[ξ] V[ξ], then the output transform.
    private func forward(u: UnsafePointer<Float>, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                 bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil, relu: Bool = false,
                 output y: UnsafeMutablePointer<Float>) {
        let c = inChannels, oc = outChannels, t = tiles, hw = grid.h * grid.w, tps = grid.tilesPerPlane
        let us = weightStride, vs = pointStride(channels: c), ms = pointStride(channels: oc)
        forEachPoint { xi in
            sgemm(m: oc, n: t, k: c, a: u + xi * us, lda: c, b: v + xi * vs, ldb: t, beta: 0, c: m + xi * ms, ldc: t)
        }
        if grid.tile == .f4 {
            threads.forChunks(oc) { lo, hi in
                for o in lo..<hi {
                    grid.outputTransform4(m + o * t, step: ms, tiles: t, outputStride: oc * hw, bias: bias?[o] ?? 0,
                                          residual: residual.map { $0 + o * hw }, relu: relu, into: y + o * hw)
                }
            }
            return
        }
        threads.forChunks(oc) { lo, hi in
            for o in lo..<hi {
                for s in 0..<samples {
                    let off = (s * oc + o) * hw
                    grid.outputTransform(m + o * t + s * tps, step: ms, bias: bias?[o] ?? 0, residual: residual.map { $0 + off },
                                         relu: relu, into: y + off)
                }
            }
        }
    }

    /// dM [16, outC, tiles] of the chunk's output gradient dy (first sample at `dy`), adding each
    /// channel's sum of dy to `biasGradient`.
    func transformOutputGradient(_ dy: UnsafePointer<Float>, into dm: UnsafeMutablePointer<Float>,
                                 biasGradient: UnsafeMutablePointer<Float>?) {
        let oc = outChannels, hw = grid.h * grid.w, tps = grid.tilesPerPlane, step = pointStride(channels: oc), t = tiles
        forEachPlane(channels: oc) { o, s, pad in
            let plane = dy + (s * oc + o) * hw
            if let biasGradient {
                var sum: Float = 0
                for i in 0..<hw { sum += plane[i] }
                biasGradient[o] += sum
            }
            grid.copyPadded(plane, into: pad)
            grid.adjointOutputTransform(pad, into: dm + o * t + s * tps, step: step)
        }
    }

    /// dU[ξ] = dM[ξ] V[ξ]^T (accumulate: add to dU instead of overwriting it).
    func weightGradient(dm: UnsafePointer<Float>, v: UnsafePointer<Float>, du: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let c = inChannels, oc = outChannels, t = tiles
        let us = weightStride, vs = pointStride(channels: c), ms = pointStride(channels: oc)
        forEachPoint { xi in
            sgemm(transB: true, m: oc, n: c, k: t, a: dm + xi * ms, lda: t, b: v + xi * vs, ldb: t,
                  beta: accumulate ? 1 : 0, c: du + xi * us, ldc: c)
        }
    }

    /// dx of the chunk (first sample at `dx`, overwritten): dV[ξ] = U[ξ]^T dM[ξ], then the
    /// adjoint input transform of every plane.
    func inputGradient(u: UnsafePointer<Float>, dm: UnsafePointer<Float>, dv: UnsafeMutablePointer<Float>,
                       into dx: UnsafeMutablePointer<Float>) {
        let c = inChannels, oc = outChannels, t = tiles, hw = grid.h * grid.w, tps = grid.tilesPerPlane
        let us = weightStride, vs = pointStride(channels: c), ms = pointStride(channels: oc)
        forEachPoint { xi in
            sgemm(transA: true, m: c, n: t, k: oc, a: u + xi * us, lda: c, b: dm + xi * ms, ldb: t,
                  beta: 0, c: dv + xi * vs, ldc: t)
        }
        forEachPlane(channels: c) { ch, s, pad in
            zeroFloats(pad, grid.paddedCount)
            grid.adjointInputTransform(dv + ch * t + s * tps, step: vs, into: pad)
            grid.copyInterior(pad, into: dx + (s * c + ch) * hw)
        }
    }
}

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}
@inline(__always) func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
/// The first `lanes` lanes of v to p.
@inline(__always) func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 8 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self); return }
    for l in 0..<lanes { p[l] = v[l] }
}
/// count (< 16) floats from p, zero in the other lanes.
@inline(__always) func loadRow(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD16<Float> {
    var v = SIMD16<Float>()
    for l in 0..<count { v[l] = p[l] }
    return v
}
/// The first `count` (<= 16) lanes of v to p.
@inline(__always) func storeRow(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == 16 { store16(v, p); return }
    for l in 0..<count { p[l] = v[l] }
}
/// (a0, b0, a1, b1, ...): a tile run's even and odd columns side by side again.
@inline(__always) func interleave(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
    SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
}
