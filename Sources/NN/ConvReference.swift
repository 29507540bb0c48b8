// Naive direct convolution, kept beside the im2col version as the reference the tests compare to.

/// y[n, o, oh, ow] = b[o] + sum_{c,i,j} w[o, c, i, j] * x[n, c, oh*sh - ph + i, ow*sw - pw + j].
/// x: [n, c, h, w] flat, weight: [outC, c, kh, kw] flat; returns [n, outC, OH, OW] flat and OH, OW.
public func referenceConv2d(x: [Float], n: Int, c: Int, h: Int, w: Int, weight: [Float], bias: [Float]?,
                            outChannels: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int))
    -> (values: [Float], oh: Int, ow: Int) {
    let (kh, kw) = kernel, (sh, sw) = stride, (ph, pw) = padding
    let oh = (h + 2 * ph - kh) / sh + 1, ow = (w + 2 * pw - kw) / sw + 1
    var y = [Float](repeating: 0, count: n * outChannels * oh * ow)
    for s in 0..<n {
        for o in 0..<outChannels {
            for yy in 0..<oh {
                for xx in 0..<ow {
                    var acc = Double(bias?[o] ?? 0)
                    for ch in 0..<c {
                        for i in 0..<kh {
                            let ih = yy * sh - ph + i
                            if ih < 0 || ih >= h { continue }
                            for j in 0..<kw {
                                let iw = xx * sw - pw + j
                                if iw < 0 || iw >= w { continue }
                                acc += Double(weight[((o * c + ch) * kh + i) * kw + j]) * Double(x[((s * c + ch) * h + ih) * w + iw])
                            }
                        }
                    }
                    y[((s * outChannels + o) * oh + yy) * ow + xx] = Float(acc)
                }
            }
        }
    }
    return (y, oh, ow)
}
