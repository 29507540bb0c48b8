// Conv2d: 2-D convolution by im2col + one sgemm per chunk of samples (NCHW in and out).
//
// Layout: for a chunk of samples the column matrix is cols[K, P] with K = C*kh*kw rows (channel
// major, then kernel row, kernel column) and P = samples*OH*OW columns, so the whole chunk is a
// single GEMM Y[outC, P] = W[outC, K] * cols, whose rows are scattered back to NCHW. Batching
// samples into one GEMM matters at small images, where one sample's OH*OW is tiny. Column
// matrices live in the network's shared workspace and are recomputed in backward (with
// `ConvSettings.cacheColumns` a one-chunk matrix is kept by the layer instead: an im2col saved
// for kh*kw times the input's memory). Every GEMM is split over the layer's threads
// (`threadedSgemm`); input gradients go to the network's shared gradient tensors.

import Core

public final class Conv2d: Layer {
    public let inChannels: Int, outChannels: Int
    public let kernelH: Int, kernelW: Int
    public let strideH: Int, strideW: Int
    public let padH: Int, padW: Int
    public let hasBias: Bool
    public var weightInit: WeightInit
    /// Off for a network's first layer: the gradient w.r.t. the image is never used.
    public var computeInputGradient = true
    private var storage: ParameterStorage!
    /// From the network's context at bind.
    private var threads = Threads.serial
    private var settings = ConvSettings.standard
    private var wOff = 0, bOff = 0
    private var input: Tensor?
    private let output = Tensor(zeros: [0])
    /// Returned by backward when `computeInputGradient` is off (empty).
    private let noInputGradient = Tensor(zeros: [0])
    private let columnCache = Tensor(zeros: [0])
    /// The kernel flipped and transposed for the stride-1 input gradient.
    private let flipped = Tensor(zeros: [0])
    /// Whether `columnCache` holds the column matrix of the last forward.
    private var columnsCached = false
    /// U = G g G^T [16, outC, C] of the weights a training forward ran with, kept for its backward
    /// (the weights only change after it). Computing it again in backward was a second pass over
    /// 16/9 of the layer's weights: 3% of a 32 px training step, where the weights outweigh the
    /// activations; all layers' U together are 64 MiB for ResNet-18.
    private let winogradU = Tensor(zeros: [0])
    /// Whether `winogradU` holds the transform of the current weights (set by a training forward).
    private var winogradUCurrent = false
    /// V = B^T d B of the last training forward's input, kept for its backward when the batch is one
    /// Winograd chunk and V fits `ConvSettings.winogradKeptInputFloats` (else backward recomputes it).
    private let winogradV = Tensor(zeros: [0])
    /// Whether `winogradV` holds the transform of the input the last training forward ran on.
    private var winogradVCurrent = false
    /// Whether backward will take the transformed input forward kept (the tests' view of the choice).
    var holdsTransformedInput: Bool { winogradVCurrent }

    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = true, weightInit: WeightInit = .torchDefault) {
        precondition(inChannels > 0 && outChannels > 0 && kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0)
        self.inChannels = inChannels; self.outChannels = outChannels
        kernelH = kernel.0; kernelW = kernel.1
        strideH = stride.0; strideW = stride.1
        padH = padding.0; padW = padding.1
        hasBias = bias
        self.weightInit = weightInit
    }

    /// Square kernel, stride and padding.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                            bias: Bool = true, weightInit: WeightInit = .torchDefault) {
        self.init(inChannels, outChannels, kernel: (kernel, kernel), stride: (stride, stride),
                  padding: (padding, padding), bias: bias, weightInit: weightInit)
    }

    var k: Int { inChannels * kernelH * kernelW }

    /// The kernel [outC, inC, kh, kw] in the bound parameter buffer (inference folding reads it).
    var weightValues: UnsafeMutablePointer<Float> { storage.parameters + wOff }
    /// The bias [outC] in the bound parameter buffer, nil without one.
    var biasValues: UnsafeMutablePointer<Float>? { hasBias ? storage.parameters + bOff : nil }

    public func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
        ((h + 2 * padH - kernelH) / strideH + 1, (w + 2 * padW - kernelW) / strideW + 1)
    }

    public func register(in registry: ParameterRegistry, prefix: String) {
        wOff = registry.add(prefix + "weight", shape: [outChannels, inChannels, kernelH, kernelW])
        if hasBias { bOff = registry.add(prefix + "bias", shape: [outChannels]) }
    }
    public func bind(_ storage: ParameterStorage) {
        self.storage = storage
        threads = storage.context.threads
        settings = storage.context.conv
    }

    public func resetParameters(rng: inout SeededRNG) {
        let fanIn = k, fanOut = outChannels * kernelH * kernelW
        weightInit.fill(storage.parameters + wOff, count: outChannels * k, fanIn: fanIn, fanOut: fanOut, rng: &rng)
        if hasBias { WeightInit.torchDefault.fill(storage.parameters + bOff, count: outChannels, fanIn: fanIn, fanOut: fanOut, rng: &rng) }
    }

    /// Samples per GEMM chunk for an output of `ohw` pixels.
    private func chunkSamples(_ n: Int, _ ohw: Int) -> Int {
        Swift.max(1, Swift.min(n, settings.maxColumnElements / Swift.max(1, k * ohw)))
    }

    /// x: [N, inChannels, H, W] -> [N, outChannels, OH, OW].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "Conv2d expects [N, \(inChannels), H, W], got \(x.shape)")
        input = x
        let n = x.shape[0], h = x.shape[2], w = x.shape[3]
        let (oh, ow) = outputSize(h, w)
        precondition(oh > 0 && ow > 0, "Conv2d: input \(h)x\(w) too small for kernel \(kernelH)x\(kernelW)")
        output.resize([n, outChannels, oh, ow])
        let ohw = oh * ow, kk = k, oc = outChannels
        let chunk = chunkSamples(n, ohw)
        let wp = storage.parameters + wOff
        let bp: UnsafeMutablePointer<Float>? = hasBias ? storage.parameters + bOff : nil
        let y = output.data
        winogradUCurrent = false
        winogradVCurrent = false
        if usesWinograd(h: h, w: w) {
            columnsCached = false
            winogradForward(x, bias: bp, keepTransform: training)
            return output
        }
        columnsCached = settings.cacheColumns && chunk >= n && training
        if columnsCached { columnCache.resize([kk * n * ohw]) }
        var n0 = 0
        while n0 < n {
            let n1 = Swift.min(n, n0 + chunk), p = (n1 - n0) * ohw
            let cols = columnsCached ? columnCache.data : storage.workspace.buffer(0, count: kk * p)
            let ycn = storage.workspace.buffer(1, count: oc * p)
            im2col(x.data, h, w, oh, ow, n0, n1, cols)
            threadedSgemm(threads, m: oc, n: p, k: kk, a: wp, lda: kk, b: cols, ldb: p, beta: 0, c: ycn, ldc: p)
            // Scatter rows of Y[oc, (n, pix)] to NCHW, adding the bias on the way.
            let nc = n1 - n0, base = n0
            threads.forChunks(oc * nc, minPerChunk: 8) { lo, hi in
                for t in lo..<hi {
                    let o = t / nc, s = t % nc
                    let src = ycn + o * p + s * ohw, dst = y + ((base + s) * oc + o) * ohw
                    if let bp {
                        let b = bp[o]
                        for i in 0..<ohw { dst[i] = src[i] + b }
                    } else {
                        dst.update(from: src, count: ohw)
                    }
                }
            }
            n0 = n1
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2d.backward before forward") }
        let n = x.shape[0], h = x.shape[2], w = x.shape[3]
        let oh = dy.shape[2], ow = dy.shape[3], ohw = oh * ow, kk = k, oc = outChannels
        precondition(dy.shape == [n, oc, oh, ow], "Conv2d.backward: gradient shape \(dy.shape)")
        let gradInput = computeInputGradient ? storage.workspace.inputGradient(x.shape, reading: dy) : noInputGradient
        if usesWinograd(h: h, w: w) {
            winogradBackward(x, dy, into: gradInput)
            return gradInput
        }
        let chunk = chunkSamples(n, ohw)
        let wp = storage.parameters + wOff, dw = storage.gradients + wOff
        let db: UnsafeMutablePointer<Float>? = hasBias ? storage.gradients + bOff : nil
        let transposedGradient = settings.transposedInputGradient && strideH == 1 && strideW == 1
            && padH < kernelH && padW < kernelW && kernelH * kernelW > 1
        if computeInputGradient && transposedGradient {
            // flipped[c, (o, i, j)] = W[o, c, kh-1-i, kw-1-j]
            let kh = kernelH, kw = kernelW, cin = inChannels, kt = oc * kh * kw
            flipped.resize([cin * kt])
            let f = flipped.data
            threads.forChunks(cin, minPerChunk: 16) { lo, hi in
                for ch in lo..<hi {
                    var dst = f + ch * kt
                    for o in 0..<oc {
                        let src = wp + (o * cin + ch) * kh * kw
                        for t in 0..<(kh * kw) { dst[t] = src[kh * kw - 1 - t] }  // (i, j) -> (kh-1-i, kw-1-j)
                        dst += kh * kw
                    }
                }
            }
        }
        var n0 = 0
        while n0 < n {
            let n1 = Swift.min(n, n0 + chunk), p = (n1 - n0) * ohw, nc = n1 - n0, base = n0
            let cols = columnsCached ? columnCache.data : storage.workspace.buffer(0, count: kk * p)
            let dycn = storage.workspace.buffer(1, count: oc * p)
            // Gather dY into [oc, (n, pix)] and sum it for the bias gradient.
            let g = dy.data
            threads.forChunks(oc, minPerChunk: 4) { lo, hi in
                for o in lo..<hi {
                    var sum: Float = 0
                    for s in 0..<nc {
                        let src = g + ((base + s) * oc + o) * ohw, dst = dycn + o * p + s * ohw
                        dst.update(from: src, count: ohw)
                        if db != nil { for i in 0..<ohw { sum += src[i] } }
                    }
                    if let db { db[o] += sum }
                }
            }
            if !columnsCached { im2col(x.data, h, w, oh, ow, n0, n1, cols) }
            // dW[oc, K] += dY[oc, P] * cols[K, P]^T
            threadedSgemm(threads, transB: true, m: oc, n: kk, k: p, a: dycn, lda: p, b: cols, ldb: p, beta: 1, c: dw, ldc: kk)
            if computeInputGradient && transposedGradient {
                // dX = correlation of dY (padded by k-1-p) with the flipped, transposed kernel: an
                // im2col of dY and a GEMM with the long K = oc*kh*kw, which beats a short-K GEMM
                // into a K x P matrix followed by a scattered col2im.
                var g = geometry
                g.c = oc; g.h = oh; g.w = ow; g.ph = kernelH - 1 - padH; g.pw = kernelW - 1 - padW; g.oh = h; g.ow = w
                let kt = oc * kernelH * kernelW, pin = nc * h * w, cin = inChannels
                let dcols = storage.workspace.buffer(3, count: kt * pin)
                im2colKernel(dy.data, g, n0, n1, dcols, threads: threads)
                let dxcn = storage.workspace.buffer(1, count: cin * pin)  // dycn is spent
                threadedSgemm(threads, m: cin, n: pin, k: kt, a: flipped.data, lda: kt, b: dcols, ldb: pin, beta: 0, c: dxcn, ldc: pin)
                let hw = h * w, dx = gradInput.data
                threads.forChunks(cin * nc, minPerChunk: 8) { lo, hi in
                    for t in lo..<hi {
                        let ch = t / nc, s = t % nc
                        (dx + ((base + s) * cin + ch) * hw).update(from: dxcn + ch * pin + s * hw, count: hw)
                    }
                }
            } else if computeInputGradient {
                // dCols[K, P] = W[oc, K]^T * dY[oc, P], reusing the column buffer (its columns are spent).
                threadedSgemm(threads, transA: true, m: kk, n: p, k: oc, a: wp, lda: kk, b: dycn, ldb: p, beta: 0, c: cols, ldc: p)
                col2im(cols, h, w, oh, ow, n0, n1, gradInput.data)
            }
            n0 = n1
        }
        if computeInputGradient && !transposedGradient { columnsCached = false }  // the cache now holds dCols
        return gradInput
    }

    /// A 3x3 stride-1 pad-1 kernel: the shape Winograd F(2x2, 3x3) computes (training and eval).
    var hasWinogradShape: Bool { kernelH == 3 && kernelW == 3 && strideH == 1 && strideW == 1 && padH == 1 && padW == 1 }

    /// Whether an h x w input runs by Winograd F(2x2, 3x3) (`ConvSettings.winogradTraining`).
    func usesWinograd(h: Int, w: Int) -> Bool {
        settings.winogradTraining && hasWinogradShape && inChannels >= settings.winogradTrainingMinChannels && WinogradGrid.pays(h: h, w: w)
    }

    /// The Winograd passes over x's batch (Winograd.swift) with U = G g G^T of the current weights:
    /// body(pass, first sample, U). U is `winogradU` when a training forward left it current, else
    /// computed here, into `winogradU` when `keepTransform` (a training forward, for its backward),
    /// else into the shared workspace (other layers reuse that buffer in between).
    private func forEachWinogradChunk(_ x: Tensor, keepTransform: Bool = false,
                                      _ body: (WinogradPass, Int, UnsafeMutablePointer<Float>) -> Void) {
        let count = 16 * winogradWeightStride(outChannels: outChannels, inChannels: inChannels)
        let u: UnsafeMutablePointer<Float>
        if winogradUCurrent {
            u = winogradU.data
        } else {
            if keepTransform { winogradU.resize([count]) }
            u = keepTransform ? winogradU.data : storage.workspace.buffer(2, count: count)
            winogradWeights(storage.parameters + wOff, outChannels: outChannels, inChannels: inChannels, into: u, threads: threads)
            winogradUCurrent = keepTransform
        }
        WinogradPass.forEachChunk(n: x.shape[0], h: x.shape[2], w: x.shape[3], inChannels: inChannels, outChannels: outChannels,
                                  maxElements: settings.maxColumnElements, threads: threads) { pass, n0 in body(pass, n0, u) }
    }

    /// y = conv(x) + bias by Winograd; a training forward (`keepTransform`) keeps U, and V where
    /// the batch is one chunk and V fits the settings' bound.
    private func winogradForward(_ x: Tensor, bias: UnsafePointer<Float>?, keepTransform: Bool) {
        let c = inChannels, oc = outChannels, hw = x.shape[2] * x.shape[3], ws = storage.workspace
        forEachWinogradChunk(x, keepTransform: keepTransform) { pass, n0, u in
            var kept: UnsafeMutablePointer<Float>? = nil
            if keepTransform && pass.samples == x.shape[0] && pass.transformCount(channels: c) <= settings.winogradKeptInputFloats {
                winogradV.resize([pass.bufferCount(channels: c)])
                kept = winogradV.data
                winogradVCurrent = true
            }
            pass.convolve(x.data + n0 * c * hw, u: u, bias: bias, output: output.data + n0 * oc * hw, workspace: ws, keptInput: kept)
        }
    }

    /// The weight, bias and (when asked) input gradients by Winograd: the transformed input is the
    /// one forward kept, else recomputed (as the im2col path recomputes its columns).
    private func winogradBackward(_ x: Tensor, _ dy: Tensor, into gradInput: Tensor) {
        let c = inChannels, oc = outChannels, hw = x.shape[2] * x.shape[3], ws = storage.workspace
        let du = ws.buffer(4, count: 16 * winogradWeightStride(outChannels: oc, inChannels: c))
        let db: UnsafeMutablePointer<Float>? = hasBias ? storage.gradients + bOff : nil
        let keptV = winogradVCurrent
        winogradVCurrent = false
        forEachWinogradChunk(x) { pass, n0, u in
            let dm = ws.buffer(1, count: pass.bufferCount(channels: oc))
            let v: UnsafeMutablePointer<Float>
            if keptV {
                v = winogradV.data
            } else {
                v = ws.buffer(0, count: pass.bufferCount(channels: c))
                pass.transformInput(x.data + n0 * c * hw, into: v)
            }
            pass.transformOutputGradient(dy.data + n0 * oc * hw, into: dm, biasGradient: db)
            pass.weightGradient(dm: dm, v: v, du: du, accumulate: n0 > 0)
            if computeInputGradient {
                let dv = ws.buffer(3, count: pass.bufferCount(channels: c))
                pass.inputGradient(u: u, dm: dm, dv: dv, into: gradInput.data + n0 * c * hw)
            }
        }
        winogradWeightGradient(du, outChannels: oc, inChannels: c, into: storage.gradients + wOff, threads: threads)
        // The optimiser step after this backward changes the weights.
        winogradUCurrent = false
    }

    /// Output positions o in lo..<hi whose input position o*stride - pad + offset lies in 0..<size.
    @inline(__always)
    static func validRange(out: Int, size: Int, stride: Int, pad: Int, offset: Int) -> (Int, Int) {
        let lo = Swift.min(out, Swift.max(0, (pad - offset + stride - 1) / stride))
        let last = size - 1 + pad - offset  // o*stride <= last
        let hi = last < 0 ? lo : Swift.max(lo, Swift.min(out, last / stride + 1))
        return (lo, hi)
    }

    var geometry: ConvGeometry {
        ConvGeometry(c: inChannels, h: 0, w: 0, kh: kernelH, kw: kernelW, sh: strideH, sw: strideW, ph: padH, pw: padW, oh: 0, ow: 0)
    }

    private func im2col(_ x: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int, _ oh: Int, _ ow: Int,
                        _ n0: Int, _ n1: Int, _ cols: UnsafeMutablePointer<Float>) {
        var g = geometry
        g.h = h; g.w = w; g.oh = oh; g.ow = ow
        im2colKernel(x, g, n0, n1, cols, threads: threads)
    }

    /// The adjoint of `im2col`: dx[n0..<n1] = sum over rows of dcols scattered back (overwrites).
    private func col2im(_ dcols: UnsafeMutablePointer<Float>, _ h: Int, _ w: Int, _ oh: Int, _ ow: Int,
                        _ n0: Int, _ n1: Int, _ dx: UnsafeMutablePointer<Float>) {
        let kh = kernelH, kw = kernelW, sh = strideH, sw = strideW, ph = padH, pw = padW, c = inChannels
        let ohw = oh * ow, p = (n1 - n0) * ohw
        // Parallel over input channels: every row of channel ch writes only dx[:, ch].
        threads.forChunks(c) { lo, hi in
            for ch in lo..<hi {
                for s in n0..<n1 { (dx + (s * c + ch) * h * w).update(repeating: 0, count: h * w) }
                for i in 0..<kh {
                    for j in 0..<kw {
                        let r = (ch * kh + i) * kw + j
                        let (owLo, owHi) = Conv2d.validRange(out: ow, size: w, stride: sw, pad: pw, offset: j)
                        for s in n0..<n1 {
                            let xp = dx + (s * c + ch) * h * w
                            let src = dcols + r * p + (s - n0) * ohw
                            for y in 0..<oh {
                                let ih = y * sh - ph + i
                                if ih < 0 || ih >= h { continue }
                                let xrow = xp + ih * w, d = src + y * ow
                                if sw == 1 {
                                    if owHi > owLo { addInPlace(xrow + (owLo - pw + j), d + owLo, owHi - owLo) }
                                } else {
                                    var iw = owLo * sw - pw + j
                                    for o in owLo..<owHi { xrow[iw] += d[o]; iw += sw }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Shapes of one convolution: input c x h x w, kernel kh x kw, stride, padding, output oh x ow.
struct ConvGeometry {
    var c: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int, oh: Int, ow: Int
}

/// cols[r, (s, oh, ow)] = x[n0 + s, c, oh*sh - ph + i, ow*sw - pw + j] (0 outside), r = (c, i, j).
func im2colKernel(_ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry, _ n0: Int, _ n1: Int, _ cols: UnsafeMutablePointer<Float>,
                  threads: Threads) {
    let kh = g.kh, kw = g.kw, c = g.c, h = g.h, w = g.w, oh = g.oh, ow = g.ow
    let ohw = oh * ow, p = (n1 - n0) * ohw
    threads.forChunks(c * kh * kw, minPerChunk: 4) { lo, hi in
        for r in lo..<hi {
            for s in n0..<n1 {
                im2colRowBand(x + (s * c + r / (kh * kw)) * h * w, g, row: r, y0: 0, y1: oh, cols + r * p + (s - n0) * ohw)
            }
        }
    }
}

/// One sample's column matrix for output rows y0..<y1: cols[r, (y - y0, ow)] with rows r = (c, i, j)
/// `ld` floats apart (serial; a worker of the folded inference's tile pipeline calls it).
func im2colSampleBand(_ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry, sample s: Int, y0: Int, y1: Int,
                      _ cols: UnsafeMutablePointer<Float>, ld: Int) {
    let khw = g.kh * g.kw, plane = g.h * g.w
    for r in 0..<(g.c * khw) {
        im2colRowBand(x + (s * g.c + r / khw) * plane, g, row: r, y0: y0, y1: y1, cols + r * ld)
    }
}

/// Row r = (c, i, j) of the column matrix of one input plane `xp` (channel c of one sample), output
/// rows y0..<y1, written contiguously to `dst` ((y1 - y0) * ow floats, 0 outside the image).
@inline(__always)
func im2colRowBand(_ xp: UnsafeMutablePointer<Float>, _ g: ConvGeometry, row r: Int, y0: Int, y1: Int, _ dst: UnsafeMutablePointer<Float>) {
    let kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, h = g.h, w = g.w, ow = g.ow
    let i = (r / kw) % kh, j = r % kw
    // Output columns whose input column is inside the image (for stride 1 a contiguous copy).
    let (owLo, owHi) = Conv2d.validRange(out: ow, size: w, stride: sw, pad: pw, offset: j)
    for y in y0..<y1 {
        let ih = y * sh - ph + i
        let d = dst + (y - y0) * ow
        // Rows are short (often 8-32 floats): inline loops beat memcpy/memset calls.
        if ih < 0 || ih >= h { for o in 0..<ow { d[o] = 0 }; continue }
        let xrow = xp + ih * w
        for o in 0..<owLo { d[o] = 0 }
        if sw == 1 {
            if owHi > owLo { copyFloats(d + owLo, xrow + (owLo - pw + j), owHi - owLo) }
        } else {
            var iw = owLo * sw - pw + j
            for o in owLo..<owHi { d[o] = xrow[iw]; iw += sw }
        }
        for o in owHi..<ow { d[o] = 0 }
    }
}
