// Area-averaging resize: an exact box filter in which every output pixel is the mean of the source
// area it covers, with fractional coverage at the edges (like OpenCV's INTER_AREA). Plain bilinear
// samples only 4 pixels and aliases badly at large reductions (300 -> 32 is 9.4x).
//
// Separable: a horizontal pass into a Float row buffer, then a vertical pass, with precomputed
// (source index, weight) taps. Output x covers source [x * sx, (x + 1) * sx) with sx = srcW / dstW;
// a source pixel i contributes overlap([i, i+1), that interval) / sx. Upscaling works the same way
// (each output covers a fraction of one or two source pixels).

/// Precomputed taps for one axis: output j reads `count[j]` source pixels from `first[j]` on, with
/// weights `weights[offset[j] ..< offset[j] + count[j]]` summing to 1.
///
/// Geometry is in full-resolution units: source pixel i covers [i * pixelSize, min((i + 1) * pixelSize,
/// extent)). For a plain image pixelSize = 1 and extent = source. For a JPEG decoded at 1/d, pixelSize
/// = d and extent = the original size, so the last, partial DCT block (300 / 8 = 37.5 -> 38 pixels)
/// counts for only the 4 source pixels it really covers; treating the 38 pixels as equal would shift
/// the image by up to half an output pixel.
struct AreaTaps {
    var first: [Int] = []
    var count: [Int] = []
    var offset: [Int] = []
    var weights: [Float] = []

    init(source: Int, destination: Int, pixelSize: Int = 1, extent: Int? = nil) {
        let full = Double(extent ?? source * pixelSize), d = Double(pixelSize)
        let scale = full / Double(destination)
        for j in 0..<destination {
            let lo = Double(j) * scale, hi = Double(j + 1) * scale
            let i0 = min(source - 1, Int((lo / d).rounded(.down))), i1 = min(source, Int((hi / d).rounded(.up)))
            first.append(i0)
            count.append(i1 - i0)
            offset.append(weights.count)
            for i in i0..<i1 {
                let overlap = min(hi, min(full, Double(i + 1) * d)) - max(lo, Double(i) * d)
                weights.append(Float(max(0, overlap) / scale))
            }
        }
    }
}

/// Resizes `src` (srcW x srcH x channels, HWC) to `dst` (dstW x dstH x channels) by area averaging,
/// rounding to nearest. `dst` must have room for dstW * dstH * channels bytes.
public func areaResize(_ src: UnsafePointer<UInt8>, width srcW: Int, height srcH: Int, channels: Int,
                       into dst: UnsafeMutablePointer<UInt8>, width dstW: Int, height dstH: Int) {
    areaResize(src, width: srcW, height: srcH, channels: channels, into: dst, width: dstW, height: dstH,
               pixelSize: 1, fullWidth: srcW, fullHeight: srcH)
}

/// As above, for a source decoded at 1/`pixelSize` of an original `fullWidth` x `fullHeight` image
/// (see `AreaTaps` for why the partial last block matters).
func areaResize(_ src: UnsafePointer<UInt8>, width srcW: Int, height srcH: Int, channels: Int,
                into dst: UnsafeMutablePointer<UInt8>, width dstW: Int, height dstH: Int,
                pixelSize: Int, fullWidth: Int, fullHeight: Int) {
    precondition(srcW > 0 && srcH > 0 && dstW > 0 && dstH > 0 && channels > 0, "empty resize")
    if srcW == dstW && srcH == dstH && pixelSize == 1 {
        dst.update(from: src, count: srcW * srcH * channels)
        return
    }
    let tx = AreaTaps(source: srcW, destination: dstW, pixelSize: pixelSize, extent: fullWidth)
    let ty = AreaTaps(source: srcH, destination: dstH, pixelSize: pixelSize, extent: fullHeight)
    let rowLen = dstW * channels
    // Horizontally resized source rows, all of them (srcH x dstW x C floats: 300 x 64 x 3 = 230 KB).
    let horiz = UnsafeMutablePointer<Float>.allocate(capacity: srcH * rowLen)
    defer { horiz.deallocate() }
    tx.weights.withUnsafeBufferPointer { wb in
    tx.first.withUnsafeBufferPointer { first in
    tx.offset.withUnsafeBufferPointer { offset in
    tx.count.withUnsafeBufferPointer { count in
        let w = wb.baseAddress!
        for y in 0..<srcH {
            let s = src + y * srcW * channels
            let h = horiz + y * rowLen
            for j in 0..<dstW {
                let p = s + first[j] * channels, wj = w + offset[j], n = count[j]
                // Channel-specialised loops: the interleaved channels share each tap's weight.
                if channels == 3 {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for k in 0..<n {
                        let wk = wj[k], q = p + 3 * k
                        r += wk * Float(q[0]); g += wk * Float(q[1]); b += wk * Float(q[2])
                    }
                    h[3 * j] = r; h[3 * j + 1] = g; h[3 * j + 2] = b
                } else if channels == 1 {
                    var a: Float = 0
                    for k in 0..<n { a += wj[k] * Float(p[k]) }
                    h[j] = a
                } else {
                    for c in 0..<channels {
                        var a: Float = 0
                        for k in 0..<n { a += wj[k] * Float(p[k * channels + c]) }
                        h[j * channels + c] = a
                    }
                }
            }
        }
    }
    }
    }
    }
    let acc = UnsafeMutablePointer<Float>.allocate(capacity: rowLen)
    defer { acc.deallocate() }
    ty.weights.withUnsafeBufferPointer { w in
        for i in 0..<dstH {
            acc.initialize(repeating: 0, count: rowLen)
            let off = ty.offset[i]
            for k in 0..<ty.count[i] {
                let wk = w[off + k]
                let h = horiz + (ty.first[i] + k) * rowLen
                for x in 0..<rowLen { acc[x] += wk * h[x] }
            }
            let d = dst + i * rowLen
            for x in 0..<rowLen { d[x] = UInt8(min(255, max(0, acc[x] + 0.5))) }
        }
    }
}

extension Image {
    /// This image resized to `width` x `height` by area averaging (see `areaResize`).
    public func resized(width w: Int, height h: Int) -> Image {
        var out = [UInt8](repeating: 0, count: w * h * channels)
        pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                areaResize(s.baseAddress!, width: width, height: height, channels: channels,
                           into: d.baseAddress!, width: w, height: h)
            }
        }
        return Image(width: w, height: h, channels: channels, pixels: out)
    }
}
