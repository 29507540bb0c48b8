// Winograd F(2x2, 3x3) for the eval-mode 3x3 stride-1 pad-1 convolutions (FoldedInference).
//
// Why: these convolutions are most of ResNet-18's arithmetic (all of layer1 and three of the four
// in each later stage), and the im2col GEMM spends 9 multiply-adds per input channel and output
// pixel on them. Winograd's minimal filtering computes a 2x2 output tile from a 4x4 input tile with
// 16 products per channel pair instead of 36: 2.25x fewer multiply-adds, as 16 independent GEMMs
// (one per point ξ of the transformed tile), M[ξ] = U[ξ] (outC x C) * V[ξ] (C x tiles). The
// transforms (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks"):
//   weights U = G g G^T, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   input   V = B^T d B, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   output  Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1]
// F(2x2, 3x3)'s transforms only add, subtract and halve, so float rounding stays close to the
// direct convolution's (the tests compare with the naive reference at 1e-4). Used from
// `ConvSettings.winogradMinChannels` (128) input channels: the transforms are scalar per (tile,
// channel), which at layer1's 64 channels costs about what the 2.25x saves.
//
// The tiles of the whole batch, numbered (sample, tile row, tile column), are cut into work items
// of consecutive tiles that one worker transforms, multiplies and writes back start to finish (the
// same dynamic scheduling as FoldedConvTiles), so small images batch their tiles across samples.

import Core
import Dispatch
import Synchronization

// `winogradWeights` (U = G g G^T per kernel) lives in WinogradTraining.swift with its adjoint.

/// One Winograd convolution: y = act(conv3x3(x, W') + bias' (+ residual)), NCHW, stride 1, pad 1.
struct WinogradPass {
    let x: UnsafeMutablePointer<Float>
    let batch: Int, inChannels: Int, outChannels: Int, h: Int, w: Int
    /// U [16, outC, C] and bias' [outC].
    let u: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let residual: UnsafeMutablePointer<Float>?
    let relu: Bool

    /// Tile rows and columns of one sample (the output is h x w, 2x2 per tile).
    var tileRows: Int { (h + 1) / 2 }
    var tileCols: Int { (w + 1) / 2 }

    /// Tiles per work item: wide enough for the GEMMs (`ConvSettings.minTileColumns / 4` tiles,
    /// i.e. that many output pixels) or what fills the cache budget, and never so wide that a
    /// worker is left without an item. One item per worker at the least (not two, as the im2col
    /// tiles take): every item repacks all 16 transformed kernels, which at layer4's 512 x 512
    /// channels costs more than a slightly unbalanced end.
    func itemTiles(workers: Int, settings: ConvSettings) -> Int {
        let total = batch * tileRows * tileCols
        let wanted = Swift.max(settings.minTileColumns / 4, settings.tileColumnFloats / (16 * Swift.max(inChannels, outChannels)))
        let balanced = (total + workers - 1) / workers
        return Swift.max(1, Swift.min(wanted, balanced))
    }

    func run(threads: Threads, workspace: Workspace, settings: ConvSettings) {
        let c = inChannels, oc = outChannels, total = batch * tileRows * tileCols
        let width = itemTiles(workers: threads.count, settings: settings)
        let items = (total + width - 1) / width
        let workers = Swift.max(1, Swift.min(threads.count, items))
        // Allocated before the workers start: Workspace is not thread-safe.
        let vAll = workspace.buffer(0, count: workers * 16 * c * width)
        let mAll = workspace.buffer(1, count: workers * 16 * oc * width)
        let counter = WinogradCounter()
        let body = { (worker: Int) in
            let v = vAll + worker * 16 * c * width, m = mAll + worker * 16 * oc * width
            let tiles = UnsafeMutablePointer<Int>.allocate(capacity: 3 * width)
            defer { tiles.deallocate() }
            while true {
                let item = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
                if item >= items { return }
                let t0 = item * width, t1 = Swift.min(total, t0 + width)
                self.item(t0, t1, v, m, tiles)
            }
        }
        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
    }

    /// Tiles t0..<t1 of the batch: input transform into V [16, C, n], 16 GEMMs into M [16, outC, n],
    /// output transform with the fused bias, residual and ReLU. The transforms loop over tiles
    /// innermost, so each of the 16 planes of V and M is read or written as one sequential stream.
    /// `tiles` is the worker's scratch for the tiles' positions (3 per tile).
    private func item(_ t0: Int, _ t1: Int, _ v: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                      _ tiles: UnsafeMutablePointer<Int>) {
        let c = inChannels, oc = outChannels, n = t1 - t0, perSample = tileRows * tileCols, tw = tileCols
        let plane = h * w
        // (sample, top row, left column) of each tile's 4x4 input window (1 above and left of its output).
        for j in 0..<n {
            let t = t0 + j, s = t / perSample, r = t % perSample
            tiles[3 * j] = s; tiles[3 * j + 1] = (r / tw) * 2 - 1; tiles[3 * j + 2] = (r % tw) * 2 - 1
        }
        let vStep = c * n
        for ch in 0..<c {
            let vc = v + ch * n
            for j in 0..<n {
                let s = tiles[3 * j], y0 = tiles[3 * j + 1], x0 = tiles[3 * j + 2]
                let xp = x + (s * c + ch) * plane
                var d0 = SIMD4<Float>(), d1 = SIMD4<Float>(), d2 = SIMD4<Float>(), d3 = SIMD4<Float>()
                if y0 >= 0 && x0 >= 0 && y0 + 4 <= h && x0 + 4 <= w {
                    let p = xp + y0 * w + x0
                    d0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
                    d1 = UnsafeRawPointer(p + w).loadUnaligned(as: SIMD4<Float>.self)
                    d2 = UnsafeRawPointer(p + 2 * w).loadUnaligned(as: SIMD4<Float>.self)
                    d3 = UnsafeRawPointer(p + 3 * w).loadUnaligned(as: SIMD4<Float>.self)
                } else {
                    @inline(__always) func row(_ i: Int) -> SIMD4<Float> {
                        let yy = y0 + i
                        var out = SIMD4<Float>()
                        if yy < 0 || yy >= h { return out }
                        for k in 0..<4 { let xx = x0 + k; if xx >= 0 && xx < w { out[k] = xp[yy * w + xx] } }
                        return out
                    }
                    d0 = row(0); d1 = row(1); d2 = row(2); d3 = row(3)
                }
                // B^T d (rows), then (B^T d) B (columns): V[ξ = 4i + k].
                @inline(__always) func put(_ i: Int, _ rr: SIMD4<Float>) {
                    let base = vc + 4 * i * vStep + j
                    base[0] = rr[0] - rr[2]; base[vStep] = rr[1] + rr[2]; base[2 * vStep] = rr[2] - rr[1]; base[3 * vStep] = rr[1] - rr[3]
                }
                put(0, d0 - d2); put(1, d1 + d2); put(2, d2 - d1); put(3, d1 - d3)
            }
        }
        for xi in 0..<16 {
            sgemm(m: oc, n: n, k: c, a: u + xi * oc * c, lda: c, b: v + xi * c * n, ldb: n, beta: 0, c: m + xi * oc * n, ldc: n)
        }
        let mStep = oc * n
        for o in 0..<oc {
            let mo = m + o * n, b = bias[o]
            for j in 0..<n {
                let s = tiles[3 * j], oy = tiles[3 * j + 1] + 1, ox = tiles[3 * j + 2] + 1
                let p = mo + j
                @inline(__always) func row(_ i: Int) -> SIMD4<Float> {
                    SIMD4(p[4 * i * mStep], p[(4 * i + 1) * mStep], p[(4 * i + 2) * mStep], p[(4 * i + 3) * mStep])
                }
                // A^T M (2 x 4), then (A^T M) A (2 x 2).
                let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
                let a0 = m0 + m1 + m2, a1 = m1 - m2 - m3
                var y0 = SIMD2(a0[0] + a0[1] + a0[2], a0[1] - a0[2] - a0[3]) + b
                var y1 = SIMD2(a1[0] + a1[1] + a1[2], a1[1] - a1[2] - a1[3]) + b
                let off = (s * oc + o) * plane + oy * w + ox
                if oy + 2 <= h && ox + 2 <= w {
                    if let residual {
                        y0 += SIMD2(residual[off], residual[off + 1]); y1 += SIMD2(residual[off + w], residual[off + w + 1])
                    }
                    if relu { y0 = y0.replacing(with: 0, where: y0 .< 0); y1 = y1.replacing(with: 0, where: y1 .< 0) }
                    output[off] = y0[0]; output[off + 1] = y0[1]; output[off + w] = y1[0]; output[off + w + 1] = y1[1]
                } else {
                    for i in 0..<Swift.min(2, h - oy) {
                        for k in 0..<Swift.min(2, w - ox) {
                            var val = i == 0 ? y0[k] : y1[k]
                            if let residual { val += residual[off + i * w + k] }
                            output[off + i * w + k] = relu ? Swift.max(0, val) : val
                        }
                    }
                }
            }
        }
    }
}

/// The next work item (an atomic shared by the workers; a class so closures can share it).
private final class WinogradCounter: Sendable {
    let next = Atomic<Int>(0)
}
