// Area-averaging resize: an exact box filter in which every output pixel is the mean of the source
// area it covers, with fractional coverage at the edges (like OpenCV's INTER_AREA). Plain bilinear
// samples only 4 pixels and aliases badly at large reductions (300 -> 32 is 9.4x).
//
// The kernel is CImageCodec's ic_area_resize (area_resize.c), the same code the JPEG pipeline
// runs on libjpeg's output (ic_jpeg_decode_resized); these are its Swift forms. Output x covers source
// [x * sx, (x + 1) * sx) with sx = srcW / dstW; a source pixel i contributes overlap([i, i+1),
// that interval) / sx. Upscaling works the same way (each output covers a fraction of one or two
// source pixels).

import CImageCodec

/// Resizes `src` (srcW x srcH x channels, HWC) to `dst` (dstW x dstH x channels) by area averaging,
/// rounding to nearest. `dst` must have room for dstW * dstH * channels bytes.
public func areaResize(_ src: UnsafePointer<UInt8>, width srcW: Int, height srcH: Int, channels: Int,
                       into dst: UnsafeMutablePointer<UInt8>, width dstW: Int, height dstH: Int) {
    areaResize(src, width: srcW, height: srcH, channels: channels, into: dst, width: dstW, height: dstH,
               pixelSize: 1, fullWidth: srcW, fullHeight: srcH)
}

/// As above, for a source decoded at 1/`pixelSize` of an original `fullWidth` x `fullHeight` image:
/// the partial last DCT block counts for only the original pixels it covers (see area_resize.h).
func areaResize(_ src: UnsafePointer<UInt8>, width srcW: Int, height srcH: Int, channels: Int,
                into dst: UnsafeMutablePointer<UInt8>, width dstW: Int, height dstH: Int,
                pixelSize: Int, fullWidth: Int, fullHeight: Int) {
    precondition(srcW > 0 && srcH > 0 && dstW > 0 && dstH > 0 && channels > 0, "empty resize")
    if srcW == dstW && srcH == dstH && pixelSize == 1 {
        dst.update(from: src, count: srcW * srcH * channels)
        return
    }
    let rc = ic_area_resize(src, Int32(srcW), Int32(srcH), Int32(channels), dst, Int32(dstW), Int32(dstH),
                            Int32(pixelSize), Int32(fullWidth), Int32(fullHeight))
    precondition(rc == 0, "out of memory resizing \(srcW)x\(srcH) to \(dstW)x\(dstH)")
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
