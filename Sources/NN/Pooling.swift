// Pooling layers: MaxPool2d (kernel, stride, padding; floor mode like PyTorch) and global average pooling.

import Core

public final class MaxPool2d: Layer {
    public let kernel: Int, stride: Int, padding: Int
    private var inputShape: [Int] = []
    /// Index within the input plane of each output's maximum.
    private var argmax: [Int32] = []
    private let output = Tensor(zeros: [0])
    private var threads = Threads.serial
    private var workspace: Workspace!

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(padding * 2 <= kernel, "MaxPool2d: padding must be at most half the kernel")
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding
    }

    public func bind(_ storage: ParameterStorage) { threads = storage.context.threads; workspace = storage.workspace }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4, "MaxPool2d expects [N, C, H, W], got \(x.shape)")
        inputShape = x.shape
        let planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3]
        let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
        precondition(oh > 0 && ow > 0, "MaxPool2d: input \(h)x\(w) too small")
        output.resize([x.shape[0], x.shape[1], oh, ow])
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let xp = x.data, yp = output.data, k = kernel, s = stride, pad = padding
        argmax.withUnsafeMutableBufferPointer { am in
            let ap = am.baseAddress!
            if k == 3 && s == 2 && pad == 1 {
                threads.forChunks(planes) { lo, hi in
                    MaxPool2d.stemWindows(xp, h: h, w: w, oh: oh, ow: ow, planes: lo..<hi, values: yp, argmax: ap)
                }
                return
            }
            threads.forChunks(planes) { lo, hi in
                for pl in lo..<hi {
                    let src = xp + pl * h * w, dst = yp + pl * oh * ow, idx = ap + pl * oh * ow
                    for y in 0..<oh {
                        let h0 = Swift.max(0, y * s - pad), h1 = Swift.min(h, y * s - pad + k)
                        for xx in 0..<ow {
                            let w0 = Swift.max(0, xx * s - pad), w1 = Swift.min(w, xx * s - pad + k)
                            var best = -Float.infinity, bi = h0 * w + w0
                            var r = h0
                            while r < h1 {
                                let row = src + r * w
                                var q = w0
                                while q < w1 {
                                    // Branch-free update (select), as comparisons are unpredictable.
                                    let v = row[q], better = v > best
                                    best = better ? v : best
                                    bi = better ? r * w + q : bi
                                    q += 1
                                }
                                r += 1
                            }
                            dst[y * ow + xx] = best; idx[y * ow + xx] = Int32(bi)
                        }
                    }
                }
            }
        }
        return output
    }

    /// The 3x3 stride-2 pad-1 pool of ResNet's stem (a 64 px training step spent 3.7% of its time
    /// in the general loop above), 8 outputs of an output row per vector: each input row's
    /// three-column window maxima (even/odd lanes of a padded copy of the row), then the maximum of
    /// the window's two or three rows. The same maximum and argmax as the general loop: the first
    /// maximum in row-major order (ties to the left within a row, to the upper row across rows).
    static func stemWindows(_ x: UnsafePointer<Float>, h: Int, w: Int, oh: Int, ow: Int, planes: Range<Int>,
                            values y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let runs = (ow + 7) / 8
        // row[1 + c] = input column c; row[0] and everything past w stay -infinity (the padding).
        let rowCount = 16 * runs + 2
        let row = UnsafeMutablePointer<Float>.allocate(capacity: rowCount)
        row.initialize(repeating: -.infinity, count: rowCount)
        // One output row's running maxima and their flat input indices, whole runs wide.
        let best = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: runs)
        let at = UnsafeMutablePointer<SIMD8<Int32>>.allocate(capacity: runs)
        defer { row.deallocate(); best.deallocate(); at.deallocate() }
        let lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        // Input column 2 * xx - 1 (the window's left column) exists for every output but xx = 0.
        let firstRun = lane .> 0
        for pl in planes {
            let src = x + pl * h * w, dst = y + pl * oh * ow, idx = argmax + pl * oh * ow
            for yy in 0..<oh {
                let r0 = Swift.max(0, 2 * yy - 1), r1 = Swift.min(h, 2 * yy + 2)
                for r in r0..<r1 {
                    (row + 1).update(from: src + r * w, count: w)
                    for run in 0..<runs {
                        let xx0 = 8 * run
                        let a = load16(row + 2 * xx0), b = load16(row + 2 * xx0 + 2)
                        let left = a.evenHalf, centre = a.oddHalf, right = b.evenHalf
                        let col = SIMD8<Int32>(repeating: Int32(2 * xx0)) &+ 2 &* lane  // the centre columns
                        var v = centre, c = col
                        let takeLeft = run == 0 ? (left .>= v) .& firstRun : left .>= v
                        v.replace(with: left, where: takeLeft); c.replace(with: col &- 1, where: takeLeft)
                        let takeRight = right .> v
                        v.replace(with: right, where: takeRight); c.replace(with: col &+ 1, where: takeRight)
                        let flat = c &+ Int32(r * w)
                        if r == r0 {
                            best[run] = v; at[run] = flat
                        } else {
                            let lower = v .> best[run]
                            best[run].replace(with: v, where: lower); at[run].replace(with: flat, where: lower)
                        }
                    }
                }
                for run in 0..<runs {
                    let xx0 = 8 * run, lanes = Swift.min(8, ow - xx0)
                    store8(best[run], dst + yy * ow + xx0, lanes)
                    for l in 0..<lanes { idx[yy * ow + xx0 + l] = at[run][l] }
                }
            }
        }
    }

    /// Eval-mode values only, into `out` (no argmax, nothing kept for a backward): what
    /// `FoldedInference` runs. Each output row is the horizontal window max of the vertical max of
    /// its input rows, so the inner loop is a vectorised max over whole rows.
    func forwardValues(_ x: Tensor, into out: Tensor) {
        precondition(x.shape.count == 4, "MaxPool2d expects [N, C, H, W], got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], h = x.shape[2], w = x.shape[3]
        let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
        precondition(oh > 0 && ow > 0, "MaxPool2d: input \(h)x\(w) too small")
        out.resize([x.shape[0], x.shape[1], oh, ow])
        let xp = x.data, yp = out.data, k = kernel, s = stride, pad = padding
        threads.forChunks(planes) { lo, hi in
            let rowMax = UnsafeMutablePointer<Float>.allocate(capacity: w)
            defer { rowMax.deallocate() }
            for pl in lo..<hi {
                let src = xp + pl * h * w, dst = yp + pl * oh * ow
                for y in 0..<oh {
                    let h0 = Swift.max(0, y * s - pad), h1 = Swift.min(h, y * s - pad + k)
                    copyFloats(rowMax, src + h0 * w, w)
                    for r in (h0 + 1)..<Swift.max(h0 + 1, h1) { maxInPlace(rowMax, src + r * w, w) }
                    for xx in 0..<ow {
                        let w0 = Swift.max(0, xx * s - pad), w1 = Swift.min(w, xx * s - pad + k)
                        var best = rowMax[w0]
                        for q in (w0 + 1)..<Swift.max(w0 + 1, w1) { best = Swift.max(best, rowMax[q]) }
                        dst[y * ow + xx] = best
                    }
                }
            }
        }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let gradInput = workspace.inputGradient(inputShape, reading: dy)
        let planes = inputShape[0] * inputShape[1], hw = inputShape[2] * inputShape[3]
        let ohw = output.shape[2] * output.shape[3]
        let gp = dy.data, dx = gradInput.data
        argmax.withUnsafeBufferPointer { am in
            let ap = am.baseAddress!
            threads.forChunks(planes) { lo, hi in
                for pl in lo..<hi {
                    let d = dx + pl * hw, g = gp + pl * ohw, idx = ap + pl * ohw
                    d.update(repeating: 0, count: hw)
                    for i in 0..<ohw { d[Int(idx[i])] += g[i] }
                }
            }
        }
        return gradInput
    }
}

/// [N, C, H, W] -> [N, C]: the mean over each plane (torch's AdaptiveAvgPool2d(1) + flatten).
public final class GlobalAvgPool: Layer {
    private var inputShape: [Int] = []
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])
    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4, "GlobalAvgPool expects [N, C, H, W], got \(x.shape)")
        inputShape = x.shape
        let planes = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3]
        output.resize([x.shape[0], x.shape[1]])
        let xp = x.data, yp = output.data
        for pl in 0..<planes {
            var s: Float = 0
            let p = xp + pl * hw
            for i in 0..<hw { s += p[i] }
            yp[pl] = s / Float(hw)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(inputShape)
        let planes = inputShape[0] * inputShape[1], hw = inputShape[2] * inputShape[3]
        let gp = dy.data, dx = gradInput.data, inv = 1 / Float(hw)
        for pl in 0..<planes { (dx + pl * hw).update(repeating: gp[pl] * inv, count: hw) }
        return gradInput
    }
}
