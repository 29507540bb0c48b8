// FoldedConvTiles: the eval-mode convolution cut into tiles that one worker computes start to
// finish (im2col of the tile, one single-threaded GEMM, the fused bias/residual/ReLU pass), the
// workers taking tiles from a shared counter.
//
// Why: the batched path (FoldedConv's fallback) writes the column matrix of a whole chunk of the
// batch (up to 64 MiB at 64 px) before its GEMM reads it back, and then scatters the GEMM's output
// to NCHW: three passes over memory-sized buffers, and three barriers per convolution. A tile's
// column block fits a core's cache, so im2col's writes are read back by OpenBLAS's packing from
// cache, a one-sample tile's GEMM writes the NCHW output in place, and the output pass touches it
// while still cached. Tiles are taken dynamically, so a worker descheduled by a loaded machine
// leaves its remaining tiles to the others instead of holding up a barrier.

import Core
import Dispatch
import Synchronization

/// How one folded convolution's batch is cut into tiles.
struct ConvTilePlan: Equatable {
    /// Samples per tile: 1 (a tile is a band of one sample's output rows) unless one sample's
    /// output is narrower than `ConvSettings.minTileColumns`, then enough samples to reach it.
    let samplesPerTile: Int
    /// Output rows per tile when a tile is one sample; the whole height otherwise.
    let rowsPerTile: Int
    /// Row bands per sample (1 for multi-sample tiles).
    let bandsPerSample: Int
    let tileCount: Int

    /// Columns of the widest tile (its GEMM's n).
    func columns(ohw: Int, ow: Int) -> Int { samplesPerTile > 1 ? samplesPerTile * ohw : rowsPerTile * ow }

    /// The tiles for a batch of `n` outputs of oh x ow pixels with K = `k` rows, or nil when there
    /// would be fewer than two tiles per worker (the batched, thread-split GEMM then balances better).
    static func make(n: Int, oh: Int, ow: Int, k: Int, workers: Int, settings: ConvSettings) -> ConvTilePlan? {
        let ohw = oh * ow
        let width = Swift.max(settings.minTileColumns, settings.tileColumnFloats / Swift.max(1, k))
        let plan: ConvTilePlan
        if ohw >= settings.minTileColumns {
            let rows = Swift.max(1, Swift.min(oh, width / Swift.max(1, ow)))
            let bands = (oh + rows - 1) / rows
            plan = ConvTilePlan(samplesPerTile: 1, rowsPerTile: rows, bandsPerSample: bands, tileCount: n * bands)
        } else {
            let samples = Swift.min(n, (settings.minTileColumns + ohw - 1) / ohw)
            plan = ConvTilePlan(samplesPerTile: samples, rowsPerTile: oh, bandsPerSample: 1, tileCount: (n + samples - 1) / samples)
        }
        guard workers == 1 || plan.tileCount >= 2 * workers else { return nil }
        return plan
    }
}

/// One folded convolution's operands: y = act(W' * x + bias' (+ residual)), NCHW.
struct TiledConvPass {
    let x: UnsafeMutablePointer<Float>
    /// The geometry with this input's h, w, oh, ow filled in.
    let geometry: ConvGeometry
    let batch: Int, outChannels: Int, k: Int
    /// W' [outC, K] and bias' [outC].
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let residual: UnsafeMutablePointer<Float>?
    let relu: Bool
    /// 1x1, stride 1, no padding: a one-sample tile reads x directly (its columns are x itself).
    let pointwise: Bool

    /// Runs every tile of `plan` on `threads`, with each worker's column block (and, for
    /// multi-sample tiles, GEMM output) in its own part of workspace slots 0 and 1.
    func run(_ plan: ConvTilePlan, threads: Threads, workspace: Workspace) {
        let g = geometry, ohw = g.oh * g.ow, oc = outChannels
        let width = plan.columns(ohw: ohw, ow: g.ow)
        let workers = Swift.max(1, Swift.min(threads.count, plan.tileCount))
        // Allocated here, before the workers start: Workspace is not thread-safe.
        let cols = workspace.buffer(0, count: workers * k * width)
        let gemmOut = plan.samplesPerTile > 1 ? workspace.buffer(1, count: workers * oc * width) : nil
        let counter = TileCounter()
        let body = { (worker: Int) in
            let wc = cols + worker * self.k * width, wy = gemmOut.map { $0 + worker * oc * width }
            while true {
                let t = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
                if t >= plan.tileCount { return }
                if let wy { self.samplesTile(t, plan, wc, wy) } else { self.bandTile(t, plan, wc) }
            }
        }
        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
    }

    /// Tile t: a band of output rows of one sample; the GEMM writes the NCHW output in place.
    private func bandTile(_ t: Int, _ plan: ConvTilePlan, _ cols: UnsafeMutablePointer<Float>) {
        let g = geometry, ohw = g.oh * g.ow, oc = outChannels
        let s = t / plan.bandsPerSample, y0 = (t % plan.bandsPerSample) * plan.rowsPerTile
        let y1 = Swift.min(g.oh, y0 + plan.rowsPerTile), np = (y1 - y0) * g.ow
        let b: UnsafeMutablePointer<Float>, ldb: Int
        if pointwise {
            b = x + s * k * ohw + y0 * g.ow; ldb = ohw
        } else {
            im2colSampleBand(x, g, sample: s, y0: y0, y1: y1, cols, ld: np)
            b = cols; ldb = np
        }
        let dst = output + s * oc * ohw + y0 * g.ow
        sgemm(m: oc, n: np, k: k, a: weights, lda: k, b: b, ldb: ldb, beta: 0, c: dst, ldc: ohw)
        let res = residual.map { $0 + s * oc * ohw + y0 * g.ow }
        for o in 0..<oc { foldedEpilogue(dst + o * ohw, dst + o * ohw, res.map { $0 + o * ohw }, np, bias[o], relu) }
    }

    /// Tile t: `samplesPerTile` whole samples side by side in one GEMM, then scattered to NCHW.
    private func samplesTile(_ t: Int, _ plan: ConvTilePlan, _ cols: UnsafeMutablePointer<Float>, _ gemmOut: UnsafeMutablePointer<Float>) {
        let g = geometry, ohw = g.oh * g.ow, oc = outChannels
        let s0 = t * plan.samplesPerTile, s1 = Swift.min(batch, s0 + plan.samplesPerTile), np = (s1 - s0) * ohw
        for s in s0..<s1 { im2colSampleBand(x, g, sample: s, y0: 0, y1: g.oh, cols + (s - s0) * ohw, ld: np) }
        sgemm(m: oc, n: np, k: k, a: weights, lda: k, b: cols, ldb: np, beta: 0, c: gemmOut, ldc: np)
        for s in s0..<s1 {
            for o in 0..<oc {
                let off = (s * oc + o) * ohw
                foldedEpilogue(output + off, gemmOut + o * np + (s - s0) * ohw, residual.map { $0 + off }, ohw, bias[o], relu)
            }
        }
    }
}

/// The next tile to take (an atomic shared by the workers; a class so closures can share it).
private final class TileCounter: Sendable {
    let next = Atomic<Int>(0)
}

/// dst = act(src + b (+ res)) over `l` floats (dst may equal src).
@inline(__always)
func foldedEpilogue(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafeMutablePointer<Float>, _ res: UnsafeMutablePointer<Float>?,
                    _ l: Int, _ b: Float, _ relu: Bool) {
    let vb = V8(repeating: b), zero = V8(repeating: 0)
    var i = 0
    while i + 8 <= l {
        var v = load8(src, i) + vb
        if let res { v += load8(res, i) }
        if relu { v = v.replacing(with: zero, where: v .< zero) }
        store8(dst, i, v)
        i += 8
    }
    while i < l {
        var v = src[i] + b
        if let res { v += res[i] }
        dst[i] = relu ? Swift.max(0, v) : v
        i += 1
    }
}
